// Package floor is the Helm SDK floor of the vs_helmfile bench
// (benches/vs_helmfile/floor.rs): the releases of its `template` workload
// rendered by the Helm SDK alone, as `helm template` renders one, with
// nothing of helmfire in the way. go-shim's BenchmarkFloorTemplate runs it
// inside a warm benchmark process; cmd/helm-floor runs it as a process of
// its own that links only the SDK, started and timed as helmfire is.
package floor

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/loader"
	"helm.sh/helm/v4/pkg/cli/values"
	"helm.sh/helm/v4/pkg/getter"
	"helm.sh/helm/v4/pkg/kube"
	release "helm.sh/helm/v4/pkg/release/v1"
)

// Release is one release of the workload: its chart directory and its
// values files (already merged and rendered by `helmfire write-values`).
type Release struct {
	Name      string   `json:"name"`
	Namespace string   `json:"namespace"`
	Chart     string   `json:"chart"`
	Values    []string `json:"values"`
}

// Load reads floor.json, which the bench writes into a workload directory.
func Load(dir string) ([]Release, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "floor.json"))
	if err != nil {
		return nil, err
	}
	var manifest struct {
		Releases []Release `json:"releases"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "floor.json"), err)
	}
	return manifest.Releases, nil
}

// RenderAll renders every release, `workers` at a time; the first error
// wins.
func RenderAll(releases []Release, workers int) error {
	next := make(chan Release)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range next {
				if err := Render(r); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var err error
feed:
	for _, r := range releases {
		select {
		case next <- r:
		case err = <-errs:
			break feed
		}
	}
	close(next)
	// Drain: workers that failed stop reading, the others finish.
	go func() { wg.Wait(); close(errs) }()
	for e := range errs {
		if err == nil {
			err = e
		}
	}
	return err
}

// Render is `helm template NAME CHART -n NS -f VALUES...` as a Go program
// using pkg/action does it.
func Render(r Release) error {
	cfg := action.NewConfiguration()
	client := action.NewInstall(cfg)
	client.DryRunStrategy = action.DryRunClient
	client.WaitStrategy = kube.HookOnlyStrategy
	client.Replace = true
	client.ReleaseName = r.Name
	client.Namespace = r.Namespace
	chrt, err := loader.Load(r.Chart)
	if err != nil {
		return err
	}
	opts := values.Options{ValueFiles: r.Values}
	vals, err := opts.MergeValues(getter.Providers{})
	if err != nil {
		return err
	}
	rel, err := client.RunWithContext(context.Background(), chrt, vals)
	if err != nil {
		return err
	}
	if rel, ok := rel.(*release.Release); ok {
		_, err = io.WriteString(io.Discard, rel.Manifest)
	}
	return err
}
