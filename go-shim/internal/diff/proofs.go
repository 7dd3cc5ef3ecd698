package diff

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/resource"

	"github.com/helmfire/helmfire/go-shim/internal/proofstore"
)

// No-change proofs: a no-op diff costs one dry-run apply per object, and
// on an unchanged release every one of them answers "the live object".
// The answer of a dry run is decided by the request (the rendered object,
// the original it is merged with, how it is applied), the live object
// (its uid and resourceVersion: any write changes the latter), and the
// server: its version (built-in defaulting) and its admission
// configuration (kube.ClusterFingerprint). When all of these are what they
// were when a dry run last answered "no change", the dry run is skipped.
// A fingerprint is trusted only once it has been the cluster's for
// settleTime.
//
// Only kinds the API server serves itself are proven: a custom resource's
// defaulting and pruning follow its CRD's schema, which can change
// without touching the object. Secrets are never proven, so nothing
// derived from their data is written to disk. Each proof is a SHA-256
// digest; a release's proofs are one small file of internal/proofstore.
type proofs struct {
	file        *proofstore.File
	fingerprint string

	mu     sync.Mutex
	proven []string
}

// dryRunsSkipped counts the dry runs proofs saved, for tests.
var dryRunsSkipped atomic.Int64

// builtinGroups are the API groups kube-apiserver serves itself, whose
// defaulting is fixed by its version.
var builtinGroups = map[string]bool{
	"": true, "apps": true, "batch": true, "autoscaling": true, "policy": true,
	"networking.k8s.io": true, "rbac.authorization.k8s.io": true, "storage.k8s.io": true,
	"scheduling.k8s.io": true, "coordination.k8s.io": true, "discovery.k8s.io": true,
	"node.k8s.io": true, "certificates.k8s.io": true, "admissionregistration.k8s.io": true,
	"apiextensions.k8s.io": true, "flowcontrol.apiserver.k8s.io": true, "resource.k8s.io": true,
}

// settleTime is how long a cluster fingerprint must have been current before
// proofs are taken or trusted under it: the API server applies a new or
// changed webhook or policy a moment after it is stored (its informers,
// the policy's compilation), and a dry run in that moment would prove
// what no longer holds; a removed one lingers alike.
var settleTime = time.Minute

// loadProofs reads the proofs of release in helmfire's cache for a
// cluster whose fingerprint is given; proofs are off when either is
// empty, or while the fingerprint has not settled.
func loadProofs(cacheDir, server, namespace, release, fingerprint string) *proofs {
	if fingerprint == "" {
		cacheDir = ""
	}
	if since := proofstore.CurrentSince(cacheDir, server, fingerprint); since.IsZero() || time.Since(since) < settleTime {
		cacheDir = ""
	}
	return &proofs{file: proofstore.Open(cacheDir, server+"\x00"+namespace+"\x00"+release), fingerprint: fingerprint}
}

// key is the digest of everything that decides the dry run of info over
// live; "" when the object may not be proven.
func (p *proofs) key(info, original *resource.Info, live *unstructured.Unstructured, strategy ApplyStrategy, stripCR bool) string {
	gvk := info.Mapping.GroupVersionKind
	if !p.file.Enabled() || !builtinGroups[gvk.Group] || (gvk.Group == "" && gvk.Kind == "Secret") {
		return ""
	}
	sum := sha256.New()
	write := func(v any) bool {
		data, err := json.Marshal(v)
		if err != nil {
			return false
		}
		fmt.Fprintf(sum, "%d:", len(data))
		sum.Write(data)
		return true
	}
	var originalObject any
	if original != nil {
		originalObject = original.Object
	}
	ok := write([]string{"proof/1", p.fingerprint, gvk.String(), info.Namespace, info.Name, string(live.GetUID()), live.GetResourceVersion()}) &&
		write(strategy) && write(stripCR) && write(info.Object) && write(originalObject)
	if !ok {
		return ""
	}
	return hex.EncodeToString(sum.Sum(nil))
}

// holds tells whether a proof with key exists, and keeps it for the next
// run when it does.
func (p *proofs) holds(key string) bool {
	if key == "" || !p.file.Has(key) {
		return false
	}
	p.add(key)
	dryRunsSkipped.Add(1)
	return true
}

// add records that the dry run for key showed no change.
func (p *proofs) add(key string) {
	if key == "" {
		return
	}
	p.mu.Lock()
	p.proven = append(p.proven, key)
	p.mu.Unlock()
}

// save replaces the release's proofs with this run's: the proofs of
// objects that changed or left the release are dropped.
func (p *proofs) save() {
	p.file.Replace(p.proven)
}
