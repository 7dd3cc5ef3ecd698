package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/loader"
	"helm.sh/helm/v4/pkg/cli/values"
	"helm.sh/helm/v4/pkg/getter"
	"helm.sh/helm/v4/pkg/kube"
	release "helm.sh/helm/v4/pkg/release/v1"
)

// floorRelease is one release of the workload the vs_helmfile bench
// generated: its chart directory and its values files (already merged and
// rendered by `helmfire write-values`).
type floorRelease struct {
	Name      string   `json:"name"`
	Namespace string   `json:"namespace"`
	Chart     string   `json:"chart"`
	Values    []string `json:"values"`
}

// BenchmarkFloorTemplate is the floor for `template`: every release of a
// generated workload rendered by the Helm SDK alone in one process (chart
// loaded, values files merged, client-only dry-run install, manifest
// written out), first one after the other, then by GOMAXPROCS goroutines.
// One op is the whole workload. Reported besides ns/op: cpu-ns/op (user+sys
// of the process per op) and peak-rss-bytes (the process's peak RSS so far).
//
// HELMFIRE_FLOOR_DIR is a workload directory holding floor.json, written by
// `cargo bench --bench vs_helmfile` (which runs this benchmark itself).
func BenchmarkFloorTemplate(b *testing.B) {
	dir := os.Getenv("HELMFIRE_FLOOR_DIR")
	if dir == "" {
		b.Skip("set HELMFIRE_FLOOR_DIR to a workload directory with a floor.json; " +
			"`cargo bench --bench vs_helmfile` generates one and runs this benchmark with it")
	}
	raw, err := os.ReadFile(filepath.Join(dir, "floor.json"))
	if err != nil {
		b.Fatal(err)
	}
	var manifest struct {
		Releases []floorRelease `json:"releases"`
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		b.Fatal(err)
	}
	b.Run("sequential", func(b *testing.B) { floorLoop(b, manifest.Releases, 1) })
	b.Run("parallel", func(b *testing.B) { floorLoop(b, manifest.Releases, runtime.GOMAXPROCS(0)) })
}

// floorLoop renders all releases per op with `workers` goroutines and
// reports the CPU time and peak memory metrics.
func floorLoop(b *testing.B, releases []floorRelease, workers int) {
	cpuBefore := processCPU()
	for b.Loop() {
		if err := floorRenderAll(releases, workers); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(processCPU()-cpuBefore)/float64(b.N), "cpu-ns/op")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)*1024, "peak-rss-bytes") // Maxrss is in KiB on Linux
	}
}

// floorRenderAll renders every release, `workers` at a time; the first
// error wins.
func floorRenderAll(releases []floorRelease, workers int) error {
	next := make(chan floorRelease)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range next {
				if err := floorRender(r); err != nil {
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

// floorRender is `helm template NAME CHART -n NS -f VALUES...` as a Go
// program using pkg/action does it.
func floorRender(r floorRelease) error {
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

// processCPU is this process's user+sys CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
