package drift

import (
	"testing"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

// Without a cluster: the request is checked first, and a release the
// cluster does not hold is release_not_found.
func TestDriftRequestsAndMissingRelease(t *testing.T) {
	kubeconfig := shimtest.EmptyAPIServer(t)
	shimtest.MustFail(t, shimtest.Call(t, Run, map[string]any{"kube": shimtest.KubeParams(kubeconfig, "")}),
		fault.KindBadRequest, "release_name is empty")
	shimtest.MustFail(t, shimtest.Call(t, Run, map[string]any{"release_name": "web", "namespace": "a", "kube": shimtest.KubeParams(kubeconfig, "b")}),
		fault.KindBadRequest, `namespace "a" and kube.namespace "b" differ`)
	env := shimtest.Call(t, Run, map[string]any{"release_name": "web", "namespace": "apps", "kube": shimtest.KubeParams(kubeconfig, "")})
	shimtest.MustFail(t, env, fault.KindReleaseNotFound, `release "web" not found in namespace "apps"`)
	if env.Error.Details["release"] != "web" {
		t.Errorf("details: %v", env.Error.Details)
	}
}
