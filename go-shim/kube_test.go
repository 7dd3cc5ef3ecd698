package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// These tests need no cluster: the kubeconfig is written by the test.

// callMethod runs one method through dispatch.
func callMethod(t *testing.T, method string, params any, id uint64) envelopeForTest {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"method": method, "params": params})
	if err != nil {
		t.Fatal(err)
	}
	return call(t, string(raw), id)
}

func writeKubeconfig(t *testing.T, server string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	body := `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "` + server + `", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: t}
contexts:
- name: alpha
  context: {cluster: c, user: u, namespace: default}
- name: beta
  context: {cluster: c, user: u}
current-context: alpha
`
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMissingContextNamesTheContexts(t *testing.T) {
	kubeconfig := writeKubeconfig(t, "https://127.0.0.1:1")
	env := callMethod(t, "status", map[string]any{
		"kube":         kubeSettings{Kubeconfig: kubeconfig, Context: "gamma", Namespace: "x"},
		"release_name": "r",
	}, 0)
	if env.OK || env.Error.Kind != KindKube {
		t.Fatalf("want a kube error, got %+v", env.Error)
	}
	for _, want := range []string{`"gamma"`, "alpha, beta", kubeconfig} {
		if !strings.Contains(env.Error.Message, want) {
			t.Errorf("message lacks %q: %s", want, env.Error.Message)
		}
	}
}

func TestUnreachableServerFailsFast(t *testing.T) {
	kubeconfig := writeKubeconfig(t, "https://127.0.0.1:1")
	for _, method := range []string{"status", "upgrade"} {
		t.Run(method, func(t *testing.T) {
			params := map[string]any{
				"kube":         kubeSettings{Kubeconfig: kubeconfig, Context: "beta", Namespace: "x"},
				"release_name": "r",
			}
			switch method {
			case "upgrade":
				params["chart"] = filepath.Join(fixtures, "named-templates")
				params["overrides"] = ValueOverrides{}
				params["options"] = map[string]any{"wait": true}
			}
			start := time.Now()
			env := callMethod(t, method, params, 0)
			elapsed := time.Since(start)
			if env.OK || env.Error.Kind != KindKube {
				t.Fatalf("want a kube error, got %+v", env.Error)
			}
			if elapsed > 5*time.Second {
				t.Errorf("took %s", elapsed)
			}
			for _, want := range []string{"https://127.0.0.1:1", `"beta"`, "unreachable"} {
				if !strings.Contains(env.Error.Message, want) {
					t.Errorf("message lacks %q: %s", want, env.Error.Message)
				}
			}
			t.Logf("%s failed in %s: %s", method, elapsed.Round(time.Millisecond), env.Error.Message)
		})
	}
}

func TestUpgradeRefusesTemplateOnlyParams(t *testing.T) {
	env := callMethod(t, "upgrade", map[string]any{
		"release_name": "r", "chart": "x", "overrides": ValueOverrides{},
		"show_only": []string{"a.yaml"}, "kube": kubeSettings{}, "options": map[string]any{},
	}, 0)
	if env.OK || env.Error.Kind != KindBadRequest || !strings.Contains(env.Error.Message, "show_only") {
		t.Fatalf("got %+v", env.Error)
	}
	env = callMethod(t, "upgrade", map[string]any{
		"release_name": "r", "chart": "x", "overrides": ValueOverrides{},
		"kube": kubeSettings{}, "options": map[string]any{"surprise": true},
	}, 0)
	if env.OK || env.Error.Kind != KindBadRequest || !strings.Contains(env.Error.Message, "surprise") {
		t.Fatalf("got %+v", env.Error)
	}
}

// A server that accepts connections and never answers must fail within the
// reachability timeout, not client-go's.
func TestSilentServerFailsWithinTheReachabilityTimeout(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // held open, silent, until the test ends
		}
	}()
	server := "https://" + listener.Addr().String()
	kubeconfig := writeKubeconfig(t, server)
	start := time.Now()
	env := callMethod(t, "status", map[string]any{
		"kube":         kubeSettings{Kubeconfig: kubeconfig, Namespace: "x"},
		"release_name": "r",
	}, 0)
	elapsed := time.Since(start)
	if env.OK || env.Error.Kind != KindKube || !strings.Contains(env.Error.Message, server) || !strings.Contains(env.Error.Message, `"alpha"`) {
		t.Fatalf("got %+v", env.Error)
	}
	if elapsed > reachabilityTimeout+2*time.Second {
		t.Errorf("took %s", elapsed)
	}
	t.Logf("failed in %s: %s", elapsed.Round(time.Millisecond), env.Error.Message)
}

func TestNoCurrentContextNamesTheContexts(t *testing.T) {
	kubeconfig := writeKubeconfig(t, "https://127.0.0.1:1")
	raw, _ := os.ReadFile(kubeconfig)
	_ = os.WriteFile(kubeconfig, []byte(strings.Replace(string(raw), "current-context: alpha", "", 1)), 0o600)
	env := callMethod(t, "status", map[string]any{"kube": kubeSettings{Kubeconfig: kubeconfig}, "release_name": "r"}, 0)
	if env.OK || env.Error.Kind != KindKube || !strings.Contains(env.Error.Message, "alpha, beta") ||
		!strings.Contains(env.Error.Message, "no current-context") {
		t.Fatalf("got %+v", env.Error)
	}
}
