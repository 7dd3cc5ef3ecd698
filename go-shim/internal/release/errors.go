package release

import (
	"errors"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	ri "helm.sh/helm/v4/pkg/release"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
	"github.com/helmfire/helmfire/go-shim/internal/render"
)

// ClassifyDeployError tells chart problems (render, values schema) from
// cluster and release failures of an Install or Upgrade (partial is what
// it returned). The SDK's render errors are plain strings (pkg/engine
// reformats them), so they are recognised by their shape; an Install that
// failed to render returns its release marked so.
func ClassifyDeployError(s *kube.Session, err error, name, chart string, partial ri.Releaser) *fault.Error {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return s.Classify(err, name, fault.KindRelease)
	}
	msg := err.Error()
	rel, _ := kube.ToV1(partial)
	switch {
	case render.IsSchemaError(msg):
		return fault.New(fault.KindSchema, msg).With("chart", chart)
	case rel != nil && rel.Info != nil && strings.HasPrefix(rel.Info.Description, "failed to render resource"),
		isRenderError(msg):
		return fault.New(fault.KindRender, msg).With("chart", chart)
	case strings.HasPrefix(msg, "chart requires kubeVersion"):
		return fault.New(fault.KindChart, msg).With("chart", chart)
	}
	return s.Classify(err, name, fault.KindRelease)
}

func isRenderError(msg string) bool {
	for _, shape := range []string{`executing "`, "parse error", "execution error at (", "rendering template failed", "no template "} {
		if strings.Contains(msg, shape) {
			return true
		}
	}
	return strings.HasPrefix(msg, "template: ")
}
