package charts

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"helm.sh/helm/v4/pkg/downloader"
	"helm.sh/helm/v4/pkg/getter"
	"helm.sh/helm/v4/pkg/registry"

	"github.com/helmfire/helmfire/go-shim/internal/syncbuf"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// pullOCI pulls one version of an OCI chart: its archive and the digest
// the registry gives it.
func pullOCI(src chartSource, version string, p PullParams, out *syncbuf.Buffer) ([]byte, string, error) {
	client, err := p.Registry.client(out, registryHostOf(src.ref))
	if err != nil {
		return nil, "", repoFailf(fault.KindRepository, "registry client for %s: %v", src.ref, err).With("chart", src.ref)
	}
	// helm's tags use "_" for semver's "+".
	ref := strings.TrimPrefix(src.ref, "oci://") + ":" + strings.ReplaceAll(version, "+", "_")
	fmt.Fprintf(out, "Pulling %s\n", ref)
	result, err := client.Pull(ref, registry.PullOptWithChart(true))
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			if tags, tagsErr := client.Tags(strings.TrimPrefix(src.ref, "oci://")); tagsErr == nil {
				return nil, "", noSuchVersion(src, version, tags)
			}
		}
		return nil, "", repoFailf(fault.KindRepository, "pulling %s: %s%s", ref, p.Registry.describeError(src.ref, err), cutShort(err)).With("chart", src.ref)
	}
	return result.Chart.Data, result.Chart.Digest, nil
}

// downloadFromRepository downloads an archive with the repository's
// credentials and TLS settings, as helm's downloader would.
func downloadFromRepository(src chartSource, version, url string, p PullParams, out *syncbuf.Buffer) ([]byte, error) {
	settings := depsSettings(p.RepositoryConfig)
	tmp, err := os.MkdirTemp("", "helmfire-pull-")
	if err != nil {
		return nil, fault.Newf(fault.KindIO, "creating a temp directory: %v", err)
	}
	defer os.RemoveAll(tmp)
	d := downloader.ChartDownloader{
		Out:              out,
		Verify:           downloader.VerifyNever,
		Getters:          getter.All(settings),
		RepositoryConfig: settings.RepositoryConfig,
		RepositoryCache:  settings.RepositoryCache,
		ContentCache:     tmp,
		Options:          []getter.Option{getter.WithAcceptHeader("application/gzip,application/octet-stream")},
	}
	ref := src.ref
	if p.InsecureSkipTLSVerify {
		// By its URL the downloader keeps the repository's credentials and
		// certificates but not its TLS verification setting, so the
		// release's `insecureSkipTLSVerify` holds.
		ref = url
		d.Options = append(d.Options, getter.WithInsecureSkipVerifyTLS(true))
	}
	path, _, err := d.DownloadTo(ref, version, tmp)
	if err != nil {
		return nil, repoFailf(fault.KindRepository, "downloading chart %s version %s from %s: %v%s", src.name, version, url, err, cutShort(err)).
			With("chart", src.ref).With("repository", src.entry.Name)
	}
	fmt.Fprintf(out, "Downloaded %s version %s from %s\n", src.name, version, url)
	return os.ReadFile(path)
}

// cutShort explains a download the server ended early: nothing of it was
// kept, and running again fetches it whole.
func cutShort(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected EOF") {
		return " (the server closed the connection before the chart was complete; nothing of it was cached, so running again downloads it anew)"
	}
	return ""
}
