package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/postrenderer"
	ri "helm.sh/helm/v4/pkg/release"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	release "helm.sh/helm/v4/pkg/release/v1"
)

// upgradeParams is `helm upgrade --install`: the release as `template`
// takes it (render-only fields are refused), the cluster, and the options.
type upgradeParams struct {
	templateParams
	Kube    kubeSettings   `json:"kube"`
	Options upgradeOptions `json:"options"`

	// serverDryRun is set by the diff method (never decoded): the prepared
	// Install/Upgrade then runs with the server dry-run strategy.
	serverDryRun bool
}

type upgradeOptions struct {
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
	HistoryMax           *int `json:"history_max,omitempty"`
	CleanupOnFail        bool `json:"cleanup_on_fail,omitempty"`
	ReuseValues          bool `json:"reuse_values,omitempty"`
	ResetValues          bool `json:"reset_values,omitempty"`
	SkipCRDs             bool `json:"skip_crds,omitempty"`
	DisableHooks         bool `json:"disable_hooks,omitempty"`
	DisableValidation    bool `json:"disable_validation,omitempty"`
	SkipSchemaValidation bool `json:"skip_schema_validation,omitempty"`
	TakeOwnership        bool `json:"take_ownership,omitempty"`
	// ForceConflicts makes server-side apply take fields another field
	// manager owns (helm's --force-conflicts): what puts back a change
	// made by hand in the cluster.
	ForceConflicts bool              `json:"force_conflicts,omitempty"`
	ServerSide     string            `json:"server_side,omitempty"` // "auto" (default), "true", "false"
	Labels         map[string]string `json:"labels,omitempty"`
	Description    string            `json:"description,omitempty"`
}

type upgradeResult struct {
	Revision     int    `json:"revision"`
	Status       string `json:"status"`
	Chart        string `json:"chart"`
	AppVersion   string `json:"app_version"`
	Notes        string `json:"notes"`
	FirstInstall bool   `json:"first_install"`
}

const (
	// After a cancel, the SDK's goroutine is given this long to finish
	// (its waits stop at once; object creation and storage writes do not).
	cancelSettleLimit = 30 * time.Second
	cancelSettleQuiet = 300 * time.Millisecond
)

// runUpgrade is `helm upgrade --install` (pkg/cmd/upgrade.go): Install when
// the release has no revision or its last one is uninstalled, else Upgrade.
func runUpgrade(ctx context.Context, raw json.RawMessage) (any, error) {
	var p upgradeParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	s, err := p.openSession(ctx)
	if err != nil {
		return nil, err
	}
	historyMax := s.settings.MaxHistory
	if p.Options.HistoryMax != nil {
		historyMax = *p.Options.HistoryMax
	}
	s.cfg.Releases.MaxHistory = historyMax
	act := s.track()

	last, err := s.lastRelease(p.ReleaseName)
	if err != nil {
		return nil, s.classify(err, p.ReleaseName, KindRelease)
	}
	firstInstall := last == nil || last.Info.Status == rcommon.StatusUninstalled

	runCtx, detach := cancelWhileRunning(ctx)
	defer detach()
	var run func() (ri.Releaser, error)
	if firstInstall {
		run, err = p.prepareInstall(runCtx, s, last != nil)
	} else {
		run, err = p.prepareUpgrade(runCtx, s)
	}
	if err != nil {
		return nil, err
	}
	slog.Debug("deploying release", "release", p.ReleaseName, "namespace", s.namespace, "install", firstInstall,
		"chart", p.Chart, "values", describeSources(p.Values))

	if ctx.Err() != nil {
		// Cancelled before anything was sent: the SDK would still start.
		return nil, s.fail(KindCancelled, "the deployment of release %q was cancelled before it started", p.ReleaseName).
			withDetail("release", p.ReleaseName)
	}
	releaser, runErr := run()
	detach()
	if runCtx.Err() != nil {
		return s.afterCancel(act, p.ReleaseName, firstInstall, releaser, runErr)
	}
	if runErr != nil {
		e := classifyDeployError(s, runErr, p.ReleaseName, p.Chart, releaser)
		return nil, s.withReleaseState(e, p.ReleaseName)
	}
	rel, err := toV1(releaser)
	if err != nil {
		return nil, err
	}
	return deployResult(rel, firstInstall), nil
}

