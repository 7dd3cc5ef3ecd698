package diff

import (
	"context"
	"log/slog"
	"time"

	"helm.sh/helm/v4/pkg/action"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
	"github.com/helmfire/helmfire/go-shim/internal/release"
	"github.com/helmfire/helmfire/go-shim/internal/render"
)

// Params is the upgrade's request plus how to show the changes.
type Params struct {
	release.UpgradeParams
	// ContextLines is the lines of context around changes; absent means 3,
	// negative means whole objects (helm-diff's default).
	ContextLines *int `json:"context_lines,omitempty"`
	// ShowSecrets prints Secret values (and last-applied-configuration
	// annotations) instead of "REDACTED # (N bytes)".
	ShowSecrets bool `json:"show_secrets,omitempty"`
	// IncludeTests adds the chart's test hooks (other hooks are never shown:
	// they are recreated by every upgrade, not applied).
	IncludeTests bool `json:"include_tests,omitempty"`
	// StripTrailingCR compares lines without a carriage return at their
	// end (helm-diff's --strip-trailing-cr): CRLF text in values is no change.
	StripTrailingCR bool `json:"strip_trailing_cr,omitempty"`
	// DisableValidationOnInstall skips OpenAPI validation when the release
	// is not installed yet (helmfile's --skip-diff-validation-on-install):
	// its CRDs may not exist before the first install.
	DisableValidationOnInstall bool `json:"disable_validation_on_install,omitempty"`
	// Phase names the caller's read-only phase (kube/phase.go): diffs of
	// one phase, between which the caller changes nothing in the cluster,
	// share the server's version, API groups and release storage reads.
	Phase string `json:"phase,omitempty"`
	// CacheDir is helmfire's cache, where the diff keeps between runs
	// which objects' dry runs showed no change and under what conditions
	// (proofs.go), so that an unchanged object skips its dry run. Used only
	// within a phase; empty: every object gets its dry run.
	CacheDir string `json:"cache_dir,omitempty"`
}

// Result is the changes of one release, in helm-diff's order.
type Result struct {
	Release   string   `json:"release"`
	Namespace string   `json:"namespace"`
	Exists    bool     `json:"exists"` // the release is installed (the diff is of an upgrade)
	Changes   []Change `json:"changes"`
	Unchanged int      `json:"unchanged"`
}

// Change is one object the upgrade would create, update or delete.
type Change struct {
	Kind       string `json:"kind"`
	APIVersion string `json:"api_version"`
	Namespace  string `json:"namespace"` // empty for cluster-scoped objects
	Name       string `json:"name"`
	Action     string `json:"action"` // create, update, delete
	// Diff is helm-diff's text: "NS, NAME, KIND (GROUP) has changed:" (or
	// "has been added:", "has been removed:") and the lines.
	Diff string `json:"diff"`
	// Conflict is the API server's refusal of the server-side apply the
	// upgrade would send (fields another manager owns at another value):
	// the upgrade would fail on this object. Diff shows the forced apply.
	Conflict string `json:"conflict,omitempty"`

	key string // helm-diff's sort key
}

const (
	defaultDiffContext = 3
	// Workers bounds the objects compared at once (GETs and dry runs in
	// flight against the API server) for one release.
	Workers = 8

	actionCreate = "create"
	actionUpdate = "update"
	actionDelete = "delete"
)

// Run computes the diff of one release.
func Run(ctx context.Context, p Params) (*Result, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	contextLines := defaultDiffContext
	if p.ContextLines != nil {
		contextLines = *p.ContextLines
	}
	p.Kube.Phase = p.Phase // a dry run writes nothing
	s, err := p.OpenSession(ctx)
	if err != nil {
		return nil, err
	}
	cancelled := func() *fault.Error {
		return s.Fail(fault.KindCancelled, "the diff of release %q was cancelled", p.ReleaseName).With("release", p.ReleaseName)
	}

	last, err := s.LastRelease(p.ReleaseName)
	if err != nil {
		return nil, s.Classify(err, p.ReleaseName, fault.KindRelease)
	}
	exists := last != nil && last.Info.Status != rcommon.StatusUninstalled
	if !exists && p.DisableValidationOnInstall {
		p.Options.DisableValidation = true
	}

	deploy, err := release.Prepare(ctx, s, &p.UpgradeParams, last, action.DryRunServer)
	if err != nil {
		return nil, err
	}
	slog.Debug("diffing release", "release", p.ReleaseName, "namespace", s.Namespace, "install", !exists,
		"chart", p.Chart, "values", render.DescribeSources(p.Values))
	if ctx.Err() != nil {
		return nil, cancelled()
	}
	started := time.Now()
	releaser, runErr := deploy.Run()
	rendered := time.Since(started)
	if ctx.Err() != nil {
		return nil, cancelled()
	}
	if runErr != nil {
		return nil, release.ClassifyDeployError(s, runErr, p.ReleaseName, p.Chart, releaser)
	}
	rel, err := kube.ToV1(releaser)
	if err != nil {
		return nil, err
	}
	if rel == nil {
		return nil, s.Fail(fault.KindInternal, "the dry run of release %q returned no release", p.ReleaseName).With("release", p.ReleaseName)
	}

	d := &differ{
		s:           s,
		release:     p.ReleaseName,
		namespace:   rel.Namespace,
		context:     contextLines,
		showSecrets: p.ShowSecrets,
		stripCR:     p.StripTrailingCR,
		proofs:      loadProofs(p.CacheDir, s.Server(), rel.Namespace, p.ReleaseName, s.ClusterFingerprint(ctx)),
	}
	serverSide := rel.ApplyMethod == string(releasev1.ApplyMethodServerSideApply)
	d.strategy = ApplyStrategy{
		ServerSide:   serverSide,
		ForceReplace: p.Options.Force,
		// Install adopting objects on client-side apply (install.go).
		ThreeWayMergeForUnstructured: !exists && p.Options.TakeOwnership && !serverSide,
	}
	result, err := d.run(ctx, rel, exists, last, p.IncludeTests)
	slog.Debug("diffed release", "release", p.ReleaseName, "namespace", s.Namespace,
		"dry_run", rendered.Round(time.Millisecond), "compare", (time.Since(started) - rendered).Round(time.Millisecond))
	if err != nil {
		if ctx.Err() != nil {
			return nil, cancelled()
		}
		return nil, s.Classify(err, p.ReleaseName, fault.KindRelease)
	}
	return result, nil
}
