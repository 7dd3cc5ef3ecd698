package main

import (
	"context"
	"encoding/json"

	"helm.sh/helm/v4/pkg/action"
	release "helm.sh/helm/v4/pkg/release/v1"
	releaseutil "helm.sh/helm/v4/pkg/release/v1/util"
)

type historyParams struct {
	Kube        kubeSettings `json:"kube"`
	ReleaseName string       `json:"release_name"`
	// Max keeps the newest revisions only (helm's --max); 0 keeps all.
	Max int `json:"max,omitempty"`
}

type historyEntry struct {
	Revision         int    `json:"revision"`
	Updated          string `json:"updated"`
	Status           string `json:"status"`
	Chart            string `json:"chart"`
	AppVersion       string `json:"app_version"`
	RollbackRevision int    `json:"rollback_revision,omitempty"`
	Description      string `json:"description"`
}

// runHistory is `helm history` (pkg/cmd/history.go): oldest revision first.
func runHistory(ctx context.Context, raw json.RawMessage) (any, error) {
	var p historyParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	s, err := openKube(ctx, p.Kube, false)
	if err != nil {
		return nil, err
	}
	found, err := action.NewHistory(s.cfg).Run(p.ReleaseName)
	if err != nil {
		return nil, s.classify(err, p.ReleaseName, KindRelease)
	}
	revisions := make([]*release.Release, 0, len(found))
	for _, r := range found {
		rel, err := toV1(r)
		if err != nil {
			return nil, err
		}
		revisions = append(revisions, rel)
	}
	if len(revisions) == 0 {
		return nil, s.fail(KindRelease, "release %q not found in namespace %q", p.ReleaseName, s.namespace).withDetail("release", p.ReleaseName)
	}
	releaseutil.SortByRevision(revisions)
	if p.Max > 0 && len(revisions) > p.Max {
		revisions = revisions[len(revisions)-p.Max:]
	}
	out := make([]historyEntry, 0, len(revisions))
	for _, rel := range revisions {
		out = append(out, historyEntry{
			Revision:         rel.Version,
			Updated:          timestamp(rel.Info.LastDeployed),
			Status:           rel.Info.Status.String(),
			Chart:            chartName(rel.Chart),
			AppVersion:       appVersion(rel.Chart),
			RollbackRevision: rel.Info.RollbackRevision,
			Description:      rel.Info.Description,
		})
	}
	return out, nil
}
