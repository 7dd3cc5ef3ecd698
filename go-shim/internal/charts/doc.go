// Package charts gets charts ready to render: chart repositories and their
// indexes, remote charts pulled into helmfire's chart cache (OCI registries
// included), lock files, `helm dependency build`, and chartify's wrapper
// charts for a release's ad-hoc dependencies and strategicMergePatches.
//
// Errors that quote a repository URL go through internal/redact, so that
// credentials written in a URL never reach a message.
//
//   - repos.go: the repos method (repositories file, index downloads)
//   - registry.go: RegistryAccess, how OCI registries are reached
//   - pull.go, resolve.go, fetch.go, versions.go: the chart_pull method
//   - lock.go: the lock_resolve method
//   - cache.go: the cache_info and cache_cleanup methods (internal/chartcache)
//   - deps.go, deps_manager.go: the deps_build method, helm's dependency manager
//   - chartify.go, chartify_deps.go, chartify_files.go: the chartify method
//   - patches.go, kustomize.go: chartify's strategicMergePatches
package charts
