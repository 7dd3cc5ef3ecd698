package state

import (
	"context"
	"errors"
	"slices"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
	"github.com/helmfire/helmfire/go-shim/internal/hcl"
	"github.com/helmfire/helmfire/go-shim/internal/secrets"
)

// HCLValuesParams are the `.hcl` entries of one values list (an
// environment's `values:`, the top-level `values:`, or the
// `--state-values-file` flags), which helmfile evaluates together.
type HCLValuesParams struct {
	// Files in the order of the values list; relative ones resolve against
	// BaseDir. Errors name them as given.
	Files   []string `json:"files"`
	BaseDir string   `json:"base_dir"`
	// Secrets are sops-encrypted HCL files (absolute), decrypted in memory
	// and evaluated first, as helmfile puts them before the values.
	Secrets []string `json:"secrets,omitempty"`
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
	var srcs []hcl.Source
	for _, file := range p.Secrets {
		plain, err := secrets.Decrypt(ctx, file)
		if err != nil {
			return HCLValuesResult{}, err
		}
		srcs = append(srcs, hcl.Source{Name: file, Src: []byte(plain)})
	}
	files, err := hcl.Read(p.Files, p.BaseDir)
	var values map[string]any
	if err == nil {
		values, err = hcl.Eval(append(srcs, files...))
	}
	if err != nil {
		var located *hcl.Error
		if errors.As(err, &located) && slices.Contains(p.Secrets, located.File) {
			// A message about decrypted text may quote it: name the file
			// and the line only.
			return HCLValuesResult{}, fault.Newf(fault.KindValues, "the decrypted HCL secrets file %s does not evaluate (line %d); check it with sops --decrypt", located.File, located.Line).
				With("file", located.File)
		}
		se := fault.Newf(fault.KindValues, "%v", err)
		if located != nil {
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
