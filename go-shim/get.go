package main

import (
	"bytes"
	"context"
	"encoding/json"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/cli/output"
)

type manifestResult struct {
	// Manifest is the release manifest as stored (helm get manifest prints
	// it followed by a newline).
	Manifest string `json:"manifest"`
}

// runGetManifest is `helm get manifest` (pkg/cmd/get_manifest.go).
func runGetManifest(ctx context.Context, raw json.RawMessage) (any, error) {
	rel, err := loadReleaseRef(ctx, raw)
	if err != nil {
		return nil, err
	}
	return manifestResult{Manifest: rel.Manifest}, nil
}

type getValuesParams struct {
	releaseRef
	// AllValues is --all: the chart's defaults coalesced with the user's.
	AllValues bool `json:"all_values,omitempty"`
}

type valuesResult struct {
	Values map[string]any `json:"values"`
	// YAML is the values as `helm get values` prints them (after its
	// "USER-SUPPLIED VALUES:" or "COMPUTED VALUES:" line).
	YAML string `json:"yaml"`
}

// runGetValues is `helm get values` (pkg/cmd/get_values.go).
func runGetValues(ctx context.Context, raw json.RawMessage) (any, error) {
	var p getValuesParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	if p.Revision < 0 {
		return nil, failf(KindBadRequest, "invalid params: revision %d is negative", p.Revision)
	}
	s, err := openKube(ctx, p.Kube, false)
	if err != nil {
		return nil, err
	}
	client := action.NewGetValues(s.cfg)
	client.Version = p.Revision
	client.AllValues = p.AllValues
	vals, err := client.Run(p.ReleaseName)
	if err != nil {
		return nil, s.releaseError(err, p.ReleaseName, p.Revision)
	}
	var text bytes.Buffer
	if err := output.EncodeYAML(&text, vals); err != nil {
		return nil, failf(KindInternal, "encoding the values of release %q: %v", p.ReleaseName, err)
	}
	if vals == nil {
		vals = map[string]any{}
	}
	return valuesResult{Values: vals, YAML: text.String()}, nil
}
