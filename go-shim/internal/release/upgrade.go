package release

import (
	"context"
	"fmt"
	"log/slog"

	"helm.sh/helm/v4/pkg/action"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
	"github.com/helmfire/helmfire/go-shim/internal/render"
	"github.com/helmfire/helmfire/go-shim/internal/track"
)

// UpgradeParams is `helm upgrade --install`: the release as `template`
// takes it (render-only fields are refused), the cluster, and the options.
type UpgradeParams struct {
	render.TemplateParams
	Kube    kube.Settings  `json:"kube"`
	Options UpgradeOptions `json:"options"`
	// CacheHome is helmfire's cache, where what the validator learns of
	// the server's OpenAPI schemas is kept for later runs
	// (kube/openapi_verdict_store.go); empty keeps nothing.
	CacheHome string `json:"cache_home,omitempty"`
}

// UpgradeOptions are the flags of `helm upgrade --install` helmfire passes.
type UpgradeOptions struct {
	// CreateNamespace defaults to true, as helmfile's createNamespace does.
	CreateNamespace *bool `json:"create_namespace,omitempty"`
	Wait            bool  `json:"wait,omitempty"`
	WaitForJobs     bool  `json:"wait_for_jobs,omitempty"`
	// TimeoutSeconds is helm's --timeout; 0 means helm's 300 s.
	TimeoutSeconds int `json:"timeout_seconds,omitempty"`
	// Atomic is --atomic (RollbackOnFailure).
	Atomic bool `json:"atomic,omitempty"`
	// Force is --force (ForceReplace).
	Force bool `json:"force,omitempty"`
	// HistoryMax is --history-max; absent means $HELM_MAX_HISTORY or 10,
	// 0 means no limit.
	HistoryMax        *int `json:"history_max,omitempty"`
	CleanupOnFail     bool `json:"cleanup_on_fail,omitempty"`
	ReuseValues       bool `json:"reuse_values,omitempty"`
	ResetValues       bool `json:"reset_values,omitempty"`
	SkipCRDs          bool `json:"skip_crds,omitempty"`
	DisableHooks      bool `json:"disable_hooks,omitempty"`
	DisableValidation bool `json:"disable_validation,omitempty"`
	TakeOwnership     bool `json:"take_ownership,omitempty"`
	// ForceConflicts makes server-side apply take fields another field
	// manager owns (helm's --force-conflicts): what puts back a change
	// made by hand in the cluster.
	ForceConflicts bool              `json:"force_conflicts,omitempty"`
	ServerSide     string            `json:"server_side,omitempty"` // "auto" (default), "true", "false"
	Labels         map[string]string `json:"labels,omitempty"`
	Description    string            `json:"description,omitempty"`
	// Track follows the release's objects while it deploys (helmfile's
	// trackMode and track* keys); nil tracks nothing.
	Track *track.Options `json:"track,omitempty"`
}

// UpgradeResult is the revision the upgrade (or install) left.
type UpgradeResult struct {
	Revision     int    `json:"revision"`
	Status       string `json:"status"`
	Chart        string `json:"chart"`
	AppVersion   string `json:"app_version"`
	Notes        string `json:"notes"`
	FirstInstall bool   `json:"first_install"`
}

// Upgrade is `helm upgrade --install` (pkg/cmd/upgrade.go): Install when
// the release has no revision or its last one is uninstalled, else Upgrade.
func Upgrade(ctx context.Context, p UpgradeParams) (UpgradeResult, error) {
	if err := p.Validate(); err != nil {
		return UpgradeResult{}, err
	}
	s, err := p.OpenSession(ctx)
	if err != nil {
		return UpgradeResult{}, err
	}
	historyMax := s.Env.MaxHistory
	if p.Options.HistoryMax != nil {
		historyMax = *p.Options.HistoryMax
	}
	s.Config.Releases.MaxHistory = historyMax
	act := s.Track()

	last, err := s.LastRelease(p.ReleaseName)
	if err != nil {
		return UpgradeResult{}, s.Classify(err, p.ReleaseName, fault.KindRelease)
	}

	runCtx, detach := kube.CancelWhileRunning(ctx)
	defer detach()
	deploy, err := Prepare(runCtx, s, &p, last, action.DryRunNone)
	if err != nil {
		return UpgradeResult{}, err
	}
	slog.Debug("deploying release", "release", p.ReleaseName, "namespace", s.Namespace, "install", deploy.Install,
		"chart", p.Chart, "values", render.DescribeSources(p.Values))

	if ctx.Err() != nil {
		// Cancelled before anything was sent: the SDK would still start.
		return UpgradeResult{}, s.Fail(fault.KindCancelled, "the deployment of release %q was cancelled before it started", p.ReleaseName).
			With("release", p.ReleaseName)
	}
	tracker := p.startTracking(runCtx, s, last)
	releaser, runErr := deploy.Run()
	detach()
	if tracker != nil {
		tracker.Stop()
	}
	if runCtx.Err() != nil {
		return afterCancel(s, act, p.ReleaseName, deploy.Install, releaser, runErr)
	}
	if runErr != nil {
		e := ClassifyDeployError(s, runErr, p.ReleaseName, p.Chart, releaser)
		if tracker != nil {
			e.Message += tracker.Diagnose()
		}
		e = leaveNothingPending(ctx, s, p.ReleaseName, last, e)
		return UpgradeResult{}, s.WithReleaseState(e, p.ReleaseName)
	}
	if err := p.convergeTracking(ctx, s, tracker); err != nil {
		return UpgradeResult{}, err
	}
	rel, err := kube.ToV1(releaser)
	if err != nil {
		return UpgradeResult{}, err
	}
	if rel == nil {
		return UpgradeResult{}, s.Fail(fault.KindInternal, "the deployment of release %q returned no release", p.ReleaseName).
			With("release", p.ReleaseName)
	}
	return deployResult(rel, deploy.Install), nil
}

