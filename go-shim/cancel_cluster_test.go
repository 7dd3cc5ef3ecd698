package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A PersistentVolumeClaim that nothing binds keeps `--wait` waiting; the
// call is cancelled once the release is pending-install. The answer comes
// promptly, and the release is not left pending.
func TestClusterCancelDuringWaitLeavesNoPendingRelease(t *testing.T) {
	kubeconfig := clusterKubeconfig(t)
	ns := testNamespace(t, kubeconfig, "cancel")
	kube := kubeSettings{Kubeconfig: kubeconfig, Namespace: ns}
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
	env := callMethod(t, "upgrade", upgradeRequest(kube.Kubeconfig, kube.Namespace, "stuck", chart, nil, nil), 90000)
	mustFail(t, env, KindCancelled)
	mustFail(t, callMethod(t, "status", map[string]any{"kube": kube, "release_name": "stuck"}, 0), KindRelease, "not found")

	// The install, then (after a plain deploy) an upgrade, each cancelled
	// while it waits.
	cancelWhileWaiting(t, kube, chart, 90001, "pending-install", "install", 1)
	var up upgradeResult
	mustResult(t, callMethod(t, "upgrade", upgradeRequest(kube.Kubeconfig, kube.Namespace, "stuck", chart, nil, nil), 0), &up)
	if up.Revision != 2 || up.Status != "deployed" || up.FirstInstall {
		t.Fatalf("upgrade after the cancel: %+v", up)
	}
	cancelWhileWaiting(t, kube, chart, 90002, "pending-upgrade", "upgrade", 3)
	mustResult(t, callMethod(t, "upgrade", upgradeRequest(kube.Kubeconfig, kube.Namespace, "stuck", chart, nil, nil), 0), &up)
	if up.Revision != 4 || up.Status != "deployed" {
		t.Fatalf("upgrade after the second cancel: %+v", up)
	}
	// helm marks the failed revision an upgrade started from superseded.
	var states []string
	for revision := 1; revision <= 4; revision++ {
		var st statusResult
		mustResult(t, callMethod(t, "status", map[string]any{"kube": kube, "release_name": "stuck", "revision": revision}, 0), &st)
		states = append(states, st.Status)
	}
	if strings.Join(states, ",") != "superseded,superseded,failed,deployed" {
		t.Errorf("revisions: %v", states)
	}
}

func cancelWhileWaiting(t *testing.T, kube kubeSettings, chart string, callID uint64, pending, op string, revision int) {
	t.Helper()
	answered := make(chan envelopeForTest, 1)
	go func() {
		answered <- callMethod(t, "upgrade", upgradeRequest(kube.Kubeconfig, kube.Namespace, "stuck", chart, nil,
			map[string]any{"wait": true, "timeout_seconds": 300}), callID)
	}()

	// Wait until the release is stored as pending (waiting).
	deadline := time.Now().Add(60 * time.Second)
	for {
		env := callMethod(t, "status", map[string]any{"kube": kube, "release_name": "stuck"}, 0)
		var st statusResult
		if env.OK && decodeInto(env, &st) == nil && st.Status == pending && st.Revision == revision {
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
	var env envelopeForTest
	select {
	case env = <-answered:
	case <-time.After(45 * time.Second):
		t.Fatal("no answer 45 s after the cancel")
	}
	t.Logf("%s answered %s after the cancel: %+v", op, time.Since(start).Round(time.Millisecond), env.Error)
	mustFail(t, env, KindCancelled, "the "+op+` of release "stuck" was cancelled`)
	if env.Error.Details["pending"] != "false" || env.Error.Details["settled"] != "true" ||
		env.Error.Details["status"] != "failed" || env.Error.Details["revision"] != strconv.Itoa(revision) {
		t.Errorf("details: %v", env.Error.Details)
	}

	// Nothing is pending afterwards, a second later either.
	time.Sleep(time.Second)
	var st statusResult
	mustResult(t, callMethod(t, "status", map[string]any{"kube": kube, "release_name": "stuck"}, 0), &st)
	if st.Status != "failed" || st.Revision != revision {
		t.Fatalf("status after the cancel: %+v", st)
	}
}
