package render

import (
	"context"
	"fmt"
	"strings"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// LintParams is one chart to lint with a release's values.
type LintParams struct {
	// Chart is a local chart directory or archive (remote charts are
	// fetched by Rust first).
	Chart       string         `json:"chart"`
	Namespace   string         `json:"namespace"`
	Values      []ValueSource  `json:"values,omitempty"`
	Overrides   ValueOverrides `json:"overrides"`
	KubeVersion string         `json:"kube_version,omitempty"`
	Strict      bool           `json:"strict,omitempty"`
}

// LintResult is what `helm lint` prints and whether it would fail.
type LintResult struct {
	// Output is what `helm lint CHART` prints on stdout (the summary line
	// only when the chart passed).
	Output string `json:"output"`
	// Failed tells whether helm lint would exit non-zero.
	Failed bool `json:"failed"`
}

// Lint is `helm lint CHART -f ... --set ...` for one chart, formatted as
// helm's pkg/cmd/lint.go prints it.
func Lint(_ context.Context, p LintParams) (LintResult, error) {
	client := action.NewLint()
	client.Namespace = namespaceOrDefault(p.Namespace)
	client.Strict = p.Strict
	if p.KubeVersion != "" {
		parsed, err := common.ParseKubeVersion(p.KubeVersion)
		if err != nil {
			return LintResult{}, fault.Newf(fault.KindValues, "invalid kube version %q: %v", p.KubeVersion, err)
		}
		client.KubeVersion = parsed
	}
	vals, err := MergeValues(p.Values, p.Overrides)
	if err != nil {
		return LintResult{}, err
	}
	result := client.Run([]string{p.Chart}, vals)

	var out strings.Builder
	fmt.Fprintf(&out, "==> Linting %s\n", p.Chart)
	if len(result.Messages) == 0 {
		for _, err := range result.Errors {
			fmt.Fprintf(&out, "Error %s\n", err)
		}
	}
	for _, msg := range result.Messages {
		fmt.Fprintf(&out, "%s\n", msg)
	}
	out.WriteString("\n")
	failed := len(result.Errors) != 0
	// helm prints the summary on stdout when the chart passed, and returns
	// it as the command's error when it failed.
	if !failed {
		out.WriteString("1 chart(s) linted, 0 chart(s) failed\n")
	}
	return LintResult{Output: out.String(), Failed: failed}, nil
}
