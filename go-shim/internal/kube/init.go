package kube

import (
	// Auth plugins for kubeconfigs (exec, OIDC), as helm's CLI imports them.
	_ "k8s.io/client-go/plugin/pkg/client/auth"
	// kubectl's message catalogues stay unloaded (17 ms at every start).
	_ "github.com/helmfire/helmfire/go-shim/internal/kubectl/untranslated"

	helmkube "helm.sh/helm/v4/pkg/kube"
)

func init() {
	// Without this the SDK names the field manager after the program, and
	// helmfire's server-side applies would own fields under another name
	// than the helm CLI's (helm's cmd/helm/helm.go sets the same).
	helmkube.ManagedFieldsManager = "helm"
}
