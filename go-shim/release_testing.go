package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	release "helm.sh/helm/v4/pkg/release/v1"
)

type testParams struct {
	Kube           kubeSettings `json:"kube"`
	ReleaseName    string       `json:"release_name"`
	TimeoutSeconds int          `json:"timeout_seconds,omitempty"`
	// Include and Exclude are helm test's --filter name=X and !name=X.
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
}

type testHook struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Phase string `json:"phase"` // helm's hook phase: Succeeded, Failed, Running, Unknown; "" when skipped
}

type testResult struct {
	Passed bool       `json:"passed"`
	Hooks  []testHook `json:"hooks"`
	// Failure is why the tests did not pass.
	Failure string `json:"failure,omitempty"`
	// Logs are the test pods' logs as `helm test --logs` prints them (only
	// hooks of kind Pod have logs there).
	Logs string `json:"logs"`
	// LogsError says why some logs could not be read.
	LogsError string `json:"logs_error,omitempty"`
}

// runReleaseTest is `helm test --logs` (pkg/cmd/release_testing.go). Failed
// tests are a result (passed: false); errors are for when the tests could
// not be run at all.
func runReleaseTest(ctx context.Context, raw json.RawMessage) (any, error) {
	var p testParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	s, err := openKube(ctx, p.Kube, false)
	if err != nil {
		return nil, err
	}
	client := action.NewReleaseTesting(s.cfg)
	client.Namespace = s.namespace
	client.Timeout = timeoutOrDefault(p.TimeoutSeconds)
	client.WaitOptions = waitOptions(ctx)
	if len(p.Include) > 0 {
		client.Filters[action.IncludeNameFilter] = p.Include
	}
	if len(p.Exclude) > 0 {
		client.Filters[action.ExcludeNameFilter] = p.Exclude
	}

	found, shutdown, runErr := client.Run(p.ReleaseName)
	if runErr != nil && found == nil {
		return nil, s.classify(runErr, p.ReleaseName, KindRelease)
	}
	rel, err := toV1(found)
	if err != nil {
		return nil, errors.Join(err, shutdown())
	}
	out := testResult{Passed: runErr == nil, Hooks: testHooks(rel, p)}
	if runErr != nil {
		out.Failure = runErr.Error()
	}
	var logs bytes.Buffer
	if err := client.GetPodLogs(&logs, rel); err != nil {
		out.LogsError = err.Error()
	}
	out.Logs = logs.String()
	// Hooks are deleted by their policies after the logs were read.
	if err := shutdown(); err != nil {
		if ctx.Err() != nil {
			return nil, s.fail(KindCancelled, "the tests of release %q were cancelled: %v", p.ReleaseName, err)
		}
		return nil, s.classify(err, p.ReleaseName, KindRelease)
	}
	if ctx.Err() != nil {
		return nil, s.fail(KindCancelled, "the tests of release %q were cancelled", p.ReleaseName).withDetail("release", p.ReleaseName)
	}
	return out, nil
}

// testHooks lists the release's test hooks in the order helm runs them.
func testHooks(rel *release.Release, p testParams) []testHook {
	ordered := slices.Clone(rel.Hooks)
	slices.SortStableFunc(ordered, func(a, b *release.Hook) int {
		if a.Weight != b.Weight {
			return cmp.Compare(a.Weight, b.Weight)
		}
		return strings.Compare(a.Name, b.Name)
	})
	hooks := []testHook{}
	for _, h := range ordered {
		if !slices.Contains(h.Events, release.HookTest) {
			continue
		}
		phase := string(h.LastRun.Phase)
		if slices.Contains(p.Exclude, h.Name) || (len(p.Include) > 0 && !slices.Contains(p.Include, h.Name)) {
			phase = ""
		}
		hooks = append(hooks, testHook{Name: h.Name, Kind: h.Kind, Phase: phase})
	}
	return hooks
}
