package main

import (
	"github.com/helmfire/helmfire/go-shim/internal/charts"
	"github.com/helmfire/helmfire/go-shim/internal/diff"
	"github.com/helmfire/helmfire/go-shim/internal/drift"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
	"github.com/helmfire/helmfire/go-shim/internal/kubectl"
	"github.com/helmfire/helmfire/go-shim/internal/lease"
	"github.com/helmfire/helmfire/go-shim/internal/release"
	"github.com/helmfire/helmfire/go-shim/internal/remote"
	"github.com/helmfire/helmfire/go-shim/internal/render"
	"github.com/helmfire/helmfire/go-shim/internal/secrets"
	"github.com/helmfire/helmfire/go-shim/internal/state"
)

// methods is the whole surface Rust can reach through helmfire_call, in
// one place: each method name, and the typed entry point of the feature
// package that implements it. The params and result types (their json
// tags) are the wire contract; src/helm/shim.rs is the other side.
var methods = map[string]method{
	"version": typed(runVersion),
	// Ends HELMFIRE_SHIM_CPUPROFILE's profile (profile.go).
	"profile_stop": typed(stopProfile),
	// The collector's heap growth for a command that runs once (gc.go).
	"gc_tune": typed(tuneGC),

	// Helmfile's state files (internal/state).
	"render":     typed(state.Render),
	"hcl_values": typed(state.HCLValues),

	// Remote sources: go-getter references into the source cache
	// (internal/remote).
	"remote_fetch": typed(remote.Fetch),

	// Secrets, in memory only (internal/secrets).
	"decrypt": typed(secrets.DecryptFile),
	"vals":    typed(secrets.ResolveRefs),

	// Offline rendering (internal/render).
	"template": typed(render.Template),
	"lint":     typed(render.Lint),

	// Charts, repositories and the chart cache (internal/charts).
	"repos":         typed(charts.Repos),
	"deps_build":    typed(charts.BuildDeps),
	"chartify":      typed(charts.Chartify),
	"chart_pull":    typed(charts.Pull),
	"lock_resolve":  typed(charts.ResolveLock),
	"cache_info":    typed(charts.CacheInfo),
	"cache_cleanup": typed(charts.CleanupCache),
	// helmfire run by kustomize as its helm, to inflate `helmCharts:`.
	"kustomize_helm": typed(charts.KustomizeHelm),

	// Releases in a cluster (internal/release, internal/diff, internal/drift).
	"upgrade":   typed(release.Upgrade),
	"uninstall": typed(release.Uninstall),
	"status":    typed(release.Status),
	"test":      typed(release.Test),
	"recover":   typed(release.RecoverPending),
	"diff":      typed(diff.Run),
	"drift":     typed(drift.Run),

	// A cluster checked once per run, before its releases (internal/kube).
	"cluster_probe": typed(kube.Probe),

	// The daemon's leader election over a Lease (internal/lease).
	"lease_start":   typed(lease.Start),
	"lease_status":  typed(lease.StatusOf),
	"lease_release": typed(lease.Release),

	// helmfile's kubectlApply hooks (internal/kubectl).
	"kubectl_apply": typed(kubectl.Apply),
}
