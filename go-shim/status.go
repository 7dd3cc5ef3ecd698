package main

import (
	"context"
	"encoding/json"
	"errors"

	"helm.sh/helm/v4/pkg/action"
	release "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage/driver"
)

// releaseRef names one revision of a release; Revision 0 is the latest.
type releaseRef struct {
	Kube        kubeSettings `json:"kube"`
	ReleaseName string       `json:"release_name"`
	Revision    int          `json:"revision,omitempty"`
}

type statusResult struct {
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

// runStatus is `helm status` (pkg/cmd/status.go) without the live resource
// listing: the stored release record only.
func runStatus(ctx context.Context, raw json.RawMessage) (any, error) {
	var p releaseRef
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	s, err := openKube(ctx, p.Kube, false)
	if err != nil {
		return nil, err
	}
	rel, err := s.getRelease(p.ReleaseName, p.Revision)
	if err != nil {
		return nil, err
	}
	return statusResult{
		Name:          rel.Name,
		Namespace:     rel.Namespace,
		Revision:      rel.Version,
		Status:        rel.Info.Status.String(),
		Description:   rel.Info.Description,
		FirstDeployed: timestamp(rel.Info.FirstDeployed),
		LastDeployed:  timestamp(rel.Info.LastDeployed),
		Chart:         chartName(rel.Chart),
		AppVersion:    appVersion(rel.Chart),
		Notes:         rel.Info.Notes,
	}, nil
}

// getRelease reads one revision (0: the latest) through helm's Get action.
func (s *kubeSession) getRelease(name string, revision int) (*release.Release, error) {
	if revision < 0 {
		return nil, failf(KindBadRequest, "invalid params: revision %d is negative", revision)
	}
	client := action.NewGet(s.cfg)
	client.Version = revision
	found, err := client.Run(name)
	if err != nil {
		return nil, s.releaseError(err, name, revision)
	}
	rel, err := toV1(found)
	if err != nil {
		return nil, err
	}
	if rel == nil || rel.Info == nil {
		return nil, s.fail(KindRelease, "release %q not found in namespace %q", name, s.namespace).withDetail("release", name)
	}
	return rel, nil
}

// releaseError classifies an error reading a release, naming the revision
// when one was asked for.
func (s *kubeSession) releaseError(err error, name string, revision int) *ShimError {
	if revision > 0 && errors.Is(err, driver.ErrReleaseNotFound) {
		return s.fail(KindRelease, "release %q has no revision %d in namespace %q", name, revision, s.namespace).
			withDetail("release", name)
	}
	return s.classify(err, name, KindRelease)
}
