package main

import (
	"context"
	"runtime"
	"runtime/debug"

	"helm.sh/helm/v4/pkg/chart/common"
)

// versionInfo is what `helmfire version` shows of the Go half.
type versionInfo struct {
	HelmSDK           string `json:"helm_sdk"`
	GoVersion         string `json:"go"`
	KubeClientVersion string `json:"kube_client"`
	// DefaultKubeVersion is the Kubernetes version offline rendering assumes
	// (.Capabilities.KubeVersion) when --kube-version is not given.
	DefaultKubeVersion string `json:"default_kube_version"`
}

// runVersion is `helmfire version`'s Go half.
func runVersion(_ context.Context, _ noParams) (versionInfo, error) {
	info := versionInfo{
		GoVersion:          runtime.Version(),
		DefaultKubeVersion: common.DefaultCapabilities.KubeVersion.Version,
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
