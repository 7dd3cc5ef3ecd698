package release

import (
	"context"

	"helm.sh/helm/v4/pkg/action"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
)

// StatusParams names one revision of a release; Revision 0 is the latest.
type StatusParams struct {
	Kube        kube.Settings `json:"kube"`
	ReleaseName string        `json:"release_name"`
	Revision    int           `json:"revision,omitempty"`
}

// StatusResult is the stored record of the revision.
type StatusResult struct {
	Name          string `json:"name"`
	Namespace     string `json:"namespace"`
	Revision      int    `json:"revision"`
	Status        string `json:"status"`
	Description   string `json:"description"`
	FirstDeployed string `json:"first_deployed"`
	LastDeployed  string `json:"last_deployed"`
	Chart         string `json:"chart"`
	AppVersion    string `json:"app_version"`
	Notes         string `json:"notes"`
}

// Status is `helm status` (pkg/cmd/status.go) without the live resource
// listing: the stored release record only.
func Status(ctx context.Context, p StatusParams) (StatusResult, error) {
	s, err := kube.Open(ctx, p.Kube)
	if err != nil {
		return StatusResult{}, err
	}
	if p.Revision < 0 {
		return StatusResult{}, fault.Newf(fault.KindBadRequest, "invalid params: revision %d is negative", p.Revision)
	}
	rel, err := getRelease(s, p.ReleaseName, p.Revision)
	if err != nil {
		return StatusResult{}, err
	}
	return StatusResult{
		Name:          rel.Name,
		Namespace:     rel.Namespace,
		Revision:      rel.Version,
		Status:        rel.Info.Status.String(),
		Description:   rel.Info.Description,
		FirstDeployed: kube.Timestamp(rel.Info.FirstDeployed),
		LastDeployed:  kube.Timestamp(rel.Info.LastDeployed),
		Chart:         kube.ChartName(rel.Chart),
		AppVersion:    kube.AppVersion(rel.Chart),
		Notes:         rel.Info.Notes,
	}, nil
}

// getRelease reads one revision (0: the latest) through helm's Get action.
func getRelease(s *kube.Session, name string, revision int) (*releasev1.Release, error) {
	client := action.NewGet(s.Config)
	client.Version = revision
	found, err := client.Run(name)
	if err != nil {
		return nil, releaseError(s, err, name, revision)
	}
	rel, err := kube.ToV1(found)
	if err != nil {
		return nil, err
	}
	if rel == nil || rel.Info == nil {
		return nil, s.NotFound(name)
	}
	return rel, nil
}

// releaseError classifies an error reading a release. A missing revision
// of a release that exists names the revision (a release error); a
// release with no revision at all is not found.
func releaseError(s *kube.Session, err error, name string, revision int) *fault.Error {
	if revision > 0 && kube.IsReleaseNotFound(err) {
		if last, lastErr := s.LastRelease(name); lastErr == nil && last != nil {
			return s.Fail(fault.KindRelease, "release %q has no revision %d in namespace %q", name, revision, s.Namespace).
				With("release", name)
		}
	}
	return s.Classify(err, name, fault.KindRelease)
}
