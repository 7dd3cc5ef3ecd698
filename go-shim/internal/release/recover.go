package release

import (
	"context"
	"fmt"
	"time"

	rcommon "helm.sh/helm/v4/pkg/release/common"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
)

// RecoverParams names a release whose last operation may have been cut
// short by a killed process (the daemon's restart).
type RecoverParams struct {
	Kube        kube.Settings `json:"kube"`
	ReleaseName string        `json:"release_name"`
	// Reason goes into the revision's description.
	Reason string `json:"reason,omitempty"`
}

// RecoverResult is the release's last revision after the call.
type RecoverResult struct {
	// Recovered tells that the last revision was pending and is now failed.
	Recovered bool `json:"recovered"`
	// Status is the last revision's status after the call ("" when the
	// release does not exist).
	Status   string `json:"status"`
	Revision int    `json:"revision"`
	// Was is the status it had (pending-install, pending-upgrade, ...).
	Was string `json:"was,omitempty"`
}

// RecoverPending marks a release's last revision failed when it is pending-*.
// A pending revision is a lock: Helm refuses every later operation on the
// release ("another operation is in progress"). A process that dies in the
// middle of an operation leaves it so; the daemon calls this for each of
// its releases when it starts, so its next sync can run (helm upgrades a
// failed release like any other).
func RecoverPending(ctx context.Context, p RecoverParams) (RecoverResult, error) {
	if p.ReleaseName == "" {
		return RecoverResult{}, fault.Newf(fault.KindBadRequest, "recover needs a release_name")
	}
	s, err := kube.Open(ctx, p.Kube)
	if err != nil {
		return RecoverResult{}, err
	}
	last, err := s.LastRelease(p.ReleaseName)
	if err != nil {
		return RecoverResult{}, s.Classify(err, p.ReleaseName, fault.KindRelease)
	}
	if last == nil {
		return RecoverResult{}, nil
	}
	res := RecoverResult{Status: string(last.Info.Status), Revision: last.Version}
	if !last.Info.Status.IsPending() {
		return res, nil
	}
	res.Was = string(last.Info.Status)
	reason := p.Reason
	if reason == "" {
		reason = "the process running it stopped"
	}
	last.Info.Status = rcommon.StatusFailed
	last.Info.Description = fmt.Sprintf("%s interrupted: %s", res.Was, reason)
	last.Info.LastDeployed = time.Now()
	if err := s.Config.Releases.Update(last); err != nil {
		return RecoverResult{}, s.Classify(err, p.ReleaseName, fault.KindRelease)
	}
	res.Recovered = true
	res.Status = string(last.Info.Status)
	return res, nil
}
