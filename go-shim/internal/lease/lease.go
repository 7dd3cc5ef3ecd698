// Package lease is the daemon's leader election: client-go's
// leaderelection over a coordination.k8s.io Lease, so that of several
// daemons sharing one Lease (replicas of a Deployment) only the holder
// acts. Kubernetes' own coordination, nothing home-made.
//
// An election outlives the call that starts it: Start runs it in the
// background and returns an id; Status answers what it knows now (Rust
// polls it); Release gives the Lease up (SIGTERM), so a successor takes
// over at once instead of after the lease duration.
//
// Safety comes from client-go's timing: a holder that cannot renew within
// RenewDeadline stops leading (Status says Lost), while a candidate may
// only take the Lease once LeaseDuration has passed since the last
// renewal; the daemon stops acting as soon as it reads Lost, inside that
// gap.
package lease

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
)

// StartParams names the Lease and this candidate.
type StartParams struct {
	// Kube is the cluster holding the Lease; its Namespace is the Lease's.
	Kube     kube.Settings `json:"kube"`
	Name     string        `json:"name"`
	Identity string        `json:"identity"`
	// Durations in seconds; zero takes client-go's customary 15/10/2.
	LeaseSeconds int `json:"lease_seconds,omitempty"`
	RenewSeconds int `json:"renew_seconds,omitempty"`
	RetrySeconds int `json:"retry_seconds,omitempty"`
}

// Handle identifies a running election.
type Handle struct {
	ID string `json:"id"`
}

// Status is what an election knows now.
type Status struct {
	Identity string `json:"identity"`
	// Leading: this candidate holds the Lease.
	Leading bool `json:"leading"`
	// Holder is the identity holding the Lease as last observed ("" when
	// none is known yet).
	Holder string `json:"holder"`
	// Lost: this candidate led and stopped leading without being asked
	// to (it could not renew in time). It must stop acting.
	Lost bool `json:"lost"`
	// Ended: the election is over (lost, or released).
	Ended bool `json:"ended"`
}

type election struct {
	cancel   context.CancelFunc
	done     chan struct{}
	released atomic.Bool

	mu     sync.Mutex
	status Status
}

var (
	mu        sync.Mutex
	elections = map[string]*election{}
	nextID    atomic.Uint64
)

// Start begins campaigning for the Lease in the background.
func Start(ctx context.Context, p StartParams) (Handle, error) {
	if p.Name == "" || p.Identity == "" {
		return Handle{}, fault.Newf(fault.KindBadRequest, "lease_start needs a lease name and an identity")
	}
	leaseFor := seconds(p.LeaseSeconds, 15)
	renewFor := seconds(p.RenewSeconds, 10)
	retryEvery := seconds(p.RetrySeconds, 2)
	if renewFor >= leaseFor || retryEvery >= renewFor {
		return Handle{}, fault.Newf(fault.KindBadRequest, "the lease duration (%s) must exceed the renew deadline (%s), which must exceed the retry period (%s)",
			leaseFor, renewFor, retryEvery)
	}
	s, err := kube.Open(ctx, p.Kube)
	if err != nil {
		return Handle{}, err
	}
	restConfig := s.RESTConfig()
	// Renewals must not hang: a request that does not answer within the
	// renew deadline is a failed renewal.
	restConfig.Timeout = renewFor / 2
	client, err := kubernetes.NewForConfig(restConfig)
	if err != nil {
		return Handle{}, s.Fail(fault.KindKube, "a client for the lease: %v", err)
	}
	namespace := s.Namespace
	// One read first, so that missing permissions are one clear error now
	// and not a retry loop later.
	if _, err := client.CoordinationV1().Leases(namespace).Get(ctx, p.Name, metav1.GetOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return Handle{}, s.Fail(fault.KindKube, "reading Lease %s/%s for leader election: %v (the daemon needs get, create and update on leases.coordination.k8s.io in namespace %s)",
			namespace, p.Name, err, namespace).With("namespace", namespace)
	}

	e := &election{done: make(chan struct{}), status: Status{Identity: p.Identity}}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Name: p.Name, Namespace: namespace},
		Client:     client.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: p.Identity},
	}
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		Name:            p.Name,
		LeaseDuration:   leaseFor,
		RenewDeadline:   renewFor,
		RetryPeriod:     retryEvery,
		ReleaseOnCancel: true,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) { e.update(func(st *Status) { st.Leading, st.Holder = true, p.Identity }) },
			OnStoppedLeading: func() {
				e.update(func(st *Status) {
					st.Lost = st.Leading && !e.released.Load()
					st.Leading = false
					st.Ended = true
				})
			},
			OnNewLeader: func(identity string) { e.update(func(st *Status) { st.Holder = identity }) },
		},
	})
	if err != nil {
		return Handle{}, fault.Newf(fault.KindBadRequest, "leader election: %v", err)
	}
	// The election lives past this call: a context of its own.
	runCtx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	go func() {
		defer close(e.done)
		elector.Run(runCtx)
	}()
	id := strconv.FormatUint(nextID.Add(1), 10)
	mu.Lock()
	elections[id] = e
	mu.Unlock()
	return Handle{ID: id}, nil
}

// StatusOf answers what election h knows now.
func StatusOf(_ context.Context, h Handle) (Status, error) {
	e, err := find(h)
	if err != nil {
		return Status{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.status, nil
}

// releaseLimit bounds how long Release waits for the Lease to be given up.
const releaseLimit = 5 * time.Second

// Release ends election h; a holder gives the Lease up (its holder is
// cleared), so a successor acquires it at its next retry.
func Release(_ context.Context, h Handle) (Status, error) {
	e, err := find(h)
	if err != nil {
		return Status{}, err
	}
	e.released.Store(true)
	e.cancel()
	select {
	case <-e.done:
	case <-time.After(releaseLimit):
	}
	mu.Lock()
	delete(elections, h.ID)
	mu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.status, nil
}

func find(h Handle) (*election, error) {
	mu.Lock()
	defer mu.Unlock()
	e, ok := elections[h.ID]
	if !ok {
		return nil, fault.Newf(fault.KindBadRequest, "no leader election %q is running", h.ID)
	}
	return e, nil
}

func (e *election) update(change func(*Status)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	change(&e.status)
}

func seconds(n, fallback int) time.Duration {
	if n <= 0 {
		n = fallback
	}
	return time.Duration(n) * time.Second
}
