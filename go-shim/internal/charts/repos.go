package charts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/getter"
	repo "helm.sh/helm/v4/pkg/repo/v1"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/redact"
	"github.com/helmfire/helmfire/go-shim/internal/safe"
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

// ReposParams are the state's chart repositories.
type ReposParams struct {
	Repositories []Repository `json:"repositories"`
	// RepositoryConfig is where to write the merged repositories file that
	// later template calls use. helmfire never writes the user's own
	// repositories.yaml: it reads it and adds the state's repositories.
	RepositoryConfig string `json:"repository_config"`
	// SkipRefresh keeps an index already in the cache (helmfile's --skip-refresh).
	SkipRefresh bool `json:"skip_refresh,omitempty"`
}

// ReposResult names the repositories refreshed.
type ReposResult struct {
	// Refreshed names the repositories whose index was downloaded.
	Refreshed []string `json:"refreshed"`
}

// Repos is `helm repo add` + `helm repo update` for the state's
// repositories, without touching the user's helm configuration: the merged
// repository list goes to a file of helmfire's, the indexes to helm's own
// repository cache (shared, as helm shares it).
func Repos(ctx context.Context, p ReposParams) (ReposResult, error) {
	settings := cli.New()
	merged, err := loadUserRepositories(settings.RepositoryConfig)
	if err != nil {
		return ReposResult{}, err
	}
	for _, r := range p.Repositories {
		merged.Update(r.entry())
	}
	if err := os.MkdirAll(filepath.Dir(p.RepositoryConfig), 0o700); err != nil {
		return ReposResult{}, fault.Newf(fault.KindIO, "creating %s: %v", filepath.Dir(p.RepositoryConfig), err)
	}
	// 0600: the file may hold repository passwords.
	if err := merged.WriteFile(p.RepositoryConfig, 0o600); err != nil {
		return ReposResult{}, fault.Newf(fault.KindIO, "writing %s: %v", p.RepositoryConfig, err)
	}

	// Indexes download in parallel; helm's CLI does the same in `repo
	// update`. Every download runs to its end (errs keeps each one's
	// error); the group's own error is a panic.
	refreshed := make([]string, len(p.Repositories))
	errs := make([]error, len(p.Repositories))
	g := safe.NewGroup()
	for i, r := range p.Repositories {
		cached := filepath.Join(settings.RepositoryCache, r.Name+"-index.yaml")
		if _, statErr := os.Stat(cached); p.SkipRefresh && statErr == nil {
			continue
		}
		g.Go(func() error {
			if ctx.Err() != nil {
				errs[i] = ctx.Err()
				return nil
			}
			errs[i] = downloadIndex(r, settings)
			refreshed[i] = r.Name
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return ReposResult{}, err
	}
	if err := errors.Join(errs...); err != nil {
		if ctx.Err() != nil {
			return ReposResult{}, fault.Classify(ctx.Err(), fault.KindCancelled)
		}
		return ReposResult{}, err
	}
	out := ReposResult{Refreshed: []string{}}
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
	return nil, fault.Newf(fault.KindChart, "reading helm's repositories file %s: %v", path, err).With("file", path)
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

func repoError(r Repository, err error) *fault.Error {
	return repoFailf(fault.KindRepository, "cannot read the index of repository %q at %s: %v", r.Name, r.URL, err).
		With("repository", r.Name).With("url", redact.URL(r.URL))
}

// repoFailf is fault.Newf for messages that quote a repository URL or an
// error of the transport that fetched one: credentials in a URL's userinfo
// are hidden.
func repoFailf(kind fault.Kind, format string, args ...any) *fault.Error {
	return fault.New(kind, redact.Text(fmt.Sprintf(format, args...)))
}
