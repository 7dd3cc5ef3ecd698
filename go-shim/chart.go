package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/chart/loader"
	"helm.sh/helm/v4/pkg/cli"
)

// loadInstallableChart locates and loads a chart and checks what helm's
// install and template commands check before rendering: that it is an
// application chart and that its dependencies are present in charts/.
func loadInstallableChart(opts *action.ChartPathOptions, ref string, settings *cli.EnvSettings) (chart.Charter, error) {
	path, err := opts.LocateChart(ref, settings)
	if err != nil {
		msg := err.Error()
		if repoName, ok := strings.CutPrefix(msg, "repo "); ok && strings.HasSuffix(repoName, " not found") {
			repoName = strings.TrimSuffix(repoName, " not found")
			return nil, (&ShimError{
				Kind: KindChart,
				Message: fmt.Sprintf("chart %s: repository %q is defined neither in the state's repositories nor in helm's repositories file",
					ref, repoName),
			}).withDetail("chart", ref)
		}
		return nil, (&ShimError{Kind: KindChart, Message: msg}).withDetail("chart", ref)
	}
	if info, statErr := os.Stat(path); errors.Is(statErr, fs.ErrNotExist) {
		return nil, failf(KindChart, "chart %s does not exist", ref).withDetail("chart", ref)
	} else if statErr == nil && info.IsDir() {
		if _, err := os.Stat(path + "/Chart.yaml"); errors.Is(err, fs.ErrNotExist) {
			return nil, failf(KindChart, "%s is not a chart: it has no Chart.yaml", ref).withDetail("chart", ref)
		}
	}
	loaded, err := loader.Load(path)
	if err != nil {
		return nil, failf(KindChart, "loading chart %s: %v", ref, err).withDetail("chart", ref)
	}
	accessor, err := chart.NewAccessor(loaded)
	if err != nil {
		return nil, failf(KindChart, "reading chart %s: %v", ref, err).withDetail("chart", ref)
	}
	meta := accessor.MetadataAsMap()
	if t, _ := meta["Type"].(string); t != "" && t != "application" {
		return nil, failf(KindChart, "chart %s is a %s chart, and %s charts are not installable", ref, t, t).withDetail("chart", ref)
	}
	if deps := accessor.MetaDependencies(); len(deps) > 0 {
		if err := action.CheckDependencies(loaded, deps); err != nil {
			return nil, (&ShimError{
				Kind:    KindDependencies,
				Message: fmt.Sprintf("chart %s has dependencies missing from its charts/ directory: %v", ref, err),
			}).withDetail("chart", ref)
		}
	}
	return loaded, nil
}
