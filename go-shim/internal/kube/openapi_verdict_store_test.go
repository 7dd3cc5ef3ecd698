package kube

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestVerdictStoreKeepsVerdictsByDocumentURL(t *testing.T) {
	t.Cleanup(func() { KeepOpenAPIVerdictsIn("") })
	cache := t.TempDir()
	KeepOpenAPIVerdictsIn(cache)
	const url = "/openapi/v3/api/v1?hash=ABC"
	storeVerdict(url, "Pod", true)
	storeVerdict(url, "Binding", false)
	for kind, want := range map[string]bool{"Pod": true, "Binding": false} {
		if supported, known := storedVerdict(url, kind); !known || supported != want {
			t.Errorf("%s: supported %v known %v, want supported %v", kind, supported, known, want)
		}
	}
	if _, known := storedVerdict(url, "Service"); known {
		t.Error("a kind never stored is known")
	}
	// A URL without a digest says nothing of its document: never kept.
	storeVerdict("/openapi/v3/apis/metrics.k8s.io/v1beta1", "PodMetrics", true)
	if _, known := storedVerdict("/openapi/v3/apis/metrics.k8s.io/v1beta1", "PodMetrics"); known {
		t.Error("a verdict of a URL without hash= was kept")
	}
	// A new schema is a new URL: nothing of the old one applies.
	if _, known := storedVerdict("/openapi/v3/api/v1?hash=DEF", "Pod"); known {
		t.Error("a verdict of another document URL is known")
	}

	// A file that is not the store's (or torn) is trusted in no part.
	if err := os.WriteFile(verdictFile(url), []byte("Pod supported\nPod maybe\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, known := storedVerdict(url, "Pod"); known {
		t.Error("a verdict of a damaged file was trusted")
	}

	// No cache, or a relative one: nothing kept, nothing written.
	for _, dir := range []string{"", "relative/cache"} {
		KeepOpenAPIVerdictsIn(dir)
		storeVerdict("/openapi/v3/apis/apps/v1?hash=X", "Deployment", true)
		if _, known := storedVerdict("/openapi/v3/apis/apps/v1?hash=X", "Deployment"); known {
			t.Errorf("cache dir %q: a verdict was kept", dir)
		}
	}
	if _, err := os.Stat("relative"); err == nil {
		t.Error("a relative cache directory was written")
	}
	entries, err := os.ReadDir(filepath.Join(cache, verdictSubdir))
	if err != nil || len(entries) != 1 {
		t.Errorf("the store holds %d files (%v), want the one document's", len(entries), err)
	}

	// `cache cleanup` removes them.
	KeepOpenAPIVerdictsIn(cache)
	storeVerdict(url, "Pod", true)
	if removed, err := CleanupOpenAPIVerdicts(cache, time.Time{}); err != nil || removed != 1 {
		t.Errorf("cleanup removed %d files (%v), want 1", removed, err)
	}
	if _, known := storedVerdict(url, "Pod"); known {
		t.Error("a verdict outlived the cleanup")
	}
}
