package release

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

// These tests need no cluster: an unreachable server, or one that holds
// no release.

func TestUpgradeRefusesTemplateOnlyParams(t *testing.T) {
	env := shimtest.Call(t, Upgrade, map[string]any{
		"release_name": "r", "chart": "x", "overrides": map[string]any{},
		"show_only": []string{"a.yaml"}, "kube": map[string]any{}, "options": map[string]any{},
	})
	shimtest.MustFail(t, env, fault.KindBadRequest, `"show_only" is a template parameter`)
	env = shimtest.Call(t, Upgrade, map[string]any{
		"release_name": "r", "chart": "x", "overrides": map[string]any{},
		"kube": map[string]any{}, "options": map[string]any{"surprise": true},
	})
	shimtest.MustFail(t, env, fault.KindBadRequest, "surprise")
	env = shimtest.Call(t, Upgrade, map[string]any{
		"release_name": "r", "chart": "x", "namespace": "a", "kube": map[string]any{"namespace": "b"},
	})
	shimtest.MustFail(t, env, fault.KindBadRequest, `namespace "a" and kube.namespace "b" differ`)
	env = shimtest.Call(t, Upgrade, map[string]any{"release_name": "r", "chart": "x", "options": map[string]any{"server_side": "yes"}})
	shimtest.MustFail(t, env, fault.KindBadRequest, "server_side")
}

// An upgrade checks the cluster before it loads the chart or waits.
func TestUpgradeFailsFastOnAnUnreachableServer(t *testing.T) {
	kubeconfig := shimtest.Kubeconfig(t, "https://127.0.0.1:1")
	start := time.Now()
	req := shimtest.UpgradeRequest(kubeconfig, "x", "r", filepath.Join(shimtest.Charts, "named-templates"), nil, map[string]any{"wait": true})
	req["kube"].(map[string]any)["context"] = "beta"
	shimtest.MustFail(t, shimtest.Call(t, Upgrade, req), fault.KindKube, "https://127.0.0.1:1", `"beta"`, "unreachable")
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("took %s", elapsed)
	}
}

// A release that does not exist is release_not_found for every action on
// it, and nothing for the ones that tolerate it.
func TestMissingReleaseIsNotFound(t *testing.T) {
	kubeconfig := shimtest.EmptyAPIServer(t)
	ref := func(extra map[string]any) map[string]any {
		params := map[string]any{"kube": shimtest.KubeParams(kubeconfig, "apps"), "release_name": "web"}
		for k, v := range extra {
			params[k] = v
		}
		return params
	}
	notFound := func(t *testing.T, env shimtest.Envelope) {
		t.Helper()
		shimtest.MustFail(t, env, fault.KindReleaseNotFound, `release "web" not found in namespace "apps"`)
		if env.Error.Details["release"] != "web" || env.Error.Details["namespace"] != "apps" {
			t.Errorf("details: %v", env.Error.Details)
		}
	}
	t.Run("status", func(t *testing.T) { notFound(t, shimtest.Call(t, Status, ref(nil))) })
	t.Run("status of a revision", func(t *testing.T) {
		notFound(t, shimtest.Call(t, Status, ref(map[string]any{"revision": 3})))
	})
	t.Run("uninstall", func(t *testing.T) { notFound(t, shimtest.Call(t, Uninstall, ref(nil))) })
	t.Run("test", func(t *testing.T) { notFound(t, shimtest.Call(t, Test, ref(nil))) })

	t.Run("uninstall ignore_not_found", func(t *testing.T) {
		var un UninstallResult
		shimtest.MustResult(t, shimtest.Call(t, Uninstall, ref(map[string]any{"ignore_not_found": true})), &un)
		if un.Existed || un.Info != "" {
			t.Errorf("got %+v", un)
		}
	})
	t.Run("recover", func(t *testing.T) {
		var rec RecoverResult
		shimtest.MustResult(t, shimtest.Call(t, RecoverPending, ref(nil)), &rec)
		if rec != (RecoverResult{}) {
			t.Errorf("got %+v", rec)
		}
	})
	t.Run("negative revision", func(t *testing.T) {
		shimtest.MustFail(t, shimtest.Call(t, Status, ref(map[string]any{"revision": -1})), fault.KindBadRequest, "revision -1 is negative")
	})
}

func TestClassifyDeployErrorTellsRenderFromRelease(t *testing.T) {
	for msg, want := range map[string]fault.Kind{
		`template: c/templates/a.yaml:3:4: executing "c/templates/a.yaml" at <.Values.x>: nil pointer`: fault.KindRender,
		"values don't meet the specifications of the schema(s) in the following chart(s)":              fault.KindSchema,
		"chart requires kubeVersion: >=1.40 which is incompatible with Kubernetes v1.37.2":             fault.KindChart,
	} {
		e := ClassifyDeployError(nil, errorString(msg), "web", "c", nil)
		if e.Kind != want || e.Details["chart"] != "c" || !strings.Contains(e.Message, msg[:20]) {
			t.Errorf("%q: %+v", msg, e)
		}
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
