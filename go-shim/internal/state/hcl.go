package state

import (
	"context"
	"errors"

	"github.com/helmfire/helmfire/go-shim/internal/hcl"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// HCLValuesParams are the `.hcl` entries of one values list (an
// environment's `values:`, the top-level `values:`, or the
// `--state-values-file` flags), which helmfile evaluates together.
type HCLValuesParams struct {
	// Files in the order of the values list; relative ones resolve against
	// BaseDir. Errors name them as given.
	Files   []string `json:"files"`
	BaseDir string   `json:"base_dir"`
}

// HCLValuesResult is the values of the files, merged.
type HCLValuesResult struct {
	// ValuesYAML is one YAML mapping. Numbers are floats (`2.0`), as
	// helmfile holds them.
	ValuesYAML string `json:"values_yaml"`
}

// HCLValues evaluates HCL values files as helmfile's hcllang does.
func HCLValues(ctx context.Context, p HCLValuesParams) (HCLValuesResult, error) {
	if ctx.Err() != nil {
		return HCLValuesResult{}, fault.Classify(ctx.Err(), fault.KindCancelled)
	}
	values, err := hcl.Load(p.Files, p.BaseDir)
	if err != nil {
		se := fault.Newf(fault.KindValues, "%v", err)
		var located *hcl.Error
		if errors.As(err, &located) {
			se.With("file", located.File)
		} else if len(p.Files) > 0 {
			se.With("file", p.Files[0])
		}
		return HCLValuesResult{}, se
	}
	out, err := hcl.ToYAML(values)
	if err != nil {
		return HCLValuesResult{}, fault.Newf(fault.KindInternal, "encoding the HCL values: %v", err)
	}
	return HCLValuesResult{ValuesYAML: out}, nil
}
