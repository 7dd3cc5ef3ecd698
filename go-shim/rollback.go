package main

import (
	"context"
	"encoding/json"
	"unicode/utf8"

	"helm.sh/helm/v4/pkg/action"
)

type rollbackParams struct {
	Kube        kubeSettings `json:"kube"`
	ReleaseName string       `json:"release_name"`
	// Revision to roll back to; 0 is the one before the latest.
	Revision       int  `json:"revision,omitempty"`
	Wait           bool `json:"wait,omitempty"`
	WaitForJobs    bool `json:"wait_for_jobs,omitempty"`
	TimeoutSeconds int  `json:"timeout_seconds,omitempty"`
	// Force is --force (ForceReplace).
	Force         bool `json:"force,omitempty"`
	CleanupOnFail bool `json:"cleanup_on_fail,omitempty"`
	DisableHooks  bool `json:"disable_hooks,omitempty"`
	// HistoryMax as in upgrade: absent = $HELM_MAX_HISTORY or 10, 0 = no limit.
	HistoryMax  *int   `json:"history_max,omitempty"`
	ServerSide  string `json:"server_side,omitempty"` // "auto" (default), "true", "false"
	Description string `json:"description,omitempty"`
}

type rollbackResult struct {
	// Revision is the new revision the rollback created.
	Revision int    `json:"revision"`
	Status   string `json:"status"`
	// RolledBackTo is the revision whose manifest and values were restored.
	RolledBackTo int    `json:"rolled_back_to"`
	Chart        string `json:"chart"`
	AppVersion   string `json:"app_version"`
}

// runRollback is `helm rollback` (pkg/cmd/rollback.go).
func runRollback(ctx context.Context, raw json.RawMessage) (any, error) {
	var p rollbackParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	switch p.ServerSide {
	case "":
		p.ServerSide = "auto"
	case "auto", "true", "false":
	default:
		return nil, failf(KindBadRequest, "invalid params: server_side must be \"auto\", \"true\" or \"false\", not %q", p.ServerSide)
	}
	if n := utf8.RuneCountInString(p.Description); n > action.MaxDescriptionLength {
		return nil, failf(KindBadRequest, "invalid params: description must be %d characters or less, got %d", action.MaxDescriptionLength, n)
	}
	s, err := openKube(ctx, p.Kube, false)
	if err != nil {
		return nil, err
	}
	client := action.NewRollback(s.cfg)
	client.Version = p.Revision
	client.Timeout = timeoutOrDefault(p.TimeoutSeconds)
	client.WaitStrategy = waitStrategy(p.Wait)
	client.WaitOptions = waitOptions(ctx)
	client.WaitForJobs = p.WaitForJobs
	client.ForceReplace = p.Force
	client.CleanupOnFail = p.CleanupOnFail
	client.DisableHooks = p.DisableHooks
	client.ServerSideApply = p.ServerSide
	client.Description = p.Description
	client.MaxHistory = s.settings.MaxHistory
	if p.HistoryMax != nil {
		client.MaxHistory = *p.HistoryMax
	}
	if err := client.Run(p.ReleaseName); err != nil {
		if ctx.Err() != nil {
			return nil, s.withReleaseState(s.fail(KindCancelled, "the rollback of release %q was cancelled: %v", p.ReleaseName, err).
				withDetail("release", p.ReleaseName), p.ReleaseName)
		}
		return nil, s.withReleaseState(s.classify(err, p.ReleaseName, KindRelease), p.ReleaseName)
	}
	rel, err := s.lastRelease(p.ReleaseName)
	if err != nil || rel == nil {
		return nil, s.fail(KindRelease, "release %q was rolled back but its new revision cannot be read: %v", p.ReleaseName, err)
	}
	return rollbackResult{
		Revision:     rel.Version,
		Status:       rel.Info.Status.String(),
		RolledBackTo: rel.Info.RollbackRevision,
		Chart:        chartName(rel.Chart),
		AppVersion:   appVersion(rel.Chart),
	}, nil
}