// validate refuses the template parameters that mean nothing to a deploy.
func (p *upgradeParams) validate() error {
	renderOnly := map[string]bool{
		"kube_version": p.KubeVersion != "", "api_versions": len(p.APIVersions) > 0,
		"include_crds": p.IncludeCRDs, "skip_tests": p.SkipTests, "is_upgrade": p.IsUpgrade,
		"show_only": len(p.ShowOnly) > 0, "output_dir": p.OutputDir != "",
	}
	for field, set := range renderOnly {
		if set {
			return failf(KindBadRequest, "invalid params: %q is a template parameter, not an upgrade one", field)
		}
	}
	if p.Namespace != "" && p.Kube.Namespace != "" && p.Namespace != p.Kube.Namespace {
		return failf(KindBadRequest, "invalid params: namespace %q and kube.namespace %q differ", p.Namespace, p.Kube.Namespace)
	}
	switch p.Options.ServerSide {
	case "", "auto", "true", "false":
	default:
		return failf(KindBadRequest, "invalid params: server_side must be \"auto\", \"true\" or \"false\", not %q", p.Options.ServerSide)
	}
	return nil
}

// prepareInstall sets up Install as helm's upgrade --install does.
func (p *upgradeParams) prepareInstall(ctx context.Context, s *kubeSession, replace bool) (func() (ri.Releaser, error), error) {
	o := p.Options
	client := action.NewInstall(s.cfg)
	client.ReleaseName = p.ReleaseName
	client.Namespace = s.namespace
	client.CreateNamespace = o.CreateNamespace == nil || *o.CreateNamespace
	client.Version = p.ChartVersion
	client.ForceReplace = o.Force
	client.DisableHooks = o.DisableHooks
	client.SkipCRDs = o.SkipCRDs
	client.Timeout = timeoutOrDefault(o.TimeoutSeconds)
	client.WaitStrategy = waitStrategy(o.Wait)
	client.WaitOptions = waitOptions(ctx)
	client.WaitForJobs = o.WaitForJobs
	client.RollbackOnFailure = o.Atomic
	client.DisableOpenAPIValidation = o.DisableValidation
	client.SkipSchemaValidation = o.SkipSchemaValidation
	client.Description = o.Description
	client.Labels = o.Labels
	client.TakeOwnership = o.TakeOwnership
	client.ForceConflicts = o.ForceConflicts
	client.ServerSideApply = o.ServerSide != "false"
	client.Replace = replace // the last revision is uninstalled
	if p.serverDryRun {
		client.DryRunStrategy = action.DryRunServer
	}
	chrt, vals, err := p.chartAndValues(ctx, s, &client.ChartPathOptions, &client.PostRenderer)
	if err != nil {
		return nil, err
	}
	return func() (ri.Releaser, error) { return client.RunWithContext(ctx, chrt, vals) }, nil
}

// prepareUpgrade sets up Upgrade as helm's upgrade command does.
func (p *upgradeParams) prepareUpgrade(ctx context.Context, s *kubeSession) (func() (ri.Releaser, error), error) {
	o := p.Options
	client := action.NewUpgrade(s.cfg)
	client.Install = true
	client.Namespace = s.namespace
	client.Version = p.ChartVersion
	client.ForceReplace = o.Force
	client.DisableHooks = o.DisableHooks
	client.SkipCRDs = o.SkipCRDs
	client.Timeout = timeoutOrDefault(o.TimeoutSeconds)
	client.WaitStrategy = waitStrategy(o.Wait)
	client.WaitOptions = waitOptions(ctx)
	client.WaitForJobs = o.WaitForJobs
	client.RollbackOnFailure = o.Atomic
	client.MaxHistory = s.cfg.Releases.MaxHistory
	client.CleanupOnFail = o.CleanupOnFail
	client.ReuseValues = o.ReuseValues
	client.ResetValues = o.ResetValues
	client.DisableOpenAPIValidation = o.DisableValidation
	client.SkipSchemaValidation = o.SkipSchemaValidation
	client.Description = o.Description
	client.Labels = o.Labels
	client.TakeOwnership = o.TakeOwnership
	client.ForceConflicts = o.ForceConflicts
	client.ServerSideApply = "auto"
	if o.ServerSide != "" {
		client.ServerSideApply = o.ServerSide
	}
	if p.serverDryRun {
		client.DryRunStrategy = action.DryRunServer
	}
	chrt, vals, err := p.chartAndValues(ctx, s, &client.ChartPathOptions, &client.PostRenderer)
	if err != nil {
		return nil, err
	}
	return func() (ri.Releaser, error) { return client.RunWithContext(ctx, p.ReleaseName, chrt, vals) }, nil
}

// chartAndValues is what Install and Upgrade share before running: the
// post-renderer, the chart (located, loaded and checked) and the merged
// values.
func (p *upgradeParams) chartAndValues(
	ctx context.Context,
	s *kubeSession,
	chartOpts *action.ChartPathOptions,
	pr *postrenderer.PostRenderer,
) (chart.Charter, map[string]any, error) {
	if err := p.attachPostRenderer(ctx, pr); err != nil {
		return nil, nil, err
	}
	chrt, err := loadInstallableChart(chartOpts, p.Chart, s.settings)
	if err != nil {
		return nil, nil, err
	}
	vals, err := mergeValues(p.Values, p.Overrides)
	if err != nil {
		return nil, nil, err
	}
	return chrt, vals, nil
}

