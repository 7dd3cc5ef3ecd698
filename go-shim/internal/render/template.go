package render

import (
	"context"
	"log/slog"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/kube"
	release "helm.sh/helm/v4/pkg/release/v1"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	shimkube "github.com/helmfire/helmfire/go-shim/internal/kube"
)

// TemplateParams is one release to render offline, with the flags of
// `helm template` that helmfire passes through.
type TemplateParams struct {
	ReleaseName  string         `json:"release_name"`
	Namespace    string         `json:"namespace"`
	Chart        string         `json:"chart"`
	ChartVersion string         `json:"chart_version,omitempty"`
	Values       []ValueSource  `json:"values,omitempty"`
	Overrides    ValueOverrides `json:"overrides"`
	KubeVersion  string         `json:"kube_version,omitempty"`
	APIVersions  []string       `json:"api_versions,omitempty"`
	IncludeCRDs  bool           `json:"include_crds,omitempty"`
	SkipTests    bool           `json:"skip_tests,omitempty"`
	IsUpgrade    bool           `json:"is_upgrade,omitempty"`
	ShowOnly     []string       `json:"show_only,omitempty"`
	// PostRenderer is a program the manifests are piped through (helm 3's
	// --post-renderer, helmfile's postRenderer:), with PostRendererArgs.
	PostRenderer     string   `json:"post_renderer,omitempty"`
	PostRendererArgs []string `json:"post_renderer_args,omitempty"`
	// ImageSubstitutions rewrite container images after rendering (and
	// after PostRenderer); see images.go for the matching rules.
	ImageSubstitutions []ImageSubstitution `json:"image_substitutions,omitempty"`
	// RepositoryConfig is the repositories file written by the repos method,
	// used to resolve `repo/chart` references; empty means helm's own.
	RepositoryConfig string `json:"repository_config,omitempty"`
	// OutputDir, when set, receives one file per template instead of stdout,
	// laid out as `helm template --output-dir` does.
	OutputDir string `json:"output_dir,omitempty"`
	// SkipSchemaValidation is --skip-schema-validation.
	SkipSchemaValidation bool `json:"skip_schema_validation,omitempty"`
	// Verify is --verify for a chart archive on disk (its .prov beside it),
	// checked against Keyring (empty: helm's default keyring). Remote
	// charts are verified when they are pulled.
	Verify  bool   `json:"verify,omitempty"`
	Keyring string `json:"keyring,omitempty"`
	// EnableDNS is --enable-dns: templates may look up host names.
	EnableDNS bool `json:"enable_dns,omitempty"`
	// DisableHooks is --no-hooks: the charts' hooks are left out.
	DisableHooks bool `json:"disable_hooks,omitempty"`
	// Validate is --validate (helm's --dry-run=server): the manifests are
	// checked by the API server of Kube, and Capabilities come from it.
	Validate bool               `json:"validate,omitempty"`
	Kube     *shimkube.Settings `json:"validate_kube,omitempty"`
}

// ChartPathOptions sets the chart-locating options p carries.
func (p TemplateParams) ChartPathOptions(opts *action.ChartPathOptions) {
	opts.Version = p.ChartVersion
	opts.Verify = p.Verify
	opts.Keyring = p.Keyring
	if p.Verify && opts.Keyring == "" {
		opts.Keyring = DefaultKeyring()
	}
}

// TemplateResult is what `helm template` would have printed on stdout:
// the manifests, or the "wrote FILE" lines when OutputDir is set.
type TemplateResult struct {
	Stdout string `json:"stdout"`
}

