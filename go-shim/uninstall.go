package main

import (
	"context"
	"encoding/json"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	rcommon "helm.sh/helm/v4/pkg/release/common"
)

type uninstallParams struct {
	Kube           kubeSettings `json:"kube"`
	ReleaseName    string       `json:"release_name"`
	KeepHistory    bool         `json:"keep_history,omitempty"`
	DisableHooks   bool         `json:"disable_hooks,omitempty"`
	Wait           bool         `json:"wait,omitempty"`
	TimeoutSeconds int          `json:"timeout_seconds,omitempty"`
	// Cascade is "background" (default), "foreground" or "orphan".
	Cascade        string `json:"cascade,omitempty"`
	IgnoreNotFound bool   `json:"ignore_not_found,omitempty"`
	Description    string `json:"description,omitempty"`
}

type uninstallResult struct {
	// Existed is whether the release was installed (its last revision not
	// already uninstalled) when the call started.
	Existed bool `json:"existed"`
	// Info lists resources kept (resource policy, not owned), as helm
	// prints it; empty when none were.
	Info string `json:"info"`
}

// runUninstall is `helm uninstall` (pkg/cmd/uninstall.go).
func runUninstall(ctx context.Context, raw json.RawMessage) (any, error) {
	var p uninstallParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	if p.Cascade == "" {
		p.Cascade = "background"
	}
	switch p.Cascade {
	case "background", "foreground", "orphan":
	default:
		return nil, failf(KindBadRequest, "invalid params: cascade must be \"background\", \"foreground\" or \"orphan\", not %q", p.Cascade)
	}
	s, err := openKube(ctx, p.Kube, false)
	if err != nil {
		return nil, err
	}
	last, err := s.lastRelease(p.ReleaseName)
	if err != nil {
		return nil, s.classify(err, p.ReleaseName, KindRelease)
	}
	existed := last != nil && last.Info.Status != rcommon.StatusUninstalled
	if last == nil {
		if p.IgnoreNotFound {
			return uninstallResult{}, nil
		}
		return nil, s.fail(KindRelease, "release %q not found in namespace %q", p.ReleaseName, s.namespace).withDetail("release", p.ReleaseName)
	}

	client := action.NewUninstall(s.cfg)
	client.KeepHistory = p.KeepHistory
	client.DisableHooks = p.DisableHooks
	client.IgnoreNotFound = p.IgnoreNotFound
	client.Timeout = timeoutOrDefault(p.TimeoutSeconds)
	client.WaitStrategy = waitStrategy(p.Wait)
	client.WaitOptions = waitOptions(ctx)
	client.DeletionPropagation = p.Cascade
	client.Description = p.Description
	res, err := client.Run(p.ReleaseName)
	if err != nil {
		if !existed && p.IgnoreNotFound && strings.Contains(err.Error(), "is already deleted") {
			return uninstallResult{}, nil
		}
		if ctx.Err() != nil {
			return nil, s.withReleaseState(s.fail(KindCancelled, "the uninstall of release %q was cancelled: %v", p.ReleaseName, err).
				withDetail("release", p.ReleaseName), p.ReleaseName)
		}
		return nil, s.withReleaseState(s.classify(err, p.ReleaseName, KindRelease), p.ReleaseName)
	}
	out := uninstallResult{Existed: existed}
	if res != nil {
		out.Info = res.Info
	}
	return out, nil
}
