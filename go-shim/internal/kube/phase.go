package kube

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/openapi"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	helmkube "helm.sh/helm/v4/pkg/kube"
)

// A read-only phase is a stretch of calls, named by the caller, during
// which the caller promises that nothing it does changes the cluster:
// helmfire's diff phase, where every selected release is compared before
// anything is written or any per-release hook runs.
//
// Helm reads the cluster's shape afresh for every action: it checks the
// server answers, invalidates its discovery cache and reads the server
// version and every API group again (a release installed just before may
// have added CRDs that .Capabilities must show), and the upgrade reads the
// release's storage that the diff has just read. Within a phase nothing is
// installed, so one answer per server serves every release of the phase:
// for 50 releases that is 200 requests fewer, and no discovery cache
// rewritten on disk 50 times. Answers that failed are not kept (the next
// release asks again, as it would have).
//
// Only the newest phase is kept, so a daemon's next apply, which may follow
// hooks that installed CRDs, reads everything again.
type phaseFacts struct {
	mu      sync.Mutex
	id      string
	servers map[string]*serverFacts
}

// serverFacts is what one phase learnt about one API server.
type serverFacts struct {
	reachable atomic.Bool

	capsMu sync.Mutex
	caps   *common.Capabilities

	listsMu   sync.Mutex
	lists     map[listKey]*corev1.SecretList
	histories map[string]*namespaceHistory // by namespace (phase_histories.go)

	pathsMu sync.Mutex
	paths   map[string]openapi.GroupVersion

	admissionMu    sync.Mutex
	admission      string // the fingerprint; "" until read
	admissionKnown bool   // read, or found unreadable ("" then)
}

type listKey struct{ namespace, labels, fields string }

var phases phaseFacts

// PhaseReads counts the reads a phase answered from what it had learnt,
// for tests.
var PhaseReads atomic.Int64

// server is the facts of phase id about server, starting afresh when id
// is not the phase kept so far.
func (p *phaseFacts) server(id, server string) *serverFacts {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.id != id {
		p.id, p.servers = id, map[string]*serverFacts{}
	}
	facts := p.servers[server]
	if facts == nil {
		facts = &serverFacts{lists: map[listKey]*corev1.SecretList{}, histories: map[string]*namespaceHistory{}}
		p.servers[server] = facts
	}
	return facts
}

// capabilities is what Helm's Configuration.getCapabilities computes,
// computed once per phase and server; each session gets its own copy.
func (f *serverFacts) capabilities(dc discovery.CachedDiscoveryInterface) (*common.Capabilities, error) {
	f.capsMu.Lock()
	defer f.capsMu.Unlock()
	if f.caps != nil {
		PhaseReads.Add(1)
		return f.caps.Copy(), nil
	}
	// As Helm does: the discovery cache on disk may predate CRDs.
	dc.Invalidate()
	version, err := dc.ServerVersion()
	if err != nil {
		return nil, fmt.Errorf("could not get server version from Kubernetes: %w", err)
	}
	apiVersions, err := action.GetVersionSet(dc)
	if err != nil {
		if !discovery.IsGroupDiscoveryFailedError(err) {
			return nil, fmt.Errorf("could not get apiVersions from Kubernetes: %w", err)
		}
		// Helm's own warning: the version set is complete but for the
		// API service that does not answer.
		slog.Warn("the kubernetes server has an orphaned API service", slog.Any("error", err))
		slog.Warn("to fix this, kubectl delete apiservice <service-name>")
	}
	f.caps = &common.Capabilities{
		APIVersions: apiVersions,
		KubeVersion: common.KubeVersion{Version: version.GitVersion, Major: version.Major, Minor: version.Minor},
		HelmVersion: common.DefaultCapabilities.HelmVersion,
	}
	return f.caps.Copy(), nil
}

// joinPhase makes the session's Configuration take the phase's answers:
// its capabilities, and a release storage whose label queries are read
// once per phase.
func (s *Session) joinPhase(facts *serverFacts) error {
	dc, err := s.Config.RESTClientGetter.ToDiscoveryClient()
	if err != nil {
		return fmt.Errorf("could not get Kubernetes discovery client: %w", err)
	}
	caps, err := facts.capabilities(dc)
	if err != nil {
		return err
	}
	s.Config.Capabilities = caps

	kc, ok := s.Config.KubeClient.(*helmkube.Client)
	if !ok {
		return nil // not Helm's client: keep its own storage
	}
	if shared, ok := kc.Factory.(*sharedSchemaFactory); ok {
		shared.facts = facts
	}
	clients, err := kc.Factory.KubernetesClientSet()
	if err != nil {
		return fmt.Errorf("unable to generate a Kubernetes client: %w", err)
	}
	s.useSecrets(&phaseSecrets{SecretInterface: clients.CoreV1().Secrets(s.Namespace), namespace: s.Namespace, facts: facts})
	return nil
}

// phaseOpenAPI answers the validator's list of OpenAPI v3 documents (one
// request per manifest validated, two per release) from the phase's first.
type phaseOpenAPI struct {
	openapi.Client
	facts *serverFacts
}