// Template is `helm template NAME CHART` done in-process. It follows
// helm's pkg/cmd/template.go step by step so the output is byte for byte the
// same; the oracle test holds it to that.
func Template(ctx context.Context, p TemplateParams) (TemplateResult, error) {
	// The default slog handler is the shim's log sink (set up by main).
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(slog.Default().Handler()))
	dryRun := action.DryRunClient
	if p.Validate {
		if p.Kube == nil {
			return TemplateResult{}, fault.Newf(fault.KindInternal, "--validate needs a cluster to validate against")
		}
		s, err := shimkube.Open(ctx, *p.Kube)
		if err != nil {
			return TemplateResult{}, err
		}
		cfg = s.Config
		dryRun = action.DryRunServer
	}
	client := action.NewInstall(cfg)
	client.DryRunStrategy = dryRun
	client.WaitStrategy = kube.HookOnlyStrategy
	client.Replace = true // skip the name check, as helm template does
	client.ReleaseName = p.ReleaseName
	client.Namespace = namespaceOrDefault(p.Namespace)
	p.ChartPathOptions(&client.ChartPathOptions)
	client.SkipSchemaValidation = p.SkipSchemaValidation
	client.EnableDNS = p.EnableDNS
	client.DisableHooks = p.DisableHooks
	client.APIVersions = common.VersionSet(p.APIVersions)
	client.IncludeCRDs = p.IncludeCRDs
	client.IsUpgrade = p.IsUpgrade
	if p.KubeVersion != "" {
		parsed, err := common.ParseKubeVersion(p.KubeVersion)
		if err != nil {
			return TemplateResult{}, fault.Newf(fault.KindValues, "invalid kube version %q: %v", p.KubeVersion, err)
		}
		client.KubeVersion = parsed
	}

	if p.PostRenderer != "" {
		pr, err := newExecPostRenderer(ctx, p.PostRenderer, p.PostRendererArgs)
		if err != nil {
			return TemplateResult{}, err
		}
		client.PostRenderer = pr
	}
	// Image substitutions (images.go) rewrite the rendered release below
	// rather than run as a post-renderer: helm re-serialises the manifests
	// around any post-renderer, and only the image values may change here.
	images, err := newImageSubstituter(p.ImageSubstitutions)
	if err != nil {
		return TemplateResult{}, err
	}
	settings := cli.New()
	if p.RepositoryConfig != "" {
		settings.RepositoryConfig = p.RepositoryConfig
	}
	chrt, err := LoadInstallableChart(&client.ChartPathOptions, p.Chart, settings)
	if err != nil {
		return TemplateResult{}, err
	}
	vals, err := MergeValues(p.Values, p.Overrides)
	if err != nil {
		return TemplateResult{}, err
	}
	slog.Debug("rendering release", "release", p.ReleaseName, "chart", p.Chart, "values", DescribeSources(p.Values))

	releaser, err := client.RunWithContext(ctx, chrt, vals)
	if ctx.Err() != nil {
		return TemplateResult{}, fault.Classify(ctx.Err(), fault.KindCancelled)
	}
	// A render failure comes with a partial release: nil here only when
	// nothing rendered.
	rel, _ := releaser.(*release.Release)
	if err != nil {
		return TemplateResult{}, classifyInstallError(err, rel != nil, p.Chart)
	}
	if rel == nil {
		return TemplateResult{}, fault.Newf(fault.KindInternal, "rendering chart %s returned a %T, not a release", p.Chart, releaser).With("chart", p.Chart)
	}
	images.applyToRelease(rel) // a no-op without substitutions
	if p.DisableHooks {
		// helm template prints no hooks with --no-hooks.
		rel.Hooks = nil
	}
	if p.OutputDir != "" {
		return writeOutputDir(p.OutputDir, renderedFiles(rel, p.SkipTests))
	}
	manifests := assembleManifests(rel, p.SkipTests)
	if len(p.ShowOnly) > 0 {
		shown, err := filterShowOnly(manifests, p.ShowOnly)
		if err != nil {
			return TemplateResult{}, err
		}
		return TemplateResult{Stdout: shown}, nil
	}
	return TemplateResult{Stdout: manifests}, nil
}

func namespaceOrDefault(ns string) string {
	if ns == "" {
		return "default"
	}
	return ns
}

// classifyInstallError tells a template error from a values schema failure.
// Both come out of Install.Run as plain errors; a render failure comes with a
// partial release.
func classifyInstallError(err error, rendered bool, chart string) *fault.Error {
	msg := err.Error()
	switch {
	case IsSchemaError(msg):
		return fault.New(fault.KindSchema, msg).With("chart", chart)
	case rendered || strings.Contains(msg, "template:") || strings.Contains(msg, "parse error"):
		return fault.New(fault.KindRender, msg).With("chart", chart)
	default:
		return fault.New(fault.KindInternal, msg).With("chart", chart)
	}
}

// IsSchemaError tells a values schema failure (values.schema.json) by the
// SDK's message, the only way it can be told.
func IsSchemaError(msg string) bool {
	return strings.Contains(msg, "values don't meet the specifications of the schema")
}
