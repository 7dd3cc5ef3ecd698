package main

import (
	"context"
	"path/filepath"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/loader"
	"helm.sh/helm/v4/pkg/kube"

	"encoding/json"

	"github.com/helmfire/helmfire/go-shim/internal/render"
	"github.com/helmfire/helmfire/go-shim/internal/shimtest"
)

// BenchmarkTemplateSDK is the floor: one release rendered by the Helm SDK
// alone, as a Go program using pkg/action would do it.
func BenchmarkTemplateSDK(b *testing.B) {
	chartPath := filepath.Join(shimtest.Charts, "named-templates")
	for b.Loop() {
		cfg := action.NewConfiguration()
		client := action.NewInstall(cfg)
		client.DryRunStrategy = action.DryRunClient
		client.WaitStrategy = kube.HookOnlyStrategy
		client.Replace = true
		client.ReleaseName = "bench"
		client.Namespace = "default"
		chrt, err := loader.Load(chartPath)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := client.RunWithContext(context.Background(), chrt, map[string]any{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTemplateShim is the same render through the shim's request path
// (JSON decode, chart checks, values merge, output assembly, JSON encode),
// without the C boundary. The Rust bench `ffi_template` adds the boundary.
func BenchmarkTemplateShim(b *testing.B) {
	req, err := json.Marshal(map[string]any{"method": "template", "params": render.TemplateParams{
		ReleaseName: "bench", Chart: filepath.Join(shimtest.Charts, "named-templates"),
	}})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		dispatchGuarded(req, 0)
	}
}

// BenchmarkVersionShim is the cheapest request, for measuring the C
// boundary: the Rust bench times the same call through it.
func BenchmarkVersionShim(b *testing.B) {
	req := []byte(`{"method":"version","params":{}}`)
	for b.Loop() {
		dispatchGuarded(req, 0)
	}
}
