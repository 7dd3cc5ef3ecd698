package release

import (
	"errors"

	rcommon "helm.sh/helm/v4/pkg/release/common"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"

	"github.com/helmfire/helmfire/go-shim/internal/kube"
)

// UpgradeBase is the revision an Upgrade starts from (pkg/action
// upgrade.go, its currentRelease), given the release's last revision: the
// last one if it is deployed, else the deployed one, else a failed or
// superseded last one. The diff compares with its objects; drift checks
// the cluster against them.
func UpgradeBase(s *kube.Session, name string, last *releasev1.Release) (*releasev1.Release, error) {
	if last.Info.Status == rcommon.StatusDeployed {
		return last, nil
	}
	deployed, err := s.Config.Releases.Deployed(name)
	if err != nil {
		if errors.Is(err, driver.ErrNoDeployedReleases) {
			return last, nil
		}
		return nil, err
	}
	rel, err := kube.ToV1(deployed)
	if err != nil || rel == nil {
		return last, err
	}
	return rel, nil
}
