package charts

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/spf13/pflag"
	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/cli"
	"helm.sh/helm/v4/pkg/repo/v1"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/render"
)

// This file is the helm binary that kustomize runs to inflate a
// kustomization's `helmCharts:` (its HelmChartInflationGenerator execs
// `helm version`, `helm pull` and `helm template`). helmfire has no helm
// binary, so kustomize is pointed at helmfire itself under the name
// KustomizeHelmCommand; the Rust main sees that name and hands its
// arguments here. Only what kustomize passes is understood, with helm's
// meaning; anything else is refused by name.

// KustomizeHelmCommand is the name helmfire answers to as kustomize's helm
// (src/commands/kustomize_helm.rs checks the same name).
const KustomizeHelmCommand = "helmfire-kustomize-helm"

// kustomizeHelmErrorPrefix starts what helmfire prints on stderr when a
// command fails (src/commands/kustomize_helm.rs prints it).
const kustomizeHelmErrorPrefix = "Error: "

// KustomizeHelmParams is one command line kustomize gave its helm.
type KustomizeHelmParams struct {
	Args     []string `json:"args"`
	CacheDir string   `json:"cache_dir"`
}

// KustomizeHelmResult is what helm would have printed on stdout.
type KustomizeHelmResult struct {
	Stdout string `json:"stdout"`
}

// KustomizeHelm runs one of the helm commands kustomize uses.
func KustomizeHelm(ctx context.Context, p KustomizeHelmParams) (KustomizeHelmResult, error) {
	if len(p.Args) == 0 {
		return KustomizeHelmResult{}, fault.Newf(fault.KindValues, "%s is run by kustomize with a helm command (version, pull or template); it was given none", KustomizeHelmCommand)
	}
	switch p.Args[0] {
	case "version":
		return kustomizeHelmVersion(p.Args[1:])
	case "pull":
		return kustomizeHelmPull(ctx, p.Args[1:], p.CacheDir)
	case "template":
		return kustomizeHelmTemplate(ctx, p.Args[1:])
	default:
		return KustomizeHelmResult{}, fault.Newf(fault.KindValues, "kustomize asked for `helm %s`; helmfire inflates `helmCharts:` with helm's version, pull and template only",
			strings.Join(p.Args, " "))
	}
}

// kustomizeHelmFlags parses args as helm's command would, refusing flags
// kustomize never passes rather than ignoring them.
func kustomizeHelmFlags(command string, args []string, define func(*pflag.FlagSet)) (*pflag.FlagSet, error) {
	flags := pflag.NewFlagSet("helm "+command, pflag.ContinueOnError)
	flags.SetOutput(discard{})
	flags.Bool("debug", false, "")
	define(flags)
	if err := flags.Parse(args); err != nil {
		return nil, fault.Newf(fault.KindValues, "kustomize ran `helm %s %s`: %v (helmfire understands the flags kustomize passes to helm %s, no others)",
			command, strings.Join(args, " "), err, command)
	}
	return flags, nil
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }

// kustomizeHelmVersion is `helm version --short`: kustomize checks that
// the major version is 3 or 4.
func kustomizeHelmVersion(args []string) (KustomizeHelmResult, error) {
	if _, err := kustomizeHelmFlags("version", args, func(f *pflag.FlagSet) {
		f.Bool("short", false, "")
		f.BoolP("client", "c", false, "")
	}); err != nil {
		return KustomizeHelmResult{}, err
	}
	// What `helm version --short` prints of the embedded SDK: its module
	// version (a build from modules has no git commit to append); helm's
	// own, shorter, constant where the binary carries no module list
	// (tests).
	version := common.DefaultCapabilities.HelmVersion.Version
	if build, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range build.Deps {
			if dep.Path == "helm.sh/helm/v4" {
				version = dep.Version
			}
		}
	}
	return KustomizeHelmResult{Stdout: version + "\n"}, nil
}

