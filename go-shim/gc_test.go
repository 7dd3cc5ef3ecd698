package main

import (
	"context"
	"math"
	"os"
	"runtime/debug"
	"testing"

	"github.com/helmfire/helmfire/go-shim/internal/boot"
)

// unsetEnv unsets name for the test and restores it after.
func unsetEnv(t *testing.T, name string) {
	t.Helper()
	if value, set := os.LookupEnv(name); set {
		t.Cleanup(func() { os.Setenv(name, value) })
	}
	os.Unsetenv(name)
}

func restoreGC(t *testing.T) {
	t.Helper()
	percent := debug.SetGCPercent(100)
	limit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
}

func TestTuneGCEndsTheStartSettings(t *testing.T) {
	restoreGC(t)
	unsetEnv(t, "GOGC")
	unsetEnv(t, "GOMEMLIMIT")
	// As internal/boot leaves them.
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(boot.StartLimit)

	got, err := tuneGC(context.Background(), gcParams{Percent: 200})
	if err != nil || got != (gcTuned{Percent: 200}) {
		t.Fatalf("%+v, %v", got, err)
	}
	if now := debug.SetGCPercent(200); now != 200 {
		t.Errorf("the collector's percent is %d after the call, want 200", now)
	}
	if limit := debug.SetMemoryLimit(-1); limit != math.MaxInt64 {
		t.Errorf("the start's memory limit is still in effect: %d", limit)
	}
}

func TestTuneGCLeavesTheUsersSettings(t *testing.T) {
	restoreGC(t)
	t.Setenv("GOGC", "150")
	t.Setenv("GOMEMLIMIT", "1GiB")
	// What the runtime read from them at start.
	debug.SetGCPercent(150)
	debug.SetMemoryLimit(1 << 30)

	got, err := tuneGC(context.Background(), gcParams{Percent: 200})
	if err != nil || got != (gcTuned{Percent: 150, FromEnvironment: true}) {
		t.Fatalf("%+v, %v", got, err)
	}
	if now := debug.SetGCPercent(150); now != 150 {
		t.Errorf("GOGC=150 was overridden: %d", now)
	}
	if limit := debug.SetMemoryLimit(-1); limit != 1<<30 {
		t.Errorf("GOMEMLIMIT=1GiB was overridden: %d", limit)
	}
}

// TestMain runs the package's tests as the daemon runs: with Go's default
// collector, not internal/boot's start settings, which only Rust's main
// ends.
func TestMain(m *testing.M) {
	if _, err := tuneGC(context.Background(), gcParams{Percent: 100}); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}
