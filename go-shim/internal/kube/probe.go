package kube

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// ProbeParams names a cluster (kubeconfig and context) and the namespaces
// a run will keep releases in.
type ProbeParams struct {
	Kube Settings `json:"kube"`
	// Namespaces are the release namespaces; "" is the context's own.
	Namespaces []string `json:"namespaces"`
}

// ProbeResult is the cluster that answered.
type ProbeResult struct {
	Server string `json:"server"`
}

// Probe checks, once per run and context, what every release of that
// context would otherwise find out on its own: the context exists, the API
// server answers and takes the credentials, and they may read Helm's
// release storage (Secrets labelled owner=helm) in each namespace. The
// first failure is one error naming the context and server.
func Probe(ctx context.Context, p ProbeParams) (ProbeResult, error) {
	s, err := Open(ctx, Settings{Kubeconfig: p.Kube.Kubeconfig, Context: p.Kube.Context})
	if err != nil {
		return ProbeResult{}, err
	}
	restConfig := s.RESTConfig()
	client, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return ProbeResult{}, s.Fail(fault.KindKube, "cannot build a client for %s (context %q): %v", s.server, s.context, err)
	}
	for _, namespace := range p.Namespaces {
		if namespace == "" {
			namespace = s.Namespace
		}
		_, err := client.CoreV1().Secrets(namespace).List(ctx, metav1.ListOptions{LabelSelector: "owner=helm", Limit: 1})
		if err != nil {
			e := s.Classify(err, "", fault.KindKube)
			return ProbeResult{}, e.With("namespace", namespace)
		}
	}
	return ProbeResult{Server: s.server}, nil
}
