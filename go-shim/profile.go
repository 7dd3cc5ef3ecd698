package main

import (
	"context"
	"os"
	"runtime/pprof"
	"sync"
)

// HELMFIRE_SHIM_CPUPROFILE=FILE writes a CPU profile of the Go half of a
// run to FILE (go tool pprof reads it): profiling starts as the library
// loads, and stops when Rust's main calls profile_stop on its way out. It
// is how the performance notes in the README were found; nothing else
// reads it.
var profile struct {
	once sync.Once
	file *os.File
}

func init() {
	path := os.Getenv("HELMFIRE_SHIM_CPUPROFILE")
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err != nil {
		return
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return
	}
	profile.file = f
}

type profileStopped struct {
	Written bool `json:"written"`
}

// stopProfile ends the CPU profile, if one runs, and closes its file.
func stopProfile(_ context.Context, _ noParams) (profileStopped, error) {
	written := false
	profile.once.Do(func() {
		if profile.file != nil {
			pprof.StopCPUProfile()
			written = profile.file.Close() == nil
		}
	})
	return profileStopped{Written: written}, nil
}
