package main

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/helmfire/helmfire/go-shim/internal/hcl"
)

// hclValuesParams are the `.hcl` entries of one values list (an
// environment's `values:`, the top-level `values:`, or the
// `--state-values-file` flags), which helmfile evaluates together.
type hclValuesParams struct {
	// Files in the order of the values list; relative ones resolve against
	// BaseDir. Errors name them as given.
	Files   []string `json:"files"`
	BaseDir string   `json:"base_dir"`
}

type hclValuesResult struct {
	// ValuesYAML is one YAML mapping. Numbers are floats (`2.0`), as
	// helmfile holds them.
	ValuesYAML string `json:"values_yaml"`
}

// runHCLValues evaluates HCL values files as helmfile's hcllang does.
func runHCLValues(ctx context.Context, raw json.RawMessage) (any, error) {
	var p hclValuesParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, classify(ctx.Err(), KindCancelled)
	}
	values, err := hcl.Load(p.Files, p.BaseDir)
	if err != nil {
		se := failf(KindValues, "%v", err)
		var located *hcl.Error
		if errors.As(err, &located) {
			se.withDetail("file", located.File)
		} else if len(p.Files) > 0 {
			se.withDetail("file", p.Files[0])
		}
		return nil, se
	}
	out, err := hcl.ToYAML(values)
	if err != nil {
		return nil, failf(KindInternal, "encoding the HCL values: %v", err)
	}
	return hclValuesResult{ValuesYAML: out}, nil
}
