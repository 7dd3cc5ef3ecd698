package release

import (
	"context"
	"fmt"
	"strconv"
	"time"

	rcommon "helm.sh/helm/v4/pkg/release/common"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
)

// recordFailureLimit bounds how long a failed deployment keeps asking an
// API server that does not answer, to record the failure Helm could not.
const recordFailureLimit = 30 * time.Second

// leaveNothingPending is called when a deployment failed. Helm records the
// failure by rewriting the revision it created from pending-install or
// pending-upgrade to failed; when the API server is gone at that moment
// (restarting, a network cut), the revision stays pending, and a pending
// revision is a lock: every later operation on the release refuses to
// run. So the revision this run created is read back and, if still
// pending, marked failed, retrying while the server does not answer, up to
// recordFailureLimit. What happened is added to e, so the user knows
// whether anything was left behind.
func leaveNothingPending(ctx context.Context, s *kube.Session, name string, before *releasev1.Release, e *fault.Error) *fault.Error {
	ours := 1
	if before != nil {
		ours = before.Version + 1
	}
	deadline := time.Now().Add(recordFailureLimit)
	pause := 500 * time.Millisecond
	for {
		rel, err := s.LastRelease(name)
		if err == nil {
			if rel == nil || rel.Info == nil || rel.Version != ours || !rel.Info.Status.IsPending() {
				return e
			}
			was := rel.Info.Status
			rel.Info.Status = rcommon.StatusFailed
			rel.Info.Description = fmt.Sprintf("%s failed, recorded by helmfire after the API server did not answer: %s", was, rel.Info.Description)
			rel.Info.LastDeployed = time.Now()
			if err = s.Config.Releases.Update(rel); err == nil {
				e.Message += fmt.Sprintf("\n  Helm could not record the failure (the API server did not answer), so helmfire marked revision %d failed (it was %s) once the server answered again", rel.Version, was)
				return e.With("status", rcommon.StatusFailed.String()).With("revision", strconv.Itoa(rel.Version)).With("pending", "false")
			}
		}
		if time.Now().Add(pause).After(deadline) || ctx.Err() != nil {
			e.Message += fmt.Sprintf("\n  its revision %d may be left pending: the API server did not answer within %s to record the failure (%v), and until that revision is rolled back or uninstalled every later operation on the release refuses to run",
				ours, recordFailureLimit, err)
			return e.With("pending", "true").With("revision", strconv.Itoa(ours))
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
		pause = min(pause*2, 4*time.Second)
	}
}
