package charts

import (
	"context"
	"time"

	"github.com/helmfire/helmfire/go-shim/internal/chartcache"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
	"github.com/helmfire/helmfire/go-shim/internal/proofstore"
	"github.com/helmfire/helmfire/go-shim/internal/remote"
)

// CacheParams names the chart cache.
type CacheParams struct {
	CacheDir string `json:"cache_dir"`
	// OlderThanSeconds limits cache_cleanup to charts fetched longer ago;
	// zero removes every chart.
	OlderThanSeconds int64 `json:"older_than_seconds,omitempty"`
}

// CacheInfoResult is what the chart cache holds.
type CacheInfoResult struct {
	chartcache.Usage
	Entries []chartcache.Entry `json:"entries"`
}

// CacheCleanupResult is what a cleanup removed.
type CacheCleanupResult struct {
	RemovedArchives int   `json:"removed_archives"`
	RemovedBytes    int64 `json:"removed_bytes"`
	// RemovedSources counts fetched remote sources (git checkouts,
	// downloaded files) removed.
	RemovedSources int `json:"removed_sources"`
}

// CacheInfo is `helmfire cache info`: what the chart cache holds.
func CacheInfo(_ context.Context, p CacheParams) (CacheInfoResult, error) {
	store, err := chartcache.Open(p.CacheDir)
	if err != nil {
		return CacheInfoResult{}, fault.Newf(fault.KindIO, "%v", err)
	}
	entries := store.List()
	if entries == nil {
		entries = []chartcache.Entry{}
	}
	return CacheInfoResult{Usage: store.Usage(), Entries: entries}, nil
}

// CleanupCache is `helmfire cache cleanup`.
func CleanupCache(ctx context.Context, p CacheParams) (CacheCleanupResult, error) {
	if p.OlderThanSeconds < 0 {
		return CacheCleanupResult{}, fault.Newf(fault.KindBadRequest, "cache_cleanup: older_than_seconds must not be negative, got %d", p.OlderThanSeconds)
	}
	store, err := chartcache.Open(p.CacheDir)
	if err != nil {
		return CacheCleanupResult{}, fault.Newf(fault.KindIO, "%v", err)
	}
	var cutoff time.Time
	if p.OlderThanSeconds > 0 {
		cutoff = time.Now().Add(-time.Duration(p.OlderThanSeconds) * time.Second)
	}
	removed, bytes, err := store.Cleanup(cutoff)
	if err != nil {
		return CacheCleanupResult{}, fault.Newf(fault.KindIO, "cleaning the chart cache %s: %v", p.CacheDir, err)
	}
	sources, err := remote.Cleanup(ctx, p.CacheDir, cutoff)
	if err != nil {
		return CacheCleanupResult{}, fault.Newf(fault.KindIO, "cleaning the remote sources of %s: %v", p.CacheDir, err)
	}
	// The diff's no-change proofs (internal/proofstore) are dropped with
	// the rest: without them the next diff only runs every dry run.
	if _, err := proofstore.Cleanup(p.CacheDir, cutoff); err != nil {
		return CacheCleanupResult{}, fault.Newf(fault.KindIO, "cleaning the diff proofs of %s: %v", p.CacheDir, err)
	}
	// So are the OpenAPI verdicts: the next run parses the documents.
	if _, err := kube.CleanupOpenAPIVerdicts(p.CacheDir, cutoff); err != nil {
		return CacheCleanupResult{}, fault.Newf(fault.KindIO, "cleaning the OpenAPI verdicts of %s: %v", p.CacheDir, err)
	}
	return CacheCleanupResult{RemovedArchives: removed, RemovedBytes: bytes, RemovedSources: sources}, nil
}
