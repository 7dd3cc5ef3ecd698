package main

import (
	"context"
	"math"
	"os"
	"runtime/debug"
)

// The collector's heap growth is chosen by the command, once Rust's main
// knows which it runs (until then internal/boot holds collection off).
// A command that runs once and exits (template, diff, apply...) allocates
// most of what it will ever hold within a second: with Go's default of a
// collection each time the heap doubles, the collector ran through 11% of
// the CPU of `template` of 100 releases. Letting the heap triple instead
// (GOGC=200) took 9% off its CPU time and 7% off its wall time for some
// 15 MB more at the peak (README, Performance). The daemon and watch mode
// live for days and ask for Go's default. esbuild's CLI makes the same
// trade.

type gcParams struct {
	// Percent is the GOGC to use.
	Percent int `json:"percent"`
}

type gcTuned struct {
	// Percent is the GOGC in effect after the call.
	Percent int `json:"percent"`
	// FromEnvironment is true when GOGC was set by the user, who then
	// decides: the call changes nothing.
	FromEnvironment bool `json:"from_environment"`
}

// tuneGC sets the collector's heap growth for the rest of the process,
// unless the GOGC environment variable chose one, and lifts the memory
// limit internal/boot set for the start, unless GOMEMLIMIT chose one.
func tuneGC(_ context.Context, p gcParams) (gcTuned, error) {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(math.MaxInt64) // Go's default: no limit
	}
	if _, set := os.LookupEnv("GOGC"); set {
		current := debug.SetGCPercent(-1)
		debug.SetGCPercent(current)
		return gcTuned{Percent: current, FromEnvironment: true}, nil
	}
	debug.SetGCPercent(p.Percent)
	return gcTuned{Percent: p.Percent}, nil
}
