package kube

import (
	"fmt"
	"os"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// The helm CLI builds its REST config, discovery client and REST mapper
// once per process, and a process deploys one release. helmfire deploys
// many, each with a Session of its own, and rebuilding those per release
// was most of the CPU of a no-op sync of 50 releases (profiled: the
// kubeconfig parsed several times per release, and the mapper re-reading
// and decoding every group's discovery document from the disk cache).
// So they are built once per cluster and shared by every Session of the
// process, as one helm process shares them among its actions:
//
//   - the REST config, handed out as a copy (callers adjust theirs);
//   - one discovery client, cached in memory (the first Session reads the
//     disk cache helm's CLI also fills);
//   - one deferred REST mapper over it. It is safe for concurrent use;
//     helm resets it after installing CRDs, and it resets itself when a
//     kind is not found, so a CRD made by one release is seen by the next
//     as it would be in one helm process.
//
// The key is the kubeconfig (its path, size and modification time, so an
// edited or rotated kubeconfig is read again), the context and the
// overrides a Session sets; the namespace is not part of it: the loader
// that answers it stays the Session's own.

// sharedClients are one cluster's clients, built on first use.
type sharedClients struct {
	once      sync.Once
	err       error
	config    *rest.Config
	discovery discovery.CachedDiscoveryInterface
	mapper    meta.RESTMapper
}

var clientsByCluster sync.Map // clusterKey -> *sharedClients

// sharingGetter is a Session's RESTClientGetter: its own kubeconfig loader
// (namespace), the cluster's shared config, discovery and mapper.
type sharingGetter struct {
	own    genericclioptions.RESTClientGetter
	shared *sharedClients
}

// shareClients wraps a Session's getter so that it uses the clients of its
// cluster built by the first Session of the process.
func shareClients(own genericclioptions.RESTClientGetter, kubeconfig, context string) (*sharingGetter, error) {
	key := clusterKey(kubeconfig, context)
	entry, _ := clientsByCluster.LoadOrStore(key, &sharedClients{})
	shared := entry.(*sharedClients)
	shared.once.Do(func() {
		shared.config, shared.err = own.ToRESTConfig()
		if shared.err != nil {
			return
		}
		unthrottleDiscovery(own)
		shared.discovery, shared.err = own.ToDiscoveryClient()
		if shared.err != nil {
			return
		}
		// helm's own: a deferred discovery mapper with kubectl's shortcuts,
		// over that discovery client; shared, it must also learn kinds
		// that appear while it lives (refreshingMapper).
		var mapper meta.RESTMapper
		mapper, shared.err = own.ToRESTMapper()
		shared.mapper = refreshingMapper{RESTMapper: mapper, discovery: shared.discovery}
	})
	if shared.err != nil {
		// Not kept: the next Session tries again (a kubeconfig being fixed).
		clientsByCluster.CompareAndDelete(key, shared)
		return nil, shared.err
	}
	return &sharingGetter{own: own, shared: shared}, nil
}

// unthrottleDiscovery lifts helm's client-side limit from the discovery
// client about to be shared. helm's limit (5 requests a second once a
// burst of 100 is spent, HELM_QPS and HELM_BURST_LIMIT) is per process,
// and a helm process runs one action; this client serves every action of
// helmfire's process, and helm reads the server version, the API groups
// and the OpenAPI index afresh for each. Throttled, a no-op sync of 200
// releases spent most of its time waiting 200 ms before each of those
// reads once the first 25 releases had spent the burst (measured: 0.8 s
// of 1 s per release). helmfile's helm processes each get their own
// burst, so the API server's priority and fairness is their only shared
// limit, and it stays helmfire's; a HELM_QPS the user sets is kept.
func unthrottleDiscovery(getter genericclioptions.RESTClientGetter) {
	if flags, ok := getter.(*genericclioptions.ConfigFlags); ok && os.Getenv("HELM_QPS") == "" {
		flags.WithDiscoveryQPS(-1) // client-go: a negative QPS builds no rate limiter
	}
}

// clusterKey names the cluster a getter reaches: the kubeconfig files as
// they are now, and the context.
func clusterKey(kubeconfig, context string) string {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	files := rules.GetLoadingPrecedence()
	if kubeconfig != "" {
		files = []string{kubeconfig}
	}
	key := "context=" + context
	for _, f := range files {
		if info, err := os.Stat(f); err == nil {
			key += fmt.Sprintf("\x00%s:%d:%d", f, info.Size(), info.ModTime().UnixNano())
		}
	}
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" {
		key += "\x00in-cluster:" + os.Getenv("KUBERNETES_SERVICE_HOST") + ":" + os.Getenv("KUBERNETES_SERVICE_PORT")
	}
	return key
}

func (g *sharingGetter) ToRESTConfig() (*rest.Config, error) {
	return rest.CopyConfig(g.shared.config), nil
}

func (g *sharingGetter) ToDiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	return g.shared.discovery, nil
}

func (g *sharingGetter) ToRESTMapper() (meta.RESTMapper, error) {
	return g.shared.mapper, nil
}

func (g *sharingGetter) ToRawKubeConfigLoader() clientcmd.ClientConfig {
	return g.own.ToRawKubeConfigLoader()
}

// refreshingMapper is the shared mapper: a kind it does not know makes it
// read discovery again once before it says so. One helm process maps one
// release with discovery read at its start; the shared mapper lives across
// releases, and a kind created since it was built (a CRD of an earlier
// release, in crds/ or among its templates, or made by anyone else) must
// map as it would in a fresh helm process. client-go's deferred mapper
// retries only when its discovery data is not fresh, which after helm's
// per-release invalidation it always claims to be.
type refreshingMapper struct {
	meta.RESTMapper
	discovery discovery.CachedDiscoveryInterface
}

func (m refreshingMapper) refresh() {
	m.discovery.Invalidate()
	if resettable, ok := m.RESTMapper.(meta.ResettableRESTMapper); ok {
		resettable.Reset()
	}
}

func (m refreshingMapper) RESTMapping(gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error) {
	mapping, err := m.RESTMapper.RESTMapping(gk, versions...)
	if meta.IsNoMatchError(err) {
		m.refresh()
		return m.RESTMapper.RESTMapping(gk, versions...)
	}
	return mapping, err
}

func (m refreshingMapper) RESTMappings(gk schema.GroupKind, versions ...string) ([]*meta.RESTMapping, error) {
	mappings, err := m.RESTMapper.RESTMappings(gk, versions...)
	if meta.IsNoMatchError(err) {
		m.refresh()
		return m.RESTMapper.RESTMappings(gk, versions...)
	}
	return mappings, err
}

func (m refreshingMapper) KindFor(resource schema.GroupVersionResource) (schema.GroupVersionKind, error) {
	kind, err := m.RESTMapper.KindFor(resource)
	if meta.IsNoMatchError(err) {
		m.refresh()
		return m.RESTMapper.KindFor(resource)
	}
	return kind, err
}

// Reset is helm's after it installs CRDs.
func (m refreshingMapper) Reset() {
	if resettable, ok := m.RESTMapper.(meta.ResettableRESTMapper); ok {
		resettable.Reset()
	}
}
