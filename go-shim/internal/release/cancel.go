package release

import (
	"fmt"
	"strconv"
	"time"

	ri "helm.sh/helm/v4/pkg/release"
	rcommon "helm.sh/helm/v4/pkg/release/common"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
)

const (
	// After a cancel, the SDK's goroutine is given this long to finish
	// (its waits stop at once; object creation and storage writes do not).
	// helmfire exits at most 30 s after a signal (src/exec/shutdown.rs),
	// so settling must be over well before that.
	cancelSettleLimit = 20 * time.Second
	cancelSettleQuiet = 300 * time.Millisecond
)

// afterCancel answers a cancelled install or upgrade once the SDK's
// goroutine has settled, with the state the release was left in.
func afterCancel(s *kube.Session, act *kube.Activity, name string, install bool, releaser ri.Releaser, runErr error) (UpgradeResult, error) {
	settled := act.Settle(cancelSettleQuiet, cancelSettleLimit)
	rel, err := s.LastRelease(name)
	if err != nil {
		return UpgradeResult{}, s.Fail(fault.KindCancelled, "the deployment of release %q was cancelled, and its state could not be read: %v", name, err).
			With("release", name).With("settled", strconv.FormatBool(settled))
	}
	// The operation may have completed before the cancel took effect.
	if done, _ := kube.ToV1(releaser); runErr == nil && done != nil && rel != nil &&
		rel.Version == done.Version && rel.Info.Status == rcommon.StatusDeployed {
		return deployResult(rel, install), nil
	}
	op := "upgrade"
	if install {
		op = "install"
	}
	e := s.Fail(fault.KindCancelled, "the %s of release %q was cancelled", op, name).
		With("release", name).With("settled", strconv.FormatBool(settled))
	if rel == nil {
		e.Message += "; no revision of it is stored"
		return UpgradeResult{}, e.With("status", "none").With("pending", "false")
	}
	status := rel.Info.Status
	e.Message += fmt.Sprintf("; its revision %d is %s", rel.Version, status)
	if status.IsPending() {
		e.Message += " (left pending: a later operation will refuse to run until it is rolled back or uninstalled)"
	}
	if !settled {
		e.Message += fmt.Sprintf("; the operation was still running after %s", cancelSettleLimit)
	}
	return UpgradeResult{}, e.With("status", status.String()).With("revision", strconv.Itoa(rel.Version)).
		With("pending", strconv.FormatBool(status.IsPending()))
}
