// Package track follows what a release deploys while Helm deploys it: the
// live tracking helmfile gets from kubedog, built on kstatus (which Helm 4
// itself waits with) and client-go.
//
// A Tracker runs beside the SDK's upgrade, never inside it: it finds the
// revision Helm records before it applies anything, reads the objects of
// its manifest, and polls them, saying each change of status in one line
// (a rollout's N/M, a Job's completions, a Pod that cannot be scheduled or
// keeps crashing). When the deployment fails, Diagnose says why: the
// objects that are not ready, their Pods' problems, the warning events and
// the last log lines of the containers that failed. Helm's own semantics
// (wait, timeout, atomic) are untouched.
package track

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/helmfire/helmfire/go-shim/internal/kube"
)

// LevelProgress is the slog level of tracking lines: above Info (the SDK's
// chatter, shown with --debug) and below Warn, so Rust shows them at the
// normal verbosity as progress, not as warnings.
const LevelProgress = slog.Level(2)

// Options are helmfile's tracking settings of one release.
type Options struct {
	// Mode is "helm" (lines while Helm waits) or "kubedog" (lines while
	// Helm deploys, then until every object is ready or Timeout).
	Mode string `json:"mode"`
	// TimeoutSeconds bounds kubedog tracking after Helm returns (0: 300).
	TimeoutSeconds int `json:"timeout_seconds,omitempty"`
	// Logs streams every tracked container's log lines.
	Logs bool `json:"logs,omitempty"`
	// FailedLogs shows the last log lines of containers that fail.
	FailedLogs bool `json:"failed_logs,omitempty"`
	// Kinds, SkipKinds and Resources choose what is tracked (kubedog mode).
	Kinds     []string   `json:"kinds,omitempty"`
	SkipKinds []string   `json:"skip_kinds,omitempty"`
	Resources []Resource `json:"resources,omitempty"`
	// FailOnError makes kubedog tracking that does not converge fail the
	// release; otherwise it is a warning, as in helmfile.
	FailOnError bool `json:"fail_on_error,omitempty"`
}

// Resource names one object to track (`trackResources`).
type Resource struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

const (
	pollInterval   = 2 * time.Second
	findInterval   = 300 * time.Millisecond
	defaultTimeout = 300 * time.Second
	// logTail is how many lines of a failed container's log are shown.
	logTail = 20
)

// object is one tracked object of the manifest.
type object struct {
	gvr       schema.GroupVersionResource
	kind      string
	namespace string
	name      string
	// last is the status last said, "" before the first poll.
	last   string
	status status.Status
	// live is the object as last read, for its selector and diagnosis.
	live *unstructured.Unstructured
}

func (o *object) ref() string { return o.kind + "/" + o.name }

// Tracker follows one release's objects.
type Tracker struct {
	session  *kube.Session
	release  string
	previous int // the revision before this deployment; 0 when none
	opts     Options
	emit     func(string)
	dyn      dynamic.Interface
	core     kubernetes.Interface

	mu      sync.Mutex
	found   bool // the revision's objects are known
	objects []*object
	pods    map[string]string    // pod name -> problem last said
	logsAt  map[string]time.Time // namespace/pod/container -> last streamed line

	cancel context.CancelFunc
	done   chan struct{}
}

// Start begins tracking release (whose last revision before this deployment
// is previous) until Stop.
func Start(ctx context.Context, s *kube.Session, release string, previous int, opts Options) (*Tracker, error) {
	restConfig := s.RESTConfig()
	dyn, err := dynamic.NewForConfig(restConfig)
	if err != nil {
		return nil, err
	}
	core, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	t := &Tracker{
		session: s, release: release, previous: previous, opts: opts, dyn: dyn, core: core,
		pods: map[string]string{}, logsAt: map[string]time.Time{},
		emit: func(line string) {
			slog.Log(context.Background(), LevelProgress, fmt.Sprintf("release %s: %s", release, line))
		},
		cancel: cancel, done: make(chan struct{}),
	}
	go t.run(runCtx)
	return t, nil
}

// Stop ends the tracking goroutine and waits for it.
func (t *Tracker) Stop() {
	t.cancel()
	<-t.done
}

func (t *Tracker) run(ctx context.Context) {
	defer close(t.done)
	defer func() { _ = recover() }() // tracking must never take a deployment down
	if !t.find(ctx) {
		return
	}
	for {
		t.poll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(pollInterval):
		}
	}
}

