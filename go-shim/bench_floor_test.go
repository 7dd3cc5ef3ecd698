package main

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/helmfire/helmfire/go-shim/internal/floor"
)

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
	releases, err := floor.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("sequential", func(b *testing.B) { floorLoop(b, releases, 1) })
	b.Run("parallel", func(b *testing.B) { floorLoop(b, releases, runtime.GOMAXPROCS(0)) })
}

// floorLoop renders all releases per op with `workers` goroutines and
// reports the CPU time and peak memory metrics.
func floorLoop(b *testing.B, releases []floor.Release, workers int) {
	cpuBefore := processCPU()
	for b.Loop() {
		if err := floor.RenderAll(releases, workers); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(processCPU()-cpuBefore)/float64(b.N), "cpu-ns/op")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)*1024, "peak-rss-bytes") // Maxrss is in KiB on Linux
	}
}

// processCPU is this process's user+sys CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
