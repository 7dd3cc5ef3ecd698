package kube

import (
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	helmkube "helm.sh/helm/v4/pkg/kube"
	ri "helm.sh/helm/v4/pkg/release"
	"helm.sh/helm/v4/pkg/storage/driver"
)

// Activity counts the cluster and storage operations of one action in
// flight. When an Install or Upgrade is cancelled the SDK returns at once
// but its goroutine goes on (pkg/action install.go, upgrade.go); Settle
// waits until that goroutine has gone quiet before the call answers, so the
// release state reported is the one left behind.
type Activity struct {
	mu       sync.Mutex
	inflight int
	last     time.Time
}

func (a *Activity) begin() func() {
	a.mu.Lock()
	a.inflight++
	a.last = time.Now()
	a.mu.Unlock()
	return func() {
		a.mu.Lock()
		a.inflight--
		a.last = time.Now()
		a.mu.Unlock()
	}
}

// Settle waits until nothing has been in flight for quiet, at most limit.
// It reports whether that happened.
func (a *Activity) Settle(quiet, limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for {
		a.mu.Lock()
		idle := a.inflight == 0 && time.Since(a.last) >= quiet
		a.mu.Unlock()
		if idle {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(quiet / 4)
	}
}

// Track wraps the session's kube client and release storage so that their
// writes and waits are counted.
func (s *Session) Track() *Activity {
	a := &Activity{}
	s.Config.KubeClient = &trackedKubeClient{Interface: s.Config.KubeClient, act: a}
	s.Config.Releases.Driver = &trackedDriver{Driver: s.Config.Releases.Driver, act: a}
	return a
}

type trackedKubeClient struct {
	helmkube.Interface
	act *Activity
}

var (
	_ helmkube.Interface            = (*trackedKubeClient)(nil)
	_ helmkube.InterfaceWaitOptions = (*trackedKubeClient)(nil)
)

func (c *trackedKubeClient) Create(resources helmkube.ResourceList, options ...helmkube.ClientCreateOption) (*helmkube.Result, error) {
	defer c.act.begin()()
	return c.Interface.Create(resources, options...)
}

func (c *trackedKubeClient) Update(original, target helmkube.ResourceList, options ...helmkube.ClientUpdateOption) (*helmkube.Result, error) {
	defer c.act.begin()()
	return c.Interface.Update(original, target, options...)
}

func (c *trackedKubeClient) Delete(resources helmkube.ResourceList, policy metav1.DeletionPropagation) (*helmkube.Result, []error) {
	defer c.act.begin()()
	return c.Interface.Delete(resources, policy)
}

func (c *trackedKubeClient) GetWaiter(strategy helmkube.WaitStrategy) (helmkube.Waiter, error) {
	return c.GetWaiterWithOptions(strategy)
}

// GetWaiterWithOptions must exist on the wrapper: the SDK type-asserts
// helmkube.InterfaceWaitOptions and would otherwise drop the wait options.
func (c *trackedKubeClient) GetWaiterWithOptions(strategy helmkube.WaitStrategy, opts ...helmkube.WaitOption) (helmkube.Waiter, error) {
	var w helmkube.Waiter
	var err error
	if inner, ok := c.Interface.(helmkube.InterfaceWaitOptions); ok {
		w, err = inner.GetWaiterWithOptions(strategy, opts...)
	} else {
		w, err = c.Interface.GetWaiter(strategy)
	}
	if err != nil {
		return nil, err
	}
	return &trackedWaiter{inner: w, act: c.act}, nil
}

type trackedWaiter struct {
	inner helmkube.Waiter
	act   *Activity
}

func (w *trackedWaiter) Wait(resources helmkube.ResourceList, timeout time.Duration) error {
	defer w.act.begin()()
	return w.inner.Wait(resources, timeout)
}

func (w *trackedWaiter) WaitWithJobs(resources helmkube.ResourceList, timeout time.Duration) error {
	defer w.act.begin()()
	return w.inner.WaitWithJobs(resources, timeout)
}

func (w *trackedWaiter) WaitForDelete(resources helmkube.ResourceList, timeout time.Duration) error {
	defer w.act.begin()()
	return w.inner.WaitForDelete(resources, timeout)
}

func (w *trackedWaiter) WatchUntilReady(resources helmkube.ResourceList, timeout time.Duration) error {
	defer w.act.begin()()
	return w.inner.WatchUntilReady(resources, timeout)
}

type trackedDriver struct {
	driver.Driver
	act *Activity
}

func (d *trackedDriver) Create(key string, rls ri.Releaser) error {
	defer d.act.begin()()
	return d.Driver.Create(key, rls)
}

func (d *trackedDriver) Update(key string, rls ri.Releaser) error {
	defer d.act.begin()()
	return d.Driver.Update(key, rls)
}

func (d *trackedDriver) Delete(key string) (ri.Releaser, error) {
	defer d.act.begin()()
	return d.Driver.Delete(key)
}
