package main

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/helmfire/helmfire/go-shim/internal/tmpl"
)

// renderParams is one `.gotmpl` file (or templated string) to render with
// helmfile's template engine.
type renderParams struct {
	// Name is the file path; errors name it.
	Name string `json:"name"`
	Text string `json:"text"`
	// DataYAML is the template's dot as a YAML mapping (Environment, Values,
	// StateValues, Namespace, Release...), decoded as helmfile decodes values.
	DataYAML string `json:"data_yaml"`
	// BaseDir is where relative paths of readFile, isFile, exec... resolve.
	BaseDir         string `json:"base_dir"`
	DisableInsecure bool   `json:"disable_insecure"`
	// Helpers are paths of `_*.tpl` files (relative ones against BaseDir)
	// whose defines include can use; helmfile loads BaseDir/_*.tpl sorted.
	Helpers []string `json:"helpers"`
}

type renderResult struct {
	Text string `json:"text"`
}

// runRender renders a template as helmfile renders `.gotmpl` files.
func runRender(ctx context.Context, raw json.RawMessage) (any, error) {
	var p renderParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	data, err := tmpl.DecodeData(p.DataYAML)
	if err != nil {
		return nil, failf(KindValues, "decoding the template data of %s: %v", p.Name, err).withDetail("file", p.Name)
	}
	out, err := tmpl.Render(p.Name, p.Text, data, tmpl.Options{
		BaseDir:         p.BaseDir,
		DisableInsecure: p.DisableInsecure,
		Helpers:         p.Helpers,
		Context:         ctx,
	})
	if ctx.Err() != nil {
		return nil, classify(ctx.Err(), KindCancelled)
	}
	if err != nil {
		se := (&ShimError{Kind: KindRender, Message: err.Error()}).withDetail("file", p.Name)
		var helperErr *tmpl.HelperError
		if errors.As(err, &helperErr) {
			se.withDetail("helper", helperErr.Path)
		}
		return nil, se
	}
	return renderResult{Text: out}, nil
}