func (c *phaseOpenAPI) Paths() (map[string]openapi.GroupVersion, error) {
	c.facts.pathsMu.Lock()
	defer c.facts.pathsMu.Unlock()
	if c.facts.paths != nil {
		PhaseReads.Add(1)
		return c.facts.paths, nil
	}
	paths, err := c.Client.Paths()
	if err != nil {
		return nil, err
	}
	c.facts.paths = paths
	return paths, nil
}

// phaseSecrets answers the storage driver's label queries (Last, History,
// Deployed) from the namespace's release storage read once
// (phase_histories.go) or from the phase's first answer to the same query;
// every other call goes to the API server.
type phaseSecrets struct {
	corev1client.SecretInterface
	namespace string
	facts     *serverFacts
}

func (c *phaseSecrets) List(ctx context.Context, opts metav1.ListOptions) (*corev1.SecretList, error) {
	if opts.Watch || opts.Limit != 0 || opts.Continue != "" || opts.ResourceVersion != "" {
		return c.SecretInterface.List(ctx, opts)
	}
	release, sel, isRelease := releaseQueried(opts.LabelSelector)
	if isRelease && opts.FieldSelector == "" {
		if list, answered := c.facts.history(c.namespace).releaseList(ctx, c.SecretInterface, release, sel); answered {
			return list, nil
		}
	}
	key := listKey{c.namespace, opts.LabelSelector, opts.FieldSelector}
	c.facts.listsMu.Lock()
	known := c.facts.lists[key]
	c.facts.listsMu.Unlock()
	if known != nil {
		PhaseReads.Add(1)
		// A copy: the driver hands the labels map to the release it decodes.
		return known.DeepCopy(), nil
	}
	if isRelease {
		ReleaseHistoryLists.Add(1)
	}
	list, err := c.SecretInterface.List(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.facts.listsMu.Lock()
	c.facts.lists[key] = list.DeepCopy()
	c.facts.listsMu.Unlock()
	return list, nil
}

// admissionResources are the API objects that configure admission: what
// can make the same request to the same object answer differently on the
// same server version.
var admissionResources = []struct {
	gvr  schema.GroupVersionResource
	kind string
}{
	{admissionGVR("v1", "mutatingwebhookconfigurations"), "MutatingWebhookConfiguration"},
	{admissionGVR("v1", "validatingwebhookconfigurations"), "ValidatingWebhookConfiguration"},
	{admissionGVR("v1", "validatingadmissionpolicies"), "ValidatingAdmissionPolicy"},
	{admissionGVR("v1", "validatingadmissionpolicybindings"), "ValidatingAdmissionPolicyBinding"},
	{admissionGVR("v1beta1", "mutatingadmissionpolicies"), "MutatingAdmissionPolicy"},
	{admissionGVR("v1beta1", "mutatingadmissionpolicybindings"), "MutatingAdmissionPolicyBinding"},
	{admissionGVR("v1", "mutatingadmissionpolicies"), "MutatingAdmissionPolicy"},
	{admissionGVR("v1", "mutatingadmissionpolicybindings"), "MutatingAdmissionPolicyBinding"},
}

func admissionGVR(version, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: "admissionregistration.k8s.io", Version: version, Resource: resource}
}

// ClusterFingerprint names, once per phase, what besides an object and
// the request decides a dry run's answer: the server's version and every
// admission configuration (each object's uid and resourceVersion). Empty
// when the session is in no phase or the configuration cannot be read
// (RBAC may forbid listing it): then nothing may be assumed.
func (s *Session) ClusterFingerprint(ctx context.Context) string {
	if s.facts == nil || s.Config.Capabilities == nil {
		return ""
	}
	f := s.facts
	f.admissionMu.Lock()
	defer f.admissionMu.Unlock()
	if f.admissionKnown {
		return f.admission
	}
	restConfig := s.RESTConfig()
	client, err := metadata.NewForConfig(restConfig)
	if err != nil {
		return ""
	}
	caps := s.Config.Capabilities
	lines := []string{"server " + caps.KubeVersion.Version}
	for _, r := range admissionResources {
		gvr := r.gvr
		// Helm's version set has "group/version/Kind" for every served kind.
		if !caps.APIVersions.Has(gvr.GroupVersion().String() + "/" + r.kind) {
			continue
		}
		list, err := client.Resource(gvr).List(ctx, metav1.ListOptions{})
		if err != nil {
			// Not served at this version, or not readable: unknown.
			slog.Debug("admission configuration unreadable; every object gets its dry run", "resource", gvr.String(), "error", err)
			f.admission, f.admissionKnown = "", true
			return ""
		}
		for _, item := range list.Items {
			lines = append(lines, fmt.Sprintf("%s %s %s %s", gvr.Resource, item.Name, item.UID, item.ResourceVersion))
		}
	}
	slices.Sort(lines)
	sum := sha256.New()
	for _, line := range lines {
		sum.Write([]byte(line + "\n"))
	}
	f.admission, f.admissionKnown = hex.EncodeToString(sum.Sum(nil)), true
	return f.admission
}
