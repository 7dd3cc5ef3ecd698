package drift

import (
	"fmt"

	rcommon "helm.sh/helm/v4/pkg/release/common"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
	"github.com/helmfire/helmfire/go-shim/internal/release"
)

// driftRevision is the revision drift compares with: the last one when it
// is deployed; else the last deployed one, with a note saying why; else
// (nothing was ever deployed, as after a failed install) the last one,
// with a note. A missing release is not found; an uninstalled one is a
// release error.
func driftRevision(s *kube.Session, name string) (*releasev1.Release, string, error) {
	last, err := s.LastRelease(name)
	if err != nil {
		return nil, "", s.Classify(err, name, fault.KindRelease)
	}
	if last == nil || last.Info == nil {
		return nil, "", s.NotFound(name)
	}
	status := last.Info.Status
	switch status {
	case rcommon.StatusDeployed:
		return last, "", nil
	case rcommon.StatusUninstalled:
		return nil, "", s.Fail(fault.KindRelease, "release %q in namespace %q is uninstalled (revision %d): it has no objects to compare",
			name, s.Namespace, last.Version).With("release", name).With("status", status.String())
	}
	// The same choice as the upgrade's starting point.
	rel, err := release.UpgradeBase(s, name, last)
	if err != nil {
		return nil, "", s.Classify(err, name, fault.KindRelease)
	}
	if rel.Version == last.Version {
		return rel, fmt.Sprintf("no revision of the release is deployed; compared with its last revision %d, which is %s",
			last.Version, status), nil
	}
	return rel, fmt.Sprintf("the last revision %d is %s; compared with revision %d, the last deployed one",
		last.Version, status, rel.Version), nil
}
