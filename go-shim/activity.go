package main

import (
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"helm.sh/helm/v4/pkg/kube"
	ri "helm.sh/helm/v4/pkg/release"
	"helm.sh/helm/v4/pkg/storage/driver"
)

// activity counts the cluster and storage operations of one action in
// flight. When an Install or Upgrade is cancelled the SDK returns at once
// but its goroutine goes on (pkg/action install.go, upgrade.go); settle
// waits until that goroutine has gone quiet before the call answers, so the
// release state reported is the one left behind.
type activity struct {
	mu       sync.Mutex
	inflight int
	last     time.Time
}

func (a *activity) begin() func() {
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

// settle waits until nothing has been in flight for quiet, at most limit.
// It reports whether that happened.
func (a *activity) settle(quiet, limit time.Duration) bool {
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

// track wraps the session's kube client and release storage so that their
// writes and waits are counted.
func (s *kubeSession) track() *activity {
	a := &activity{}
	s.cfg.KubeClient = &trackedKubeClient{Interface: s.cfg.KubeClient, act: a}
	s.cfg.Releases.Driver = &trackedDriver{Driver: s.cfg.Releases.Driver, act: a}
	return a
}

type trackedKubeClient struct {
	kube.Interface
	act *activity
}

var (
	_ kube.Interface            = (*trackedKubeClient)(nil)
	_ kube.InterfaceWaitOptions = (*trackedKubeClient)(nil)
)

func (c *trackedKubeClient) Create(resources kube.ResourceList, options ...kube.ClientCreateOption) (*kube.Result, error) {
	defer c.act.begin()()
	return c.Interface.Create(resources, options...)
}

func (c *trackedKubeClient) Update(original, target kube.ResourceList, options ...kube.ClientUpdateOption) (*kube.Result, error) {
	defer c.act.begin()()
	return c.Interface.Update(original, target, options...)
}

func (c *trackedKubeClient) Delete(resources kube.ResourceList, policy metav1.DeletionPropagation) (*kube.Result, []error) {
	defer c.act.begin()()
	return c.Interface.Delete(resources, policy)
}

func (c *trackedKubeClient) GetWaiter(strategy kube.WaitStrategy) (kube.Waiter, error) {
	return c.GetWaiterWithOptions(strategy)
}

// GetWaiterWithOptions must exist on the wrapper: the SDK type-asserts
// kube.InterfaceWaitOptions and would otherwise drop the wait options.
func (c *trackedKubeClient) GetWaiterWithOptions(strategy kube.WaitStrategy, opts ...kube.WaitOption) (kube.Waiter, error) {
	var w kube.Waiter
	var err error
	if inner, ok := c.Interface.(kube.InterfaceWaitOptions); ok {
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
	inner kube.Waiter
	act   *activity
}

func (w *trackedWaiter) Wait(resources kube.ResourceList, timeout time.Duration) error {
	defer w.act.begin()()
	return w.inner.Wait(resources, timeout)
}

func (w *trackedWaiter) WaitWithJobs(resources kube.ResourceList, timeout time.Duration) error {
	defer w.act.begin()()
	return w.inner.WaitWithJobs(resources, timeout)
}

func (w *trackedWaiter) WaitForDelete(resources kube.ResourceList, timeout time.Duration) error {
	defer w.act.begin()()
	return w.inner.WaitForDelete(resources, timeout)
}

func (w *trackedWaiter) WatchUntilReady(resources kube.ResourceList, timeout time.Duration) error {
	defer w.act.begin()()
	return w.inner.WatchUntilReady(resources, timeout)
}

type trackedDriver struct {
	driver.Driver
	act *activity
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
