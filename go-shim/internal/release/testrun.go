package release

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
)

// TestParams is `helm test` of one release.
type TestParams struct {
	Kube           kube.Settings `json:"kube"`
	ReleaseName    string        `json:"release_name"`
	TimeoutSeconds int           `json:"timeout_seconds,omitempty"`
	// Include and Exclude are helm test's --filter name=X and !name=X.
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
}

// testHook is one test hook and its phase.
type testHook struct {
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Phase string `json:"phase"` // helm's hook phase: Succeeded, Failed, Running, Unknown; "" when skipped
}

// TestResult is how the release's tests went.
type TestResult struct {
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

// Test is `helm test --logs` (pkg/cmd/release_testing.go). Failed
// tests are a result (passed: false); errors are for when the tests could
// not be run at all.
func Test(ctx context.Context, p TestParams) (TestResult, error) {
	s, err := kube.Open(ctx, p.Kube)
	if err != nil {
		return TestResult{}, err
	}
	client := action.NewReleaseTesting(s.Config)
	client.Namespace = s.Namespace
	client.Timeout = kube.Timeout(p.TimeoutSeconds)
	client.WaitOptions = kube.WaitOptions(ctx)
	if len(p.Include) > 0 {
		client.Filters[action.IncludeNameFilter] = p.Include
	}
	if len(p.Exclude) > 0 {
		client.Filters[action.ExcludeNameFilter] = p.Exclude
	}

	found, shutdown, runErr := client.Run(p.ReleaseName)
	if runErr != nil && found == nil {
		return TestResult{}, s.Classify(runErr, p.ReleaseName, fault.KindRelease)
	}
	rel, err := kube.ToV1(found)
	if err != nil {
		return TestResult{}, errors.Join(err, shutdown())
	}
	if rel == nil {
		return TestResult{}, errors.Join(s.Fail(fault.KindInternal, "the tests of release %q returned no release", p.ReleaseName), shutdown())
	}
	out := TestResult{Passed: runErr == nil, Hooks: testHooks(rel, p)}
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
			return TestResult{}, s.Fail(fault.KindCancelled, "the tests of release %q were cancelled: %v", p.ReleaseName, err)
		}
		return TestResult{}, s.Classify(err, p.ReleaseName, fault.KindRelease)
	}
	if ctx.Err() != nil {
		return TestResult{}, s.Fail(fault.KindCancelled, "the tests of release %q were cancelled", p.ReleaseName).With("release", p.ReleaseName)
	}
	return out, nil
}

// testHooks lists the release's test hooks in the order helm runs them.
func testHooks(rel *releasev1.Release, p TestParams) []testHook {
	ordered := slices.Clone(rel.Hooks)
	slices.SortStableFunc(ordered, func(a, b *releasev1.Hook) int {
		if a.Weight != b.Weight {
			return cmp.Compare(a.Weight, b.Weight)
		}
		return strings.Compare(a.Name, b.Name)
	})
	hooks := []testHook{}
	for _, h := range ordered {
		if !slices.Contains(h.Events, releasev1.HookTest) {
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
