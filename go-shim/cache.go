package main

import (
	"context"
	"encoding/json"
	"time"

	"github.com/helmfire/helmfire/go-shim/internal/chartcache"
)

type cacheParams struct {
	CacheDir string `json:"cache_dir"`
	// OlderThanSeconds limits cache_cleanup to charts fetched longer ago;
	// zero removes every chart.
	OlderThanSeconds int64 `json:"older_than_seconds,omitempty"`
}

type cacheInfoResult struct {
	chartcache.Usage
	Entries []chartcache.Entry `json:"entries"`
}

type cacheCleanupResult struct {
	RemovedArchives int   `json:"removed_archives"`
	RemovedBytes    int64 `json:"removed_bytes"`
}

// runCacheInfo is `helmfire cache info`: what the chart cache holds.
func runCacheInfo(_ context.Context, raw json.RawMessage) (any, error) {
	var p cacheParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	store, err := chartcache.Open(p.CacheDir)
	if err != nil {
		return nil, failf(KindIO, "%v", err)
	}
	entries := store.List()
	if entries == nil {
		entries = []chartcache.Entry{}
	}
	return cacheInfoResult{Usage: store.Usage(), Entries: entries}, nil
}

// runCacheCleanup is `helmfire cache cleanup`.
func runCacheCleanup(_ context.Context, raw json.RawMessage) (any, error) {
	var p cacheParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	if p.OlderThanSeconds < 0 {
		return nil, failf(KindBadRequest, "cache_cleanup: older_than_seconds must not be negative, got %d", p.OlderThanSeconds)
	}
	store, err := chartcache.Open(p.CacheDir)
	if err != nil {
		return nil, failf(KindIO, "%v", err)
	}
	var cutoff time.Time
	if p.OlderThanSeconds > 0 {
		cutoff = time.Now().Add(-time.Duration(p.OlderThanSeconds) * time.Second)
	}
	removed, bytes, err := store.Cleanup(cutoff)
	if err != nil {
		return nil, failf(KindIO, "cleaning the chart cache %s: %v", p.CacheDir, err)
	}
	return cacheCleanupResult{RemovedArchives: removed, RemovedBytes: bytes}, nil
}
