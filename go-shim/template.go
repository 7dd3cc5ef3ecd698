package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/kube"
	release "helm.sh/helm/v4/pkg/release/v1"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
)

// templateParams is one release to render offline, with the flags of
// `helm template` that helmfire passes through.
type templateParams struct {
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
}

// templateResult is what `helm template` would have printed on stdout:
// the manifests, or the "wrote FILE" lines when OutputDir is set.
type templateResult struct {
	Stdout string `json:"stdout"`
}

// runTemplate is `helm template NAME CHART` done in-process. It follows
// helm's pkg/cmd/template.go step by step so the output is byte for byte the
// same; the oracle test holds it to that.
func runTemplate(ctx context.Context, raw json.RawMessage) (any, error) {
	var p templateParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(newSinkHandler()))
	client := action.NewInstall(cfg)
	client.DryRunStrategy = action.DryRunClient
	client.WaitStrategy = kube.HookOnlyStrategy
	client.Replace = true // skip the name check, as helm template does
	client.ReleaseName = p.ReleaseName
	client.Namespace = namespaceOrDefault(p.Namespace)
	client.Version = p.ChartVersion
	client.APIVersions = common.VersionSet(p.APIVersions)
	client.IncludeCRDs = p.IncludeCRDs
	client.IsUpgrade = p.IsUpgrade
	if p.KubeVersion != "" {
		parsed, err := common.ParseKubeVersion(p.KubeVersion)
		if err != nil {
			return nil, failf(KindValues, "invalid kube version %q: %v", p.KubeVersion, err)
		}
		client.KubeVersion = parsed
	}

	if p.PostRenderer != "" {
		pr, err := newExecPostRenderer(ctx, p.PostRenderer, p.PostRendererArgs)
		if err != nil {
			return nil, err
		}
		client.PostRenderer = pr
	}
	// Image substitutions (images.go) rewrite the rendered release below
	// rather than run as a post-renderer: helm re-serialises the manifests
	// around any post-renderer, and only the image values may change here.
	images, err := newImageSubstituter(p.ImageSubstitutions)
	if err != nil {
		return nil, err
	}
	settings := cli.New()
	if p.RepositoryConfig != "" {
		settings.RepositoryConfig = p.RepositoryConfig
	}
	chrt, err := loadInstallableChart(&client.ChartPathOptions, p.Chart, settings)
	if err != nil {
		return nil, err
	}
	vals, err := mergeValues(p.Values, p.Overrides)
	if err != nil {
		return nil, err
	}
	slog.Debug("rendering release", "release", p.ReleaseName, "chart", p.Chart, "values", describeSources(p.Values))

	releaser, err := client.RunWithContext(ctx, chrt, vals)
	if ctx.Err() != nil {
		return nil, classify(ctx.Err(), KindCancelled)
	}
	rel, _ := releaser.(*release.Release)
	if err != nil {
		return nil, classifyInstallError(err, rel != nil, p.Chart)
	}
	images.applyToRelease(rel) // a no-op without substitutions
	if p.OutputDir != "" {
		return writeOutputDir(p.OutputDir, renderedFiles(rel, p.SkipTests))
	}
	manifests := assembleManifests(rel, p.SkipTests)
	if len(p.ShowOnly) > 0 {
		shown, err := filterShowOnly(manifests, p.ShowOnly)
		if err != nil {
			return nil, err
		}
		return templateResult{Stdout: shown}, nil
	}
	return templateResult{Stdout: manifests}, nil
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
func classifyInstallError(err error, rendered bool, chart string) *ShimError {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "values don't meet the specifications of the schema"):
		return (&ShimError{Kind: KindSchema, Message: msg}).withDetail("chart", chart)
	case rendered || strings.Contains(msg, "template:") || strings.Contains(msg, "parse error"):
		return (&ShimError{Kind: KindRender, Message: msg}).withDetail("chart", chart)
	default:
		return (&ShimError{Kind: KindInternal, Message: msg}).withDetail("chart", chart)
	}
}

// assembleManifests joins the release manifest and its hooks exactly as
// `helm template` prints them.
func assembleManifests(rel *release.Release, skipTests bool) string {
	var out bytes.Buffer
	fmt.Fprintln(&out, strings.TrimSpace(rel.Manifest))
	for _, hook := range rel.Hooks {
		if skipTests && slices.Contains(hook.Events, release.HookTest) {
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", hook.Path, hook.Manifest)
	}
	return out.String()
}

var showOnlySourceRe = regexp.MustCompile("# Source: [^/]+/(.+)")

// filterShowOnly keeps the manifests rendered from the given templates, in
// the order helm's --show-only prints them.
func filterShowOnly(manifests string, patterns []string) (string, error) {
	split := releaseutil.SplitManifests(manifests)
	keys := make([]string, 0, len(split))
	for k := range split {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))

	var out strings.Builder
	for _, pattern := range patterns {
		pattern = filepath.ToSlash(pattern)
		found := false
		for _, key := range keys {
			manifest := split[key]
			match := showOnlySourceRe.FindStringSubmatch(manifest)
			if len(match) == 0 {
				continue
			}
			if ok, _ := filepath.Match(pattern, match[1]); !ok {
				continue
			}
			fmt.Fprintf(&out, "---\n%s\n", manifest)
			found = true
		}
		if !found {
			return "", failf(KindRender, "could not find template %s in chart", pattern)
		}
	}
	return out.String(), nil
}
