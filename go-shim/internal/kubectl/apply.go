// Package kubectl runs `kubectl apply` in-process for helmfile's
// `kubectlApply` hooks: the same client-side apply (last-applied
// annotation, three-way strategic merge) kubectl's own code performs, with
// no kubectl binary.
package kubectl

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/kubectl/pkg/cmd/apply"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
	"github.com/helmfire/helmfire/go-shim/internal/safe"
)

// ApplyParams is one `kubectlApply` hook: exactly one of Filename (`-f`: a
// file, a directory or an http(s) URL) and Kustomize (`-k`: a kustomization
// directory). Relative paths are taken from BaseDir, the directory kubectl
// would run in (the state file's).
type ApplyParams struct {
	Kube      kube.Settings `json:"kube"`
	Filename  string        `json:"filename,omitempty"`
	Kustomize string        `json:"kustomize,omitempty"`
	BaseDir   string        `json:"base_dir"`
}

// ApplyResult is what kubectl prints ("configmap/x created", ...).
type ApplyResult struct {
	Output string `json:"output"`
}

// Apply is the `kubectl_apply` method.
func Apply(ctx context.Context, p ApplyParams) (ApplyResult, error) {
	source, flag, err := p.source()
	if err != nil {
		return ApplyResult{}, err
	}
	// The same checks as every cluster action: the context exists, the
	// server answers; each failure says which.
	session, err := kube.Open(ctx, kube.Settings{Kubeconfig: p.Kube.Kubeconfig, Context: p.Kube.Context})
	if err != nil {
		return ApplyResult{}, err
	}
	// kubectl without -n: objects keep their namespace, the rest go to the
	// context's. (helm's getter forces one namespace on everything.)
	getter := genericclioptions.NewConfigFlags(true)
	getter.KubeConfig = &p.Kube.Kubeconfig
	getter.Context = &p.Kube.Context
	factory := cmdutil.NewFactory(getter)

	var out bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out}
	flags := apply.NewApplyFlags(streams)
	cmd := &cobra.Command{Use: "apply"}
	flags.AddFlags(cmd)
	if err := cmd.Flags().Set(flag, source); err != nil {
		return ApplyResult{}, fault.Newf(fault.KindBadRequest, "kubectlApply: %v", err)
	}
	options, err := flags.ToOptions(factory, cmd, "kubectl", nil)
	if err == nil {
		err = options.Validate()
	}
	if err == nil {
		err = runCancellable(ctx, options.Run)
	}
	if err != nil {
		return ApplyResult{Output: out.String()}, session.Fail(fault.KindKube, "kubectl apply -%s %s: %s", flag[:1], source, strings.TrimSpace(err.Error())).
			With("output", strings.TrimSpace(out.String()))
	}
	return ApplyResult{Output: out.String()}, nil
}

// source is the one path the hook names, made absolute, and kubectl's flag
// for it.
func (p ApplyParams) source() (string, string, error) {
	switch {
	case p.Filename != "" && p.Kustomize != "":
		return "", "", fault.Newf(fault.KindBadRequest, "kustomize & filename cannot be used together")
	case p.Filename == "-":
		return "", "", fault.Newf(fault.KindBadRequest, "filename `-` (standard input) has nothing to read here; name a file, a directory or a URL")
	case p.Filename != "":
		if strings.HasPrefix(p.Filename, "http://") || strings.HasPrefix(p.Filename, "https://") {
			return p.Filename, "filename", nil
		}
		return p.absolute(p.Filename), "filename", nil
	case p.Kustomize != "":
		return p.absolute(p.Kustomize), "kustomize", nil
	}
	return "", "", fault.Newf(fault.KindBadRequest, "either kustomize or filename must be given")
}

func (p ApplyParams) absolute(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(p.BaseDir, path)
}

// runCancellable runs kubectl's Run, which takes no context, and answers a
// cancellation at once (the apply finishes on its own, as a killed kubectl
// would leave its last request).
func runCancellable(ctx context.Context, run func() error) error {
	done := safe.Go(run)
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fault.Classify(ctx.Err(), fault.KindCancelled)
	}
}