// kustomizeHelmPull is `helm pull --untar --untardir DIR [--repo URL]
// CHART [--version V] [--devel]`, through the chart cache.
func kustomizeHelmPull(ctx context.Context, args []string, cacheDir string) (KustomizeHelmResult, error) {
	var untar, devel bool
	var untarDir, repoURL, version string
	flags, err := kustomizeHelmFlags("pull", args, func(f *pflag.FlagSet) {
		f.BoolVar(&untar, "untar", false, "")
		f.StringVar(&untarDir, "untardir", ".", "")
		f.StringVar(&repoURL, "repo", "", "")
		f.StringVar(&version, "version", "", "")
		f.BoolVar(&devel, "devel", false, "")
	})
	if err != nil {
		return KustomizeHelmResult{}, err
	}
	if flags.NArg() != 1 || !untar {
		return KustomizeHelmResult{}, fault.Newf(fault.KindValues, "kustomize ran `helm pull %s`; helmfire expects one chart and --untar", strings.Join(args, " "))
	}
	chart := flags.Arg(0)
	pull := PullParams{Chart: chart, Version: version, CacheDir: cacheDir, UntarTo: untarDir, ChartOptions: ChartOptions{Devel: devel}}
	if repoURL != "" {
		// `--repo URL CHART`: a repositories file of its own names the
		// repository, so the cache, the index and the downloader are the
		// ones every other chart goes through.
		tmp, err := os.MkdirTemp("", "helmfire-kustomize-repo-")
		if err != nil {
			return KustomizeHelmResult{}, fault.Newf(fault.KindIO, "creating a temp directory: %v", err)
		}
		defer os.RemoveAll(tmp)
		// Named after its URL: the index lands in helm's repository cache
		// (kustomize gives each inflation a cache of its own).
		r := Repository{Name: fmt.Sprintf("kustomize-%x", sha256.Sum256([]byte(repoURL)))[:20], URL: repoURL}
		file := repo.NewFile()
		file.Add(r.entry())
		pull.RepositoryConfig = filepath.Join(tmp, "repositories.yaml")
		if err := file.WriteFile(pull.RepositoryConfig, 0o600); err != nil {
			return KustomizeHelmResult{}, fault.Newf(fault.KindIO, "writing %s: %v", pull.RepositoryConfig, err)
		}
		// helm pull --repo reads the repository's index every time.
		if err := downloadIndex(r, depsSettings(pull.RepositoryConfig)); err != nil {
			return KustomizeHelmResult{}, fault.Newf(fault.KindRepository, "pulling chart %s: %v", chart, err).With("chart", chart)
		}
		pull.Chart = r.Name + "/" + chart
	}
	if _, err := Pull(ctx, pull); err != nil {
		return KustomizeHelmResult{}, err
	}
	return KustomizeHelmResult{}, nil
}

// kustomizeHelmTemplate is `helm template [NAME] CHART` with the flags
// kustomize's HelmChart.AsHelmArgs writes, rendered by the same code as
// `helmfire template` (byte for byte helm's output).
func kustomizeHelmTemplate(ctx context.Context, args []string) (KustomizeHelmResult, error) {
	install := action.NewInstall(&action.Configuration{})
	var namespace, kubeVersion string
	var values, apiVersions []string
	var includeCRDs, skipTests, noHooks bool
	flags, err := kustomizeHelmFlags("template", args, func(f *pflag.FlagSet) {
		f.BoolVarP(&install.GenerateName, "generate-name", "g", false, "")
		f.StringVar(&install.NameTemplate, "name-template", "", "")
		f.StringVarP(&namespace, "namespace", "n", "", "")
		f.StringArrayVarP(&values, "values", "f", nil, "")
		f.StringArrayVarP(&apiVersions, "api-versions", "a", nil, "")
		f.StringVar(&kubeVersion, "kube-version", "", "")
		f.BoolVar(&includeCRDs, "include-crds", false, "")
		f.BoolVar(&skipTests, "skip-tests", false, "")
		f.BoolVar(&noHooks, "no-hooks", false, "")
		f.Bool("devel", false, "") // a version constraint for remote charts; kustomize's are local
	})
	if err != nil {
		return KustomizeHelmResult{}, err
	}
	if flags.NArg() == 0 {
		return KustomizeHelmResult{}, fault.Newf(fault.KindValues, "kustomize ran `helm template %s` without a chart", strings.Join(args, " "))
	}
	name, chart, err := install.NameAndChart(flags.Args())
	if err != nil {
		return KustomizeHelmResult{}, fault.Newf(fault.KindValues, "kustomize ran `helm template %s`: %v", strings.Join(args, " "), err)
	}
	if namespace == "" {
		// helm's default: HELM_NAMESPACE, else the kubeconfig context's.
		namespace = cli.New().Namespace()
	}
	params := render.TemplateParams{
		ReleaseName:  name,
		Namespace:    namespace,
		Chart:        chart,
		KubeVersion:  kubeVersion,
		APIVersions:  apiVersions,
		IncludeCRDs:  includeCRDs,
		SkipTests:    skipTests,
		DisableHooks: noHooks,
	}
	for _, file := range values {
		params.Values = append(params.Values, render.ValueSource{File: file})
	}
	out, err := render.Template(ctx, params)
	if err != nil {
		return KustomizeHelmResult{}, err
	}
	return KustomizeHelmResult{Stdout: out.Stdout}, nil
}
