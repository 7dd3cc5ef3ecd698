// Package kube is the shim's view of a cluster: it opens a Helm
// Configuration for one action (checking the kube context and that the API
// server answers first), classifies cluster errors, reads releases from
// Helm's storage, and owns what is process-wide about the cluster clients:
// Helm's field manager name and the shared OpenAPI v3 cache.
//
// Feature packages that act on a cluster (release, diff, drift) open a
// Session each; nothing here knows about charts or rendering.
//
//   - session.go: Settings (the "kube" of every cluster request), Open, Session.Fail
//   - classify.go: cluster and release errors into fault kinds (release_not_found)
//   - releases.go: reading a release's revisions, helm's chart and time formats
//   - wait.go: helm CLI's wait options, timeouts, cancellation of the SDK's runs
//   - activity.go: tracking an Install/Upgrade the SDK goes on with after a cancel
//   - clients.go: the REST config, discovery client and mapper shared by every Session of a cluster
//   - phase.go: read-only phases (the diffs of one run share what they read of the cluster)
//   - history.go: outside a phase, one read of a release's history per action
//   - probe.go: the check of a cluster made once before any of its releases runs
//   - openapi_cache.go: the process-wide cache of OpenAPI v3 verdicts
//   - init.go: helm's field manager name, the kubeconfig auth plugins, kubectl's catalogues left unloaded
package kube
