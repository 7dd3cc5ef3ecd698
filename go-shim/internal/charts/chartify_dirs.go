package charts

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/tmpl"
)

// This file is chartify's handling of a local chart directory without a
// Chart.yaml (chartify v0.28.2, Chartify, KustomizeBuild): a kustomize
// directory is built with kustomize, a directory of plain manifests has its
// `.gotmpl` files rendered and its YAML files moved under templates/; either
// becomes a chart named after the directory, whose templates print the
// manifests as they are.

// generatedChart tells a directory chartify turns into a chart.
func generatedChart(dir string) (kustomization, ok bool) {
	info, err := os.Stat(dir)
	if err != nil || !info.IsDir() {
		return false, false
	}
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err == nil {
		return false, false
	}
	_, err = os.Stat(filepath.Join(dir, "kustomization.yaml"))
	return err == nil, true
}

// generateChart writes into chartDir the chart chartify makes of p.Chart.
func generateChart(p *ChartifyParams, chartDir string) error {
	kustomization, _ := generatedChart(p.Chart)
	if kustomization {
		if err := kustomizeDir(p, chartDir); err != nil {
			return err
		}
	} else {
		if err := manifestsDir(p, chartDir); err != nil {
			return err
		}
		// The release's namespace goes to every manifest that names none.
		if p.ForceNamespace == "" && p.Render != nil {
			p.ForceNamespace = p.Render.Namespace
		}
	}
	version := "1.0.0"
	if p.Render != nil && p.Render.ChartVersion != "" {
		version = p.Render.ChartVersion
	}
	// chartify writes name, version and apiVersion, then rewrites the file
	// with sorted keys when it updates the requirements.
	meta := map[string]any{"apiVersion": "v2", "name": filepath.Base(filepath.Clean(p.Chart)), "version": version}
	data, err := yaml.Marshal(meta)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(chartDir, "Chart.yaml"), data, 0o644); err != nil {
		return err
	}
	return preventDoubleRendering(chartDir)
}

// manifestsDir copies the directory, renders its `.gotmpl` files with the
// release's template data (x.yaml.gotmpl becomes x.yaml), and moves every
// file whose name ends in yaml or yml under templates/.
func manifestsDir(p *ChartifyParams, chartDir string) error {
	if err := copyTree(p.Chart, chartDir); err != nil {
		return fault.Newf(fault.KindIO, "copying %s: %v", p.Chart, err).With("chart", p.Chart)
	}
	var templates, manifests []string
	err := filepath.WalkDir(chartDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(path, "gotmpl") {
			templates = append(templates, path)
		}
		return nil
	})
	if err != nil {
		return fault.Newf(fault.KindIO, "reading %s: %v", chartDir, err)
	}
	if len(templates) > 0 {
		data, err := tmpl.DecodeData(p.TemplateData)
		if err != nil {
			return fault.Newf(fault.KindBadRequest, "release %s: decoding the template data: %v", p.ReleaseName, err)
		}
		for _, file := range templates {
			text, err := os.ReadFile(file)
			if err != nil {
				return fault.Newf(fault.KindIO, "reading %s: %v", file, err)
			}
			out, err := tmpl.Render(file, string(text), data, tmpl.Options{BaseDir: filepath.Dir(file)})
			if err != nil {
				rel, _ := filepath.Rel(chartDir, file)
				return fault.Newf(fault.KindRender, "release %s: rendering %s: %v", p.ReleaseName, filepath.Join(p.Chart, rel), err).With("chart", p.Chart)
			}
			if err := os.WriteFile(strings.TrimSuffix(file, filepath.Ext(file)), []byte(out), 0o644); err != nil {
				return fault.Newf(fault.KindIO, "writing %s: %v", file, err)
			}
		}
	}
	err = filepath.WalkDir(chartDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(path, "yaml") || strings.HasSuffix(path, "yml") {
			manifests = append(manifests, path)
		}
		return nil
	})
	if err != nil {
		return fault.Newf(fault.KindIO, "reading %s: %v", chartDir, err)
	}
	templatesDir := filepath.Join(chartDir, "templates")
	for _, file := range manifests {
		rel, err := filepath.Rel(chartDir, file)
		if err != nil {
			return err
		}
		dst := filepath.Join(templatesDir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.Rename(file, dst); err != nil {
			return fault.Newf(fault.KindIO, "moving %s under templates/: %v", rel, err)
		}
	}
	return nil
}

// kustomizeOptions are the values chartify reads for a kustomize directory.
type kustomizeOptions struct {
	Images     []kustomizeImage `yaml:"images"`
	NamePrefix string           `yaml:"namePrefix"`
	NameSuffix string           `yaml:"nameSuffix"`
	Namespace  string           `yaml:"namespace"`
}

type kustomizeImage struct {
	Name    string `yaml:"name"`
	NewName string `yaml:"newName"`
	NewTag  string `yaml:"newTag"`
	Digest  string `yaml:"digest"`
}

