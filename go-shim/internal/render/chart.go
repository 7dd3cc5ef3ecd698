package render

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/cli"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// LoadInstallableChart locates and loads a chart and checks what helm's
// install and template commands check before rendering: that it is an
// application chart and that its dependencies are present in charts/.
func LoadInstallableChart(opts *action.ChartPathOptions, ref string, settings *cli.EnvSettings) (chart.Charter, error) {
	path, err := opts.LocateChart(ref, settings)
	if err != nil {
		msg := err.Error()
		if repoName, ok := strings.CutPrefix(msg, "repo "); ok && strings.HasSuffix(repoName, " not found") {
			repoName = strings.TrimSuffix(repoName, " not found")
			return nil, fault.Newf(fault.KindChart, "chart %s: repository %q is defined neither in the state's repositories nor in helm's repositories file",
				ref, repoName).With("chart", ref)
		}
		return nil, fault.New(fault.KindChart, msg).With("chart", ref)
	}
	if info, statErr := os.Stat(path); errors.Is(statErr, fs.ErrNotExist) {
		return nil, fault.Newf(fault.KindChart, "chart %s does not exist", ref).With("chart", ref)
	} else if statErr == nil && info.IsDir() {
		if _, err := os.Stat(path + "/Chart.yaml"); errors.Is(err, fs.ErrNotExist) {
			return nil, fault.Newf(fault.KindChart, "%s is not a chart: it has no Chart.yaml", ref).With("chart", ref)
		}
	}
	loaded, err := loadChart(path)
	if err != nil {
		return nil, fault.Newf(fault.KindChart, "loading chart %s: %v", ref, err).With("chart", ref)
	}
	accessor, err := chart.NewAccessor(loaded)
	if err != nil {
		return nil, fault.Newf(fault.KindChart, "reading chart %s: %v", ref, err).With("chart", ref)
	}
	meta := accessor.MetadataAsMap()
	if t, _ := meta["Type"].(string); t != "" && t != "application" {
		return nil, fault.Newf(fault.KindChart, "chart %s is a %s chart, and %s charts are not installable", ref, t, t).With("chart", ref)
	}
	if deps := accessor.MetaDependencies(); len(deps) > 0 {
		if err := action.CheckDependencies(loaded, deps); err != nil {
			return nil, fault.Newf(fault.KindDependencies, "chart %s has dependencies missing from its charts/ directory: %v", ref, err).
				With("chart", ref)
		}
	}
	return loaded, nil
}

// DefaultKeyring is helm's keyring for --verify: $GNUPGHOME/pubring.gpg,
// else ~/.gnupg/pubring.gpg.
func DefaultKeyring() string {
	if home, ok := os.LookupEnv("GNUPGHOME"); ok {
		return filepath.Join(home, "pubring.gpg")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".gnupg", "pubring.gpg")
}