// find waits for the revision this deployment records and reads the
// objects of its manifest.
func (t *Tracker) find(ctx context.Context) bool {
	for {
		rel, err := t.session.LastRelease(t.release)
		if err == nil && rel != nil && rel.Version > t.previous {
			objects, err := t.manifestObjects(rel.Manifest)
			if err != nil {
				t.emit(fmt.Sprintf("cannot track its objects: %v", err))
				return false
			}
			t.mu.Lock()
			t.objects, t.found = objects, true
			t.mu.Unlock()
			if len(objects) > 0 {
				t.emit(fmt.Sprintf("tracking %d objects", len(objects)))
			}
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(findInterval):
		}
	}
}

func (t *Tracker) manifestObjects(manifest string) ([]*object, error) {
	infos, err := t.session.Config.KubeClient.Build(strings.NewReader(manifest), false)
	if err != nil {
		return nil, err
	}
	var out []*object
	for _, info := range infos {
		if info.Mapping == nil {
			continue
		}
		o := &object{gvr: info.Mapping.Resource, kind: info.Mapping.GroupVersionKind.Kind, namespace: info.Namespace, name: info.Name}
		if t.tracks(o) {
			out = append(out, o)
		}
	}
	return out, nil
}

// tracks applies trackKinds, skipKinds and trackResources (kubedog mode).
func (t *Tracker) tracks(o *object) bool {
	if t.opts.Mode != "kubedog" {
		return true
	}
	same := strings.EqualFold
	if len(t.opts.Kinds) > 0 && !slices.ContainsFunc(t.opts.Kinds, func(k string) bool { return same(k, o.kind) }) {
		return false
	}
	if slices.ContainsFunc(t.opts.SkipKinds, func(k string) bool { return same(k, o.kind) }) {
		return false
	}
	if len(t.opts.Resources) > 0 {
		return slices.ContainsFunc(t.opts.Resources, func(r Resource) bool {
			return same(r.Kind, o.kind) && r.Name == o.name && (r.Namespace == "" || r.Namespace == o.namespace)
		})
	}
	return true
}

// poll reads every tracked object once and says what changed.
func (t *Tracker) poll(ctx context.Context) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, o := range t.objects {
		if ctx.Err() != nil {
			return
		}
		live, err := t.dyn.Resource(o.gvr).Namespace(o.namespace).Get(ctx, o.name, metav1.GetOptions{})
		var line string
		switch {
		case err != nil:
			o.status, line = status.UnknownStatus, "not found yet"
		default:
			o.live = live
			res, err := status.Compute(live)
			if err != nil {
				o.status, line = status.UnknownStatus, err.Error()
			} else {
				o.status, line = res.Status, describe(res)
			}
		}
		// A first look at an object that is already ready (a ConfigMap) is
		// not news, unless it is a workload; every later change is.
		if line != o.last && (o.last != "" || o.status != status.CurrentStatus || hasPods(o.kind)) {
			t.emit(fmt.Sprintf("%s: %s", o.ref(), line))
		}
		o.last = line
		if o.live != nil && hasPods(o.kind) {
			t.pollPods(ctx, o)
		}
	}
}

func describe(res *status.Result) string {
	switch res.Status {
	case status.CurrentStatus:
		if res.Message != "" {
			return "ready (" + res.Message + ")"
		}
		return "ready"
	case status.FailedStatus:
		return "failed: " + res.Message
	}
	if res.Message == "" {
		return strings.ToLower(string(res.Status))
	}
	return res.Message
}

// Converge keeps tracking, after Helm returned, until every object is ready
// or one failed, or timeout (kubedog mode). It returns what is not ready.
func (t *Tracker) Converge(ctx context.Context) error {
	timeout := defaultTimeout
	if t.opts.TimeoutSeconds > 0 {
		timeout = time.Duration(t.opts.TimeoutSeconds) * time.Second
	}
	deadline := time.Now().Add(timeout)
	t.mu.Lock()
	found := t.found
	t.mu.Unlock()
	// Helm may have returned before the background goroutine read the
	// revision; it is recorded now.
	if !found {
		findCtx, cancel := context.WithDeadline(ctx, deadline)
		found = t.find(findCtx)
		cancel()
		if !found {
			return fmt.Errorf("its revision could not be read within %s", timeout)
		}
	}
	for {
		t.poll(ctx)
		pending, failed := t.notReady()
		switch {
		case len(failed) > 0:
			return fmt.Errorf("%s failed", strings.Join(failed, ", "))
		case len(pending) == 0:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("%s not ready after %s", strings.Join(pending, ", "), timeout)
		case ctx.Err() != nil:
			return ctx.Err()
		}
		select {
		case <-ctx.Done():
		case <-time.After(pollInterval):
		}
	}
}

func (t *Tracker) notReady() (pending, failed []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, o := range t.objects {
		switch o.status {
		case status.CurrentStatus:
		case status.FailedStatus:
			failed = append(failed, o.ref())
		default:
			pending = append(pending, o.ref())
		}
	}
	return pending, failed
}