// kustomizeDir is chartify's KustomizeBuild: a kustomization in a scratch
// directory names the release's directory as its base and sets what the
// release's values give (`images`, `namePrefix`, `nameSuffix`,
// `namespace`; the release's namespace wins), as `kustomize edit set`
// would; kustomize builds it (files may come from anywhere, as with
// chartify's --load-restrictor=LoadRestrictionsNone) into
// templates/kustomized.yaml.
func kustomizeDir(p *ChartifyParams, chartDir string) error {
	var opts kustomizeOptions
	if p.Render != nil {
		if len(p.Render.Overrides.Set) > 0 || len(p.Render.Overrides.SetString) > 0 || len(p.Render.Overrides.SetFile) > 0 {
			return fault.Newf(fault.KindValues, "release %s: chart %s is a kustomize directory, and `set` values do not apply to it (helmfile refuses them too); give images, namePrefix, nameSuffix or namespace in a values file",
				p.ReleaseName, p.Chart).With("chart", p.Chart)
		}
		for _, src := range p.Render.Values {
			raw, name, err := src.Read()
			if err != nil {
				return err
			}
			if err := yaml.Unmarshal(raw, &opts); err != nil {
				return fault.Newf(fault.KindValues, "release %s: reading %s for the kustomize directory: %v", p.ReleaseName, name, err).With("file", name)
			}
		}
		if p.Render.Namespace != "" {
			opts.Namespace = p.Render.Namespace
		}
	}
	scratch, err := os.MkdirTemp(filepath.Dir(chartDir), "kustomize-")
	if err != nil {
		return fault.Newf(fault.KindIO, "creating a scratch directory: %v", err)
	}
	defer os.RemoveAll(scratch)
	base, err := filepath.Rel(scratch, p.Chart)
	if err != nil {
		return fault.Newf(fault.KindIO, "%v", err)
	}
	k := types.Kustomization{Resources: []string{base}, NamePrefix: opts.NamePrefix, NameSuffix: opts.NameSuffix, Namespace: opts.Namespace}
	for _, img := range opts.Images {
		k.Images = append(k.Images, types.Image{Name: img.Name, NewName: img.NewName, NewTag: img.NewTag, Digest: img.Digest})
	}
	k.FixKustomization()
	data, err := sigsyaml.Marshal(k)
	if err != nil {
		return fault.Newf(fault.KindInternal, "writing the kustomization: %v", err)
	}
	if err := os.WriteFile(filepath.Join(scratch, "kustomization.yaml"), data, 0o644); err != nil {
		return fault.Newf(fault.KindIO, "writing the kustomization: %v", err)
	}
	kopts := krusty.MakeDefaultOptions()
	kopts.LoadRestrictions = types.LoadRestrictionsNone
	kopts.Reorder = krusty.ReorderOptionUnspecified
	// chartify runs `kustomize build --enable-helm`: `helmCharts:` are
	// inflated by a helm command, which here is helmfire itself
	// (kustomize_helm.go).
	helm, err := kustomizeHelmCommand(scratch)
	if err != nil {
		return fault.Newf(fault.KindIO, "release %s: preparing kustomize to inflate `helmCharts:`: %v", p.ReleaseName, err).With("chart", p.Chart)
	}
	kopts.PluginConfig.HelmConfig = types.HelmConfig{Enabled: true, Command: helm}
	kustomizeMu.Lock()
	m, err := krusty.MakeKustomizer(kopts).Run(filesys.MakeFsOnDisk(), scratch)
	kustomizeMu.Unlock()
	if reason, ok := kustomizeHelmFailure(err, helm); ok {
		return fault.Newf(fault.KindChart, "release %s: kustomize could not inflate the `helmCharts:` of %s (or of a kustomization it includes): %s", p.ReleaseName, p.Chart, reason).
			With("chart", p.Chart)
	}
	if err != nil {
		return fault.Newf(fault.KindRender, "release %s: kustomize build of %s: %v", p.ReleaseName, p.Chart, err).With("chart", p.Chart)
	}
	out, err := m.AsYaml()
	if err != nil {
		return fault.Newf(fault.KindRender, "release %s: kustomize output: %v", p.ReleaseName, err).With("chart", p.Chart)
	}
	templates := filepath.Join(chartDir, "templates")
	if err := os.MkdirAll(templates, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(templates, "kustomized.yaml"), out, 0o644)
}

// kustomizeHelmCommand makes a link named KustomizeHelmCommand to the
// running helmfire binary in dir, for kustomize to run as its helm.
func kustomizeHelmCommand(dir string) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("cannot find helmfire's own executable: %w", err)
	}
	bin := filepath.Join(dir, ".bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		return "", err
	}
	link := filepath.Join(bin, KustomizeHelmCommand)
	return link, os.Symlink(self, link)
}

// kustomizeHelmFailure finds, in kustomize's error, what helmfire said when
// kustomize ran it as helm (kustomize puts the command's stderr in front of
// "unable to run: 'COMMAND ...", behind its own chain of accumulation
// errors), so that the user reads that and not the chain.
func kustomizeHelmFailure(err error, command string) (string, bool) {
	if err == nil {
		return "", false
	}
	msg := err.Error()
	end := strings.Index(msg, "\n: unable to run: '"+command+" ")
	if end < 0 {
		return "", false
	}
	start := strings.LastIndex(msg[:end], kustomizeHelmErrorPrefix)
	if start < 0 {
		return "", false
	}
	return strings.TrimSpace(msg[start+len(kustomizeHelmErrorPrefix) : end]), true
}
