package charts

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"

	"helm.sh/helm/v4/pkg/getter"
	"helm.sh/helm/v4/pkg/provenance"
	"helm.sh/helm/v4/pkg/registry"

	"github.com/helmfire/helmfire/go-shim/internal/chartcache"
	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/render"
	"github.com/helmfire/helmfire/go-shim/internal/syncbuf"
)

// verifyProvenance checks a pulled chart against its provenance file, as
// `helm pull --verify` does: the .prov beside the archive in a chart
// repository, or the provenance layer of an OCI artifact. The provenance
// is fetched once and cached beside the chart; the check itself runs on
// every use, so a cached chart is never trusted under another keyring.
func verifyProvenance(ctx context.Context, store *chartcache.Store, src chartSource, res PullResult, p PullParams) error {
	provRef := chartcache.Ref{Source: src.id() + ".prov", Version: res.Version}
	var prov []byte
	if e, ok := store.Get(provRef); ok {
		data, err := os.ReadFile(e.Path)
		if err != nil {
			return fault.Newf(fault.KindIO, "reading the cached provenance of chart %s %s: %v", res.Name, res.Version, err)
		}
		prov = data
	} else {
		if ctx.Err() != nil {
			return fault.Classify(ctx.Err(), fault.KindCancelled)
		}
		data, err := fetchProvenance(src, res.Version, p)
		if err != nil {
			return err
		}
		if _, err := store.Put(provRef, res.Name+".prov", data, ""); err != nil {
			return fault.Newf(fault.KindIO, "caching the provenance of chart %s %s: %v", res.Name, res.Version, err)
		}
		prov = data
	}
	archive, err := os.ReadFile(res.Path)
	if err != nil {
		return fault.Newf(fault.KindIO, "reading the cached chart %s %s: %v", res.Name, res.Version, err)
	}
	keyring := p.Keyring
	if keyring == "" {
		keyring = render.DefaultKeyring()
	}
	signatory, err := provenance.NewFromKeyring(keyring, "")
	if err != nil {
		return fault.Newf(fault.KindChart, "chart %s is to be verified (`verify: true`), but the keyring %s cannot be read (%v); set `keyring:` on the release, its repository or helmDefaults",
			src.ref, keyring, err).With("chart", src.ref)
	}
	if _, err := signatory.Verify(archive, prov, fmt.Sprintf("%s-%s.tgz", res.Name, res.Version)); err != nil {
		return fault.Newf(fault.KindChart, "chart %s version %s failed provenance verification against the keyring %s: %v",
			src.ref, res.Version, keyring, err).With("chart", src.ref)
	}
	return nil
}

// fetchProvenance downloads the provenance of one chart version.
func fetchProvenance(src chartSource, version string, p PullParams) ([]byte, error) {
	missing := func(err error) error {
		return fault.Newf(fault.KindChart, "chart %s version %s is to be verified (`verify: true`), but its provenance could not be fetched: %v",
			src.ref, version, err).With("chart", src.ref)
	}
	if src.oci {
		out := &syncbuf.Buffer{}
		client, err := p.Registry.client(out, registryHostOf(src.ref))
		if err != nil {
			return nil, repoFailf(fault.KindRepository, "registry client for %s: %v", src.ref, err).With("chart", src.ref)
		}
		ref := strings.TrimPrefix(src.ref, "oci://") + ":" + strings.ReplaceAll(version, "+", "_")
		result, err := client.Pull(ref, registry.PullOptWithProv(true))
		if err != nil {
			return nil, missing(err)
		}
		return result.Prov.Data, nil
	}
	p.Version = version
	_, _, chartURL, err := resolveRepoVersion(src, p)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(chartURL)
	if err != nil {
		return nil, missing(err)
	}
	g, err := getter.All(depsSettings(p.RepositoryConfig)).ByScheme(u.Scheme)
	if err != nil {
		return nil, missing(err)
	}
	body, err := g.Get(chartURL+".prov", repositoryGetterOptions(src, p)...)
	if err != nil {
		return nil, missing(err)
	}
	return body.Bytes(), nil
}

// repositoryGetterOptions are the credentials and TLS settings of the
// chart's repository, as helm's downloader applies them.
func repositoryGetterOptions(src chartSource, p PullParams) []getter.Option {
	e := src.entry
	opts := []getter.Option{getter.WithURL(e.URL), getter.WithInsecureSkipVerifyTLS(e.InsecureSkipTLSVerify || p.InsecureSkipTLSVerify)}
	if e.CertFile != "" || e.KeyFile != "" || e.CAFile != "" {
		opts = append(opts, getter.WithTLSClientConfig(e.CertFile, e.KeyFile, e.CAFile))
	}
	if e.Username != "" && e.Password != "" {
		opts = append(opts, getter.WithBasicAuth(e.Username, e.Password), getter.WithPassCredentialsAll(e.PassCredentialsAll))
	}
	return opts
}
