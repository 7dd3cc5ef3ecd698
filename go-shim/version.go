package main

import (
	"context"
	"runtime"
	"runtime/debug"

	"helm.sh/helm/v4/pkg/chart/common"

	"github.com/helmfire/helmfire/go-shim/internal/secrets"
)

// versionInfo is what `helmfire version` shows of the Go half.
type versionInfo struct {
	HelmSDK           string `json:"helm_sdk"`
	GoVersion         string `json:"go"`
	KubeClientVersion string `json:"kube_client"`
	// DefaultKubeVersion is the Kubernetes version offline rendering assumes
	// (.Capabilities.KubeVersion) when --kube-version is not given.
	DefaultKubeVersion string `json:"default_kube_version"`
	// SecretProviders lists the vals provider groups compiled in, or is
	// null when every one is (HELMFIRE_SECRET_PROVIDERS unset at build).
	SecretProviders []string `json:"secret_providers"`
}

// runVersion is `helmfire version`'s Go half.
func runVersion(_ context.Context, _ noParams) (versionInfo, error) {
	info := versionInfo{
		GoVersion:          runtime.Version(),
		DefaultKubeVersion: common.DefaultCapabilities.KubeVersion.Version,
		SecretProviders:    secrets.ProviderGroups(),
	}
	if build, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range build.Deps {
			switch dep.Path {
			case "helm.sh/helm/v4":
				info.HelmSDK = dep.Version
			case "k8s.io/client-go":
				info.KubeClientVersion = dep.Version
			}
		}
	}
	return info, nil
}
