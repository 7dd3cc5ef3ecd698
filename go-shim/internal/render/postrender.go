package render

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"

	"helm.sh/helm/v4/pkg/postrenderer"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// execPostRenderer is helm 3's `--post-renderer PROGRAM`: the rendered
// manifests go to the program's stdin and its stdout replaces them. helm 4's
// CLI only takes plugins; helmfile's `postRenderer:` names programs, so
// helmfire implements the SDK's PostRenderer interface by running one.
type execPostRenderer struct {
	ctx     context.Context
	program string
	args    []string
}

var _ postrenderer.PostRenderer = (*execPostRenderer)(nil)

func newExecPostRenderer(ctx context.Context, program string, args []string) (*execPostRenderer, error) {
	path, err := exec.LookPath(program)
	if err != nil {
		return nil, fault.Newf(fault.KindRender, "post-renderer %q cannot be run: %v", program, err)
	}
	return &execPostRenderer{ctx: ctx, program: path, args: args}, nil
}

func (p *execPostRenderer) Run(rendered *bytes.Buffer) (*bytes.Buffer, error) {
	cmd := exec.CommandContext(p.ctx, p.program, p.args...)
	cmd.Stdin = rendered
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("post-renderer %s failed: %v: %s", p.program, err, strings.TrimSpace(stderr.String()))
	}
	return &stdout, nil
}

// chainedPostRenderer runs post-renderers one after the other, each on the
// output of the one before (the exec post-renderer, then the image
// substitutions of images.go).
type chainedPostRenderer []postrenderer.PostRenderer

var _ postrenderer.PostRenderer = chainedPostRenderer(nil)

func (c chainedPostRenderer) Run(rendered *bytes.Buffer) (*bytes.Buffer, error) {
	for _, pr := range c {
		out, err := pr.Run(rendered)
		if err != nil {
			return nil, err
		}
		rendered = out
	}
	return rendered, nil
}

// PostRenderer is what a deploy of p pipes its manifests through: the exec
// post-renderer, then the image substitutions (images.go); nil when there
// is neither.
func PostRenderer(ctx context.Context, p TemplateParams) (postrenderer.PostRenderer, error) {
	var pr postrenderer.PostRenderer
	if p.PostRenderer != "" {
		exec, err := newExecPostRenderer(ctx, p.PostRenderer, p.PostRendererArgs)
		if err != nil {
			return nil, err
		}
		pr = exec
	}
	return withImageSubstitutions(pr, p.ImageSubstitutions)
}
