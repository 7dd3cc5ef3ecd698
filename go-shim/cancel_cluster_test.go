package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"encoding/json"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
	"github.com/helmfire/helmfire/go-shim/internal/release"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

// Cancellation of calls (the registry and the SDK's cancelled deploys)
// against a real API server (shimtest.ClusterKubeconfig).

// A PersistentVolumeClaim that nothing binds keeps `--wait` waiting; the
// call is cancelled once the release is pending-install. The answer comes
// promptly, and the release is not left pending.
func TestClusterCancelDuringWaitLeavesNoPendingRelease(t *testing.T) {
	kubeconfig := shimtest.ClusterKubeconfig(t)
	ns := shimtest.Namespace(t, kubeconfig, "cancel")
	target := kube.Settings{Kubeconfig: kubeconfig, Namespace: ns}
	chart := t.TempDir()
	files := map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: stuck\nversion: 0.1.0\n",
		"templates/pvc.yaml": `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ .Release.Name }}-data
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: none
  resources: {requests: {storage: 1Gi}}
`,
	}
	for name, body := range files {
		path := filepath.Join(chart, name)
		_ = os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// A call cancelled before it starts touches nothing.
	calls.cancel(90000)
	env := callMethod(t, "upgrade", shimtest.UpgradeRequest(target.Kubeconfig, target.Namespace, "stuck", chart, nil, nil), 90000)
	shimtest.MustFail(t, env, fault.KindCancelled)
	shimtest.MustFail(t, callMethod(t, "status", map[string]any{"kube": target, "release_name": "stuck"}, 0), fault.KindReleaseNotFound, "not found")

	// The install, then (after a plain deploy) an upgrade, each cancelled
	// while it waits.
	cancelWhileWaiting(t, target, chart, 90001, "pending-install", "install", 1)
	var up release.UpgradeResult
	shimtest.MustResult(t, callMethod(t, "upgrade", shimtest.UpgradeRequest(target.Kubeconfig, target.Namespace, "stuck", chart, nil, nil), 0), &up)
	if up.Revision != 2 || up.Status != "deployed" || up.FirstInstall {
		t.Fatalf("upgrade after the cancel: %+v", up)
	}
	cancelWhileWaiting(t, target, chart, 90002, "pending-upgrade", "upgrade", 3)
	shimtest.MustResult(t, callMethod(t, "upgrade", shimtest.UpgradeRequest(target.Kubeconfig, target.Namespace, "stuck", chart, nil, nil), 0), &up)
	if up.Revision != 4 || up.Status != "deployed" {
		t.Fatalf("upgrade after the second cancel: %+v", up)
	}
	// helm marks the failed revision an upgrade started from superseded.
	var states []string
	for revision := 1; revision <= 4; revision++ {
		var st release.StatusResult
		shimtest.MustResult(t, callMethod(t, "status", map[string]any{"kube": target, "release_name": "stuck", "revision": revision}, 0), &st)
		states = append(states, st.Status)
	}
	if strings.Join(states, ",") != "superseded,superseded,failed,deployed" {
		t.Errorf("revisions: %v", states)
	}
}

func cancelWhileWaiting(t *testing.T, target kube.Settings, chart string, callID uint64, pending, op string, revision int) {
	t.Helper()
	answered := make(chan shimtest.Envelope, 1)
	go func() {
		answered <- callMethod(t, "upgrade", shimtest.UpgradeRequest(target.Kubeconfig, target.Namespace, "stuck", chart, nil,
			map[string]any{"wait": true, "timeout_seconds": 300}), callID)
	}()

	// Wait until the release is stored as pending (waiting).
	deadline := time.Now().Add(60 * time.Second)
	for {
		env := callMethod(t, "status", map[string]any{"kube": target, "release_name": "stuck"}, 0)
		var st release.StatusResult
		if env.OK && json.Unmarshal(env.Result, &st) == nil && st.Status == pending && st.Revision == revision {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the release never became %s: %+v %+v", pending, st, env.Error)
		}
		select {
		case env := <-answered:
			t.Fatalf("the %s finished before it was cancelled: %+v %s", op, env.Error, env.Result)
		case <-time.After(200 * time.Millisecond):
		}
	}

	start := time.Now()
	calls.cancel(callID)
	var env shimtest.Envelope
	select {
	case env = <-answered:
	case <-time.After(45 * time.Second):
		t.Fatal("no answer 45 s after the cancel")
	}
	t.Logf("%s answered %s after the cancel: %+v", op, time.Since(start).Round(time.Millisecond), env.Error)
	shimtest.MustFail(t, env, fault.KindCancelled, "the "+op+` of release "stuck" was cancelled`)
	if env.Error.Details["pending"] != "false" || env.Error.Details["settled"] != "true" ||
		env.Error.Details["status"] != "failed" || env.Error.Details["revision"] != strconv.Itoa(revision) {
		t.Errorf("details: %v", env.Error.Details)
	}

	// Nothing is pending afterwards, a second later either.
	time.Sleep(time.Second)
	var st release.StatusResult
	shimtest.MustResult(t, callMethod(t, "status", map[string]any{"kube": target, "release_name": "stuck"}, 0), &st)
	if st.Status != "failed" || st.Revision != revision {
		t.Fatalf("status after the cancel: %+v", st)
	}
}
