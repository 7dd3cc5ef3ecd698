package kube

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// Within a read-only phase the release storage of a namespace is read once
// for all its releases. Helm's storage asks for one release's history at a
// time (`name=<release>,owner=helm`), and the API server answers each such
// list by going through every Secret of the namespace: for N releases of a
// namespace, N lists of N histories, a tenth of the API server's time in a
// no-op diff of 100 releases. Once a phase has asked about
// namespaceHistoryAfter releases of a namespace, one list of every Helm
// release Secret of the namespace (`owner=helm`) answers the rest, each
// query filtered by its own selector, so the answers are what the API
// server would have given. A diff of a few releases keeps Helm's reads, so
// it never downloads a namespace's histories to answer two releases.
//
// A namespace with more release Secrets than namespaceHistoryLimit (a
// release Secret can be near a megabyte) is not read whole: the list asks
// for at most that many, and when the server says there are more, the
// phase goes on asking release by release, as it does after a failed read
// (tried once per phase: a read that times out must not cost every
// release its timeout). What was read lives as long as the phase: until
// the next diff run starts a new one.

// namespaceHistoryAfter is how many releases of a namespace a phase asks
// about before it reads the namespace whole, and namespaceHistoryLimit
// bounds the Secrets such a read may hold. Variables for tests.
var (
	namespaceHistoryAfter       = 4
	namespaceHistoryLimit int64 = 500
)

// NamespaceHistoryLists counts the namespace-wide reads of release storage
// made, NamespaceHistoryTooLarge the ones abandoned over the limit, and
// ReleaseHistoryLists the lists of one release's history a phase sent to
// the API server, for tests.
var (
	NamespaceHistoryLists    atomic.Int64
	NamespaceHistoryTooLarge atomic.Int64
	ReleaseHistoryLists      atomic.Int64
)

// namespaceHistory is what one phase knows of one namespace's releases.
type namespaceHistory struct {
	mu      sync.Mutex
	queried map[string]bool    // releases whose history was asked for
	all     *corev1.SecretList // every `owner=helm` Secret; nil until read
	givenUp bool               // over namespaceHistoryLimit, or the read failed
	// byRelease indexes all by each Secret's `name` label, in list order.
	byRelease map[string][]int
}

// history returns the phase's knowledge of namespace.
func (f *serverFacts) history(namespace string) *namespaceHistory {
	f.listsMu.Lock()
	defer f.listsMu.Unlock()
	h := f.histories[namespace]
	if h == nil {
		h = &namespaceHistory{queried: map[string]bool{}}
		f.histories[namespace] = h
	}
	return h
}

// releaseList answers a query about release's history (selector sel) from
// the namespace's whole release storage, once the phase has asked about
// namespaceHistoryAfter releases of it. ok is false when the caller is to
// ask the API server for this release alone.
func (h *namespaceHistory) releaseList(ctx context.Context, client secretLister, release string, sel labels.Selector) (*corev1.SecretList, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.queried[release] = true
	if h.all == nil {
		if h.givenUp || len(h.queried) < namespaceHistoryAfter {
			return nil, false
		}
		// Later queries of the namespace wait for this read instead of
		// making their own.
		list, err := client.List(ctx, metav1.ListOptions{
			LabelSelector: labels.Set{"owner": "helm"}.AsSelector().String(),
			Limit:         namespaceHistoryLimit,
		})
		if err != nil {
			// Each release's own read says what is wrong, if it is.
			slog.Debug("reading the namespace's release storage whole failed; reading it release by release", "error", err)
			h.givenUp = true
			return nil, false
		}
		NamespaceHistoryLists.Add(1)
		if list.Continue != "" {
			NamespaceHistoryTooLarge.Add(1)
			h.givenUp = true
			return nil, false
		}
		h.all, h.byRelease = list, map[string][]int{}
		for i := range list.Items {
			name := list.Items[i].Labels["name"]
			h.byRelease[name] = append(h.byRelease[name], i)
		}
	}
	PhaseReads.Add(1)
	out := &corev1.SecretList{}
	for _, i := range h.byRelease[release] {
		if sel.Matches(labels.Set(h.all.Items[i].Labels)) {
			// A copy: the driver hands the labels map to the release it
			// decodes.
			out.Items = append(out.Items, *h.all.Items[i].DeepCopy())
		}
	}
	return out, true
}

// secretLister is the part of a Secrets client a namespace-wide read uses.
type secretLister interface {
	List(ctx context.Context, opts metav1.ListOptions) (*corev1.SecretList, error)
}
