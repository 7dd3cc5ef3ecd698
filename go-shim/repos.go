package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/getter"
	repo "helm.sh/helm/v4/pkg/repo/v1"
)

// Repository is an HTTP(S) chart repository of the state file.
type Repository struct {
	Name                  string `json:"name"`
	URL                   string `json:"url"`
	Username              string `json:"username,omitempty"`
	Password              string `json:"password,omitempty"`
	CertFile              string `json:"cert_file,omitempty"`
	KeyFile               string `json:"key_file,omitempty"`
	CAFile                string `json:"ca_file,omitempty"`
	InsecureSkipTLSVerify bool   `json:"insecure_skip_tls_verify,omitempty"`
	PassCredentials       bool   `json:"pass_credentials,omitempty"`
}

type reposParams struct {
	Repositories []Repository `json:"repositories"`
	// RepositoryConfig is where to write the merged repositories file that
	// later template calls use. helmfire never writes the user's own
	// repositories.yaml: it reads it and adds the state's repositories.
	RepositoryConfig string `json:"repository_config"`
	// SkipRefresh keeps an index already in the cache (helmfile's --skip-refresh).
	SkipRefresh bool `json:"skip_refresh,omitempty"`
}

type reposResult struct {
	// Refreshed names the repositories whose index was downloaded.
	Refreshed []string `json:"refreshed"`
}

// runRepos is `helm repo add` + `helm repo update` for the state's
// repositories, without touching the user's helm configuration: the merged
// repository list goes to a file of helmfire's, the indexes to helm's own
// repository cache (shared, as helm shares it).
func runRepos(ctx context.Context, raw json.RawMessage) (any, error) {
	var p reposParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	settings := cli.New()
	merged, err := loadUserRepositories(settings.RepositoryConfig)
	if err != nil {
		return nil, err
	}
	for _, r := range p.Repositories {
		merged.Update(r.entry())
	}
	if err := os.MkdirAll(filepath.Dir(p.RepositoryConfig), 0o700); err != nil {
		return nil, failf(KindIO, "creating %s: %v", filepath.Dir(p.RepositoryConfig), err)
	}
	// 0600: the file may hold repository passwords.
	if err := merged.WriteFile(p.RepositoryConfig, 0o600); err != nil {
		return nil, failf(KindIO, "writing %s: %v", p.RepositoryConfig, err)
	}

	// Indexes download in parallel; helm's CLI does the same in `repo update`.
	refreshed := make([]string, len(p.Repositories))
	errs := make([]error, len(p.Repositories))
	var wg sync.WaitGroup
	for i, r := range p.Repositories {
		cached := filepath.Join(settings.RepositoryCache, r.Name+"-index.yaml")
		if _, statErr := os.Stat(cached); p.SkipRefresh && statErr == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
				return
			}
			errs[i] = downloadIndex(r, settings)
			refreshed[i] = r.Name
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		if ctx.Err() != nil {
			return nil, classify(ctx.Err(), KindCancelled)
		}
		return nil, err
	}
	out := reposResult{Refreshed: []string{}}
	for _, name := range refreshed {
		if name != "" {
			out.Refreshed = append(out.Refreshed, name)
		}
	}
	return out, nil
}

func (r Repository) entry() *repo.Entry {
	return &repo.Entry{
		Name:                  r.Name,
		URL:                   r.URL,
		Username:              r.Username,
		Password:              r.Password,
		CertFile:              r.CertFile,
		KeyFile:               r.KeyFile,
		CAFile:                r.CAFile,
		InsecureSkipTLSVerify: r.InsecureSkipTLSVerify,
		PassCredentialsAll:    r.PassCredentials,
	}
}

// loadUserRepositories reads the user's repositories.yaml, if there is one,
// so that charts from repositories added with `helm repo add` resolve too.
func loadUserRepositories(path string) (*repo.File, error) {
	f, err := repo.LoadFile(path)
	if err == nil {
		return f, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return repo.NewFile(), nil
	}
	return nil, failf(KindChart, "reading helm's repositories file %s: %v", path, err).withDetail("file", path)
}

func downloadIndex(r Repository, settings *cli.EnvSettings) error {
	chartRepo, err := repo.NewChartRepository(r.entry(), getter.All(settings))
	if err != nil {
		return repoError(r, err)
	}
	chartRepo.CachePath = settings.RepositoryCache
	if _, err := chartRepo.DownloadIndexFile(); err != nil {
		return repoError(r, err)
	}
	return nil
}

func repoError(r Repository, err error) *ShimError {
	return (&ShimError{
		Kind:    KindRepository,
		Message: fmt.Sprintf("cannot read the index of repository %q at %s: %v", r.Name, r.URL, err),
	}).withDetail("repository", r.Name).withDetail("url", r.URL)
}
