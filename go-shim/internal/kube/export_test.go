package kube

import "k8s.io/apimachinery/pkg/runtime/schema"

// What the external tests (openapi_cluster_test.go) observe of the
// OpenAPI cache.

// OpenAPIParses is the number of GroupVersion documents parsed so far.
func OpenAPIParses() int64 { return openAPIParses.Load() }

// SetOpenAPICache turns the cache on or off (for the benchmark).
func SetOpenAPICache(enabled bool) { openAPICacheEnabled.Store(enabled) }

// OpenAPIEntryURL is the document URL the cache holds answers for.
func OpenAPIEntryURL(server string, gv schema.GroupVersion) string {
	e := openAPIVerdicts.entry(verdictKey{server: server, gv: gv})
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.url
}

// OpenAPIStoreHits is the number of verdicts read from disk so far.
func OpenAPIStoreHits() int64 { return openAPIStoreHits.Load() }

// ForgetOpenAPIVerdicts empties the process-wide cache, as a new process
// starts.
func ForgetOpenAPIVerdicts() {
	openAPIVerdicts.mu.Lock()
	clear(openAPIVerdicts.entries)
	openAPIVerdicts.mu.Unlock()
}
