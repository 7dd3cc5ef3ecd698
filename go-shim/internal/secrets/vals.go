package secrets

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"

	"github.com/helmfile/vals"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/safe"
)

// The vals runtime of the current run, as helmfile keeps one per run: its
// cache (512 entries, helmfile's size) makes each reference fetched once
// per run, whichever release asks first. A new run (a new Run number from
// the caller: each command, each watch or daemon cycle) gets a fresh
// runtime, so a long-lived process sees a rotated secret on its next run.
var (
	runtimeMu  sync.Mutex
	runtime    *vals.Runtime
	runtimeRun uint64
)

func valsRuntime(run uint64) (*vals.Runtime, error) {
	runtimeMu.Lock()
	defer runtimeMu.Unlock()
	if runtime != nil && run == runtimeRun {
		return runtime, nil
	}
	failOnMissing, _ := strconv.ParseBool(os.Getenv("HELMFILE_VALS_FAIL_ON_MISSING_KEY_IN_MAP"))
	awsLogLevel := os.Getenv("HELMFILE_AWS_SDK_LOG_LEVEL")
	if awsLogLevel == "" {
		awsLogLevel = "off"
	}
	rt, err := vals.New(vals.Options{
		CacheSize:             512,
		FailOnMissingKeyInMap: failOnMissing,
		AWSLogLevel:           awsLogLevel,
		LogOutput:             io.Discard,
	})
	if err != nil {
		return nil, err
	}
	runtime, runtimeRun = rt, run
	return rt, nil
}

// relativeRef is a `ref+file://` or `ref+sops://` reference whose path is
// relative (`ref+file://a/b.yaml`, not `ref+file:///abs`).
var relativeRef = regexp.MustCompile(`((?:secret)?ref\+(?:file|sops)://)([^/+\s"',#?][^+\s"',#?]*)`)

// Eval resolves every `ref+` reference in values (strings anywhere in the
// tree; a reference that is a whole string keeps its value's type, one
// inside a longer string is substituted as text), as helmfile's vals runtime
// does. Relative file paths in references are taken from baseDir; run
// names the run whose cache is used.
func Eval(ctx context.Context, values map[string]any, baseDir string, run uint64) (map[string]any, error) {
	rt, err := valsRuntime(run)
	if err != nil {
		return nil, fault.Newf(fault.KindInternal, "starting the vals runtime: %v", err)
	}
	rebased := rebase(values, baseDir).(map[string]any)
	var out map[string]any
	done := safe.Go(func() error {
		var evalErr error
		out, evalErr = rt.Eval(rebased)
		return evalErr
	})
	select {
	case err = <-done:
	case <-ctx.Done():
		return nil, fault.Newf(fault.KindCancelled, "resolving secret references was cancelled")
	}
	if err != nil {
		if leftOut := leftOutProvider(err); leftOut != nil {
			return nil, leftOut
		}
		// vals names the reference (`expand vault://...: ...`), never the value.
		return nil, fault.Newf(fault.KindValues, "resolving a secret reference failed: %v", err)
	}
	return out, nil
}

// Get resolves one reference to a string (helmfile's fetchSecretValue).
func Get(ctx context.Context, ref, baseDir string, run uint64) (string, error) {
	out, err := Eval(ctx, map[string]any{"key": ref}, baseDir, run)
	if err != nil {
		return "", err
	}
	value, ok := out["key"].(string)
	if !ok {
		return "", fault.Newf(fault.KindValues, "the secret reference %s is not a string (it is a %T); use expandSecretRefs for structured values", ref, out["key"])
	}
	return value, nil
}

// rebase copies the tree with relative file references made absolute.
func rebase(v any, baseDir string) any {
	switch t := v.(type) {
	case string:
		if baseDir == "" {
			return t
		}
		return relativeRef.ReplaceAllStringFunc(t, func(m string) string {
			parts := relativeRef.FindStringSubmatch(m)
			return parts[1] + filepath.Join(baseDir, parts[2])
		})
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = rebase(x, baseDir)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = rebase(x, baseDir)
		}
		return out
	default:
		return v
	}
}