// attachPostRenderer sets up the exec post-renderer, followed by the image
// substitutions (images.go) when there are any; with neither, none.
func (p *upgradeParams) attachPostRenderer(ctx context.Context, dst *postrenderer.PostRenderer) error {
	var pr postrenderer.PostRenderer
	if p.PostRenderer != "" {
		exec, err := newExecPostRenderer(ctx, p.PostRenderer, p.PostRendererArgs)
		if err != nil {
			return err
		}
		pr = exec
	}
	pr, err := withImageSubstitutions(pr, p.ImageSubstitutions)
	if err != nil {
		return err
	}
	if pr != nil {
		*dst = pr
	}
	return nil
}

// afterCancel answers a cancelled install or upgrade once the SDK's
// goroutine has settled, with the state the release was left in.
func (s *kubeSession) afterCancel(act *activity, name string, install bool, releaser ri.Releaser, runErr error) (any, error) {
	settled := act.settle(cancelSettleQuiet, cancelSettleLimit)
	rel, err := s.lastRelease(name)
	if err != nil {
		return nil, s.fail(KindCancelled, "the deployment of release %q was cancelled, and its state could not be read: %v", name, err).
			withDetail("release", name).withDetail("settled", strconv.FormatBool(settled))
	}
	// The operation may have completed before the cancel took effect.
	if done, _ := toV1(releaser); runErr == nil && done != nil && rel != nil &&
		rel.Version == done.Version && rel.Info.Status == rcommon.StatusDeployed {
		return deployResult(rel, install), nil
	}
	op := "upgrade"
	if install {
		op = "install"
	}
	e := s.fail(KindCancelled, "the %s of release %q was cancelled", op, name).
		withDetail("release", name).withDetail("settled", strconv.FormatBool(settled))
	if rel == nil {
		e.Message += "; no revision of it is stored"
		return nil, e.withDetail("status", "none").withDetail("pending", "false")
	}
	status := rel.Info.Status
	e.Message += fmt.Sprintf("; its revision %d is %s", rel.Version, status)
	if status.IsPending() {
		e.Message += " (left pending: a later operation will refuse to run until it is rolled back or uninstalled)"
	}
	if !settled {
		e.Message += fmt.Sprintf("; the operation was still running after %s", cancelSettleLimit)
	}
	return nil, e.withDetail("status", status.String()).withDetail("revision", strconv.Itoa(rel.Version)).
		withDetail("pending", strconv.FormatBool(status.IsPending()))
}

// classifyDeployError tells chart problems (render, values schema) from
// cluster and release failures. The SDK's render errors are plain strings
// (pkg/engine reformats them), so they are recognised by their shape; an
// Install that failed to render returns its release marked so.
func classifyDeployError(s *kubeSession, err error, name, chart string, partial ri.Releaser) *ShimError {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return s.classify(err, name, KindRelease)
	}
	msg := err.Error()
	rel, _ := toV1(partial)
	switch {
	case strings.Contains(msg, "values don't meet the specifications of the schema"):
		return (&ShimError{Kind: KindSchema, Message: msg}).withDetail("chart", chart)
	case rel != nil && rel.Info != nil && strings.HasPrefix(rel.Info.Description, "failed to render resource"),
		isRenderError(msg):
		return (&ShimError{Kind: KindRender, Message: msg}).withDetail("chart", chart)
	case strings.HasPrefix(msg, "chart requires kubeVersion"):
		return (&ShimError{Kind: KindChart, Message: msg}).withDetail("chart", chart)
	}
	return s.classify(err, name, KindRelease)
}

func isRenderError(msg string) bool {
	for _, shape := range []string{`executing "`, "parse error", "execution error at (", "rendering template failed", "no template "} {
		if strings.Contains(msg, shape) {
			return true
		}
	}
	return strings.HasPrefix(msg, "template: ")
}

func deployResult(rel *release.Release, firstInstall bool) upgradeResult {
	return upgradeResult{
		Revision:     rel.Version,
		Status:       rel.Info.Status.String(),
		Chart:        chartName(rel.Chart),
		AppVersion:   appVersion(rel.Chart),
		Notes:        rel.Info.Notes,
		FirstInstall: firstInstall,
	}
}

// openSession connects to the release's cluster and namespace (the
// request's namespace unless kube names one) with the run's repositories
// file, for the upgrade and for its preview, the diff.
func (p *upgradeParams) openSession(ctx context.Context) (*kubeSession, error) {
	kubeParams := p.Kube
	if kubeParams.Namespace == "" {
		kubeParams.Namespace = p.Namespace
	}
	s, err := openKube(ctx, kubeParams, false)
	if err != nil {
		return nil, err
	}
	if p.RepositoryConfig != "" {
		s.settings.RepositoryConfig = p.RepositoryConfig
	}
	return s, nil
}
