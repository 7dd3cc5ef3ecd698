package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// The methods src/helm/shim.rs calls, and no other.
func TestMethodTableIsTheRustSurface(t *testing.T) {
	want := []string{
		"cache_cleanup", "cache_info", "chart_pull", "chartify", "cluster_probe", "decrypt", "deps_build", "diff", "drift", "gc_tune", "hcl_values",
		"kubectl_apply", "kustomize_helm", "lease_release", "lease_start", "lease_status",
		"lint", "lock_resolve", "profile_stop", "recover", "remote_fetch", "render", "repos", "status", "template", "test", "uninstall",
		"upgrade", "vals", "version",
	}
	var got []string
	for name := range methods {
		got = append(got, name)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("methods %v, want %v", got, want)
	}
	for _, gone := range []string{"list", "history", "rollback", "get_manifest", "get_values"} {
		env := callMethod(t, gone, map[string]any{}, 0)
		if env.Error == nil || env.Error.Kind != fault.KindBadRequest || !strings.Contains(env.Error.Message, "unknown method") {
			t.Errorf("%s: %+v", gone, env.Error)
		}
	}
}

// Every method decodes its params strictly, before doing anything else:
// an unknown field, a field of the wrong type, or no params at all (for a
// method that takes some) is a bad request.
func TestEveryMethodDecodesItsParamsStrictly(t *testing.T) {
	for name := range methods {
		t.Run(name, func(t *testing.T) {
			for request, fragment := range map[string]string{
				`{"method":"` + name + `","params":{"surprise_field":1}}`: "surprise_field",
				`{"method":"` + name + `","params":[1,2]}`:                "cannot unmarshal array",
			} {
				env := call(t, request, 0)
				if env.OK || env.Error.Kind != fault.KindBadRequest || !strings.HasPrefix(env.Error.Message, "invalid params: ") ||
					!strings.Contains(env.Error.Message, fragment) {
					t.Errorf("%s: %+v", request, env.Error)
				}
			}
			if name == "version" || name == "profile_stop" { // no params to give
				return
			}
			env := call(t, `{"method":"`+name+`"}`, 0)
			if env.OK || env.Error.Kind != fault.KindBadRequest || env.Error.Message != "invalid params: EOF" {
				t.Errorf("without params: %+v", env.Error)
			}
		})
	}
}
