package release

import (
	"context"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	rcommon "helm.sh/helm/v4/pkg/release/common"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
)

// UninstallParams is `helm uninstall` of one release.
type UninstallParams struct {
	Kube           kube.Settings `json:"kube"`
	ReleaseName    string        `json:"release_name"`
	KeepHistory    bool          `json:"keep_history,omitempty"`
	DisableHooks   bool          `json:"disable_hooks,omitempty"`
	Wait           bool          `json:"wait,omitempty"`
	TimeoutSeconds int           `json:"timeout_seconds,omitempty"`
	// Cascade is "background" (default), "foreground" or "orphan".
	Cascade        string `json:"cascade,omitempty"`
	IgnoreNotFound bool   `json:"ignore_not_found,omitempty"`
	Description    string `json:"description,omitempty"`
}

// UninstallResult tells what the uninstall found and kept.
type UninstallResult struct {
	// Existed is whether the release was installed (its last revision not
	// already uninstalled) when the call started.
	Existed bool `json:"existed"`
	// Info lists resources kept (resource policy, not owned), as helm
	// prints it; empty when none were.
	Info string `json:"info"`
}

// Uninstall is `helm uninstall` (pkg/cmd/uninstall.go).
func Uninstall(ctx context.Context, p UninstallParams) (UninstallResult, error) {
	if p.Cascade == "" {
		p.Cascade = "background"
	}
	switch p.Cascade {
	case "background", "foreground", "orphan":
	default:
		return UninstallResult{}, fault.Newf(fault.KindBadRequest, "invalid params: cascade must be \"background\", \"foreground\" or \"orphan\", not %q", p.Cascade)
	}
	s, err := kube.Open(ctx, p.Kube)
	if err != nil {
		return UninstallResult{}, err
	}
	last, err := s.LastRelease(p.ReleaseName)
	if err != nil {
		return UninstallResult{}, s.Classify(err, p.ReleaseName, fault.KindRelease)
	}
	existed := last != nil && last.Info.Status != rcommon.StatusUninstalled
	if last == nil {
		if p.IgnoreNotFound {
			return UninstallResult{}, nil
		}
		return UninstallResult{}, s.NotFound(p.ReleaseName)
	}

	client := action.NewUninstall(s.Config)
	client.KeepHistory = p.KeepHistory
	client.DisableHooks = p.DisableHooks
	client.IgnoreNotFound = p.IgnoreNotFound
	client.Timeout = kube.Timeout(p.TimeoutSeconds)
	client.WaitStrategy = kube.WaitStrategy(p.Wait)
	client.WaitOptions = kube.WaitOptions(ctx)
	client.DeletionPropagation = p.Cascade
	client.Description = p.Description
	res, err := client.Run(p.ReleaseName)
	if err != nil {
		if !existed && p.IgnoreNotFound && strings.Contains(err.Error(), "is already deleted") {
			return UninstallResult{}, nil
		}
		if ctx.Err() != nil {
			return UninstallResult{}, s.WithReleaseState(s.Fail(fault.KindCancelled, "the uninstall of release %q was cancelled: %v", p.ReleaseName, err).
				With("release", p.ReleaseName), p.ReleaseName)
		}
		return UninstallResult{}, s.WithReleaseState(s.Classify(err, p.ReleaseName, fault.KindRelease), p.ReleaseName)
	}
	out := UninstallResult{Existed: existed}
	if res != nil {
		out.Info = res.Info
	}
	return out, nil
}
