package kube

import (
	"context"
	"time"

	helmkube "helm.sh/helm/v4/pkg/kube"
)

const (
	// defaultTimeout is helm's --timeout default.
	defaultTimeout = 300 * time.Second
	// statusComputeWorkers is what helm's CLI sets (defaultCLIWaitOptions).
	statusComputeWorkers = 8
)

// WaitOptions are the SDK's wait options for a call: helm CLI's defaults,
// and the call's context so that cancelling stops waiting.
func WaitOptions(ctx context.Context) []helmkube.WaitOption {
	return []helmkube.WaitOption{
		helmkube.WithStatusComputeWorkers(statusComputeWorkers),
		helmkube.WithWaitContext(ctx),
	}
}

// WaitStrategy is what helm's --wait means (watch the resources' status),
// else helm CLI's default (wait for hooks only).
func WaitStrategy(wait bool) helmkube.WaitStrategy {
	if wait {
		return helmkube.StatusWatcherStrategy
	}
	return helmkube.HookOnlyStrategy
}

// Timeout is helm's --timeout: seconds, helm's 300 s when not positive.
func Timeout(seconds int) time.Duration {
	if seconds <= 0 {
		return defaultTimeout
	}
	return time.Duration(seconds) * time.Second
}

// CancelWhileRunning returns a context cancelled when parent is, until
// detach is called. The SDK's Upgrade watches its context in a goroutine
// that may outlive the call; the call's own context is cancelled when the
// call returns, which must not mark a finished upgrade failed.
func CancelWhileRunning(parent context.Context) (ctx context.Context, detach func()) {
	ctx, cancel := context.WithCancel(context.Background())
	stop := context.AfterFunc(parent, cancel)
	return ctx, func() { stop() }
}
