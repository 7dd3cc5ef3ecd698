package release

import (
	"context"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart"
	"helm.sh/helm/v4/pkg/postrenderer"
	ri "helm.sh/helm/v4/pkg/release"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"

	"github.com/helmfire/helmfire/go-shim/internal/kube"
	"github.com/helmfire/helmfire/go-shim/internal/render"
)

// Deployment is one `helm upgrade --install`, set up and not yet run: an
// Install when the release has no revision or its last one is
// uninstalled, else an Upgrade.
type Deployment struct {
	// Install tells that it is an Install (the release is not installed).
	Install bool
	run     func() (ri.Releaser, error)
}

// Run runs the Install or Upgrade.
func (d *Deployment) Run() (ri.Releaser, error) { return d.run() }

// Prepare sets up the deployment of p over last (the release's last
// revision, nil when it has none) as helm's upgrade --install does, with
// the given dry-run strategy: action.DryRunNone to deploy, DryRunServer for
// the diff's preview. ctx is the context the SDK watches while it runs.
func Prepare(ctx context.Context, s *kube.Session, p *UpgradeParams, last *releasev1.Release, dryRun action.DryRunStrategy) (*Deployment, error) {
	install := last == nil || last.Info.Status == rcommon.StatusUninstalled
	var run func() (ri.Releaser, error)
	var err error
	if install {
		// Replace: the last revision is uninstalled (kept in history).
		run, err = p.prepareInstall(ctx, s, last != nil, dryRun)
	} else {
		run, err = p.prepareUpgrade(ctx, s, dryRun)
	}
	if err != nil {
		return nil, err
	}
	return &Deployment{Install: install, run: run}, nil
}

// prepareInstall sets up Install as helm's upgrade --install does.
func (p *UpgradeParams) prepareInstall(ctx context.Context, s *kube.Session, replace bool, dryRun action.DryRunStrategy) (func() (ri.Releaser, error), error) {
	o := p.Options
	client := action.NewInstall(s.Config)
	client.ReleaseName = p.ReleaseName
	client.Namespace = s.Namespace
	client.CreateNamespace = o.CreateNamespace == nil || *o.CreateNamespace
	p.TemplateParams.ChartPathOptions(&client.ChartPathOptions)
	client.ForceReplace = o.Force
	client.DisableHooks = o.DisableHooks
	client.SkipCRDs = o.SkipCRDs
	client.Timeout = kube.Timeout(o.TimeoutSeconds)
	client.WaitStrategy = kube.WaitStrategy(o.Wait)
	client.WaitOptions = kube.WaitOptions(ctx)
	client.WaitForJobs = o.WaitForJobs
	client.RollbackOnFailure = o.Atomic
	client.DisableOpenAPIValidation = o.DisableValidation
	client.SkipSchemaValidation = p.SkipSchemaValidation
	client.EnableDNS = p.EnableDNS
	client.Description = o.Description
	client.Labels = o.Labels
	client.TakeOwnership = o.TakeOwnership
	client.ForceConflicts = o.ForceConflicts
	client.ServerSideApply = o.ServerSide != "false"
	client.Replace = replace
	client.DryRunStrategy = dryRun
	chrt, vals, err := p.chartAndValues(ctx, s, &client.ChartPathOptions, &client.PostRenderer)
	if err != nil {
		return nil, err
	}
	return func() (ri.Releaser, error) { return client.RunWithContext(ctx, chrt, vals) }, nil
}

// prepareUpgrade sets up Upgrade as helm's upgrade command does.
func (p *UpgradeParams) prepareUpgrade(ctx context.Context, s *kube.Session, dryRun action.DryRunStrategy) (func() (ri.Releaser, error), error) {
	o := p.Options
	client := action.NewUpgrade(s.Config)
	client.Install = true
	client.Namespace = s.Namespace
	p.TemplateParams.ChartPathOptions(&client.ChartPathOptions)
	client.ForceReplace = o.Force
	client.DisableHooks = o.DisableHooks
	client.SkipCRDs = o.SkipCRDs
	client.Timeout = kube.Timeout(o.TimeoutSeconds)
	client.WaitStrategy = kube.WaitStrategy(o.Wait)
	client.WaitOptions = kube.WaitOptions(ctx)
	client.WaitForJobs = o.WaitForJobs
	client.RollbackOnFailure = o.Atomic
	client.MaxHistory = s.Config.Releases.MaxHistory
	client.CleanupOnFail = o.CleanupOnFail
	client.ReuseValues = o.ReuseValues
	client.ResetValues = o.ResetValues
	client.DisableOpenAPIValidation = o.DisableValidation
	client.SkipSchemaValidation = p.SkipSchemaValidation
	client.EnableDNS = p.EnableDNS
	client.Description = o.Description
	client.Labels = o.Labels
	client.TakeOwnership = o.TakeOwnership
	client.ForceConflicts = o.ForceConflicts
	client.ServerSideApply = "auto"
	if o.ServerSide != "" {
		client.ServerSideApply = o.ServerSide
	}
	client.DryRunStrategy = dryRun
	chrt, vals, err := p.chartAndValues(ctx, s, &client.ChartPathOptions, &client.PostRenderer)
	if err != nil {
		return nil, err
	}
	return func() (ri.Releaser, error) { return client.RunWithContext(ctx, p.ReleaseName, chrt, vals) }, nil
}

// chartAndValues is what Install and Upgrade share before running: the
// post-renderer (the exec one and the image substitutions), the chart
// (located, loaded and checked) and the merged values.
func (p *UpgradeParams) chartAndValues(
	ctx context.Context,
	s *kube.Session,
	chartOpts *action.ChartPathOptions,
	dst *postrenderer.PostRenderer,
) (chart.Charter, map[string]any, error) {
	pr, err := render.PostRenderer(ctx, p.TemplateParams)
	if err != nil {
		return nil, nil, err
	}
	if pr != nil {
		*dst = pr
	}
	chrt, err := render.LoadInstallableChart(chartOpts, p.Chart, s.Env)
	if err != nil {
		return nil, nil, err
	}
	vals, err := render.MergeValues(p.Values, p.Overrides)
	if err != nil {
		return nil, nil, err
	}
	return chrt, vals, nil
}