// startTracking starts following the release's objects when its options
// ask for it: kubedog mode, or helm mode while Helm waits (helm itself
// says nothing while it waits). Tracking that cannot start is said at
// debug level; the deployment goes on.
func (p *UpgradeParams) startTracking(ctx context.Context, s *kube.Session, last *releasev1.Release) *track.Tracker {
	t := p.Options.Track
	if t == nil || (t.Mode != "kubedog" && !p.Options.Wait) {
		return nil
	}
	previous := 0
	if last != nil {
		previous = last.Version
	}
	tracker, err := track.Start(ctx, s, p.ReleaseName, previous, *t)
	if err != nil {
		slog.Debug("cannot track the release", "release", p.ReleaseName, "error", err)
		return nil
	}
	return tracker
}

// convergeTracking is kubedog mode after Helm returned: tracking goes on
// until every object is ready, and what does not converge is a warning, or
// the release's failure with trackFailOnError, as in helmfile.
func (p *UpgradeParams) convergeTracking(ctx context.Context, s *kube.Session, tracker *track.Tracker) error {
	if tracker == nil || p.Options.Track.Mode != "kubedog" {
		return nil
	}
	err := tracker.Converge(ctx)
	if err == nil {
		return nil
	}
	message := fmt.Sprintf("tracking release %s: %v%s", p.ReleaseName, err, tracker.Diagnose())
	if p.Options.Track.FailOnError {
		return s.Fail(fault.KindRelease, "%s", message).With("release", p.ReleaseName)
	}
	slog.Warn(message)
	return nil
}

// Validate refuses the template parameters that mean nothing to a deploy,
// and options helm would refuse.
func (p *UpgradeParams) Validate() error {
	renderOnly := map[string]bool{
		"kube_version": p.KubeVersion != "", "api_versions": len(p.APIVersions) > 0,
		"include_crds": p.IncludeCRDs, "skip_tests": p.SkipTests, "is_upgrade": p.IsUpgrade,
		"show_only": len(p.ShowOnly) > 0, "output_dir": p.OutputDir != "",
	}
	for field, set := range renderOnly {
		if set {
			return fault.Newf(fault.KindBadRequest, "invalid params: %q is a template parameter, not an upgrade one", field)
		}
	}
	if p.Namespace != "" && p.Kube.Namespace != "" && p.Namespace != p.Kube.Namespace {
		return fault.Newf(fault.KindBadRequest, "invalid params: namespace %q and kube.namespace %q differ", p.Namespace, p.Kube.Namespace)
	}
	switch p.Options.ServerSide {
	case "", "auto", "true", "false":
	default:
		return fault.Newf(fault.KindBadRequest, "invalid params: server_side must be \"auto\", \"true\" or \"false\", not %q", p.Options.ServerSide)
	}
	return nil
}

// OpenSession connects to the release's cluster and namespace (the
// request's namespace unless kube names one) with the run's repositories
// file, for the upgrade and for its preview, the diff.
func (p *UpgradeParams) OpenSession(ctx context.Context) (*kube.Session, error) {
	kubeParams := p.Kube
	if kubeParams.Namespace == "" {
		kubeParams.Namespace = p.Namespace
	}
	if p.CacheHome != "" {
		kube.KeepOpenAPIVerdictsIn(p.CacheHome)
	}
	s, err := kube.Open(ctx, kubeParams)
	if err != nil {
		return nil, err
	}
	if p.RepositoryConfig != "" {
		s.Env.RepositoryConfig = p.RepositoryConfig
	}
	return s, nil
}

func deployResult(rel *releasev1.Release, firstInstall bool) UpgradeResult {
	return UpgradeResult{
		Revision:     rel.Version,
		Status:       rel.Info.Status.String(),
		Chart:        kube.ChartName(rel.Chart),
		AppVersion:   kube.AppVersion(rel.Chart),
		Notes:        rel.Info.Notes,
		FirstInstall: firstInstall,
	}
}
