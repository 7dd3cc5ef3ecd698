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
	// Data is the template's dot as a JSON object (Environment, Values,
	// StateValues, Namespace, Release...), typed as helmfile's YAML library
	// typed it; decoded with that library, so integers stay integers.
	Data json.RawMessage `json:"data"`
	// BaseDir is where relative paths of readFile, isFile, exec... resolve.
	BaseDir         string `json:"base_dir"`
	DisableInsecure bool   `json:"disable_insecure"`
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
	data, err := tmpl.DecodeData(string(p.Data))
	if err != nil {
		return nil, failf(KindValues, "decoding the template data of %s: %v", p.Name, err).withDetail("file", p.Name)
	}
	// helmfile makes the defines of the `_*.tpl` files in the directory
	// the template renders from (its base directory) available to include.
	helpers, err := tmpl.HelperFiles(p.BaseDir)
	if err != nil {
		return nil, failf(KindRender, "%s: %v", p.Name, err).withDetail("file", p.Name)
	}
	out, err := tmpl.Render(p.Name, p.Text, data, tmpl.Options{
		BaseDir:         p.BaseDir,
		DisableInsecure: p.DisableInsecure,
		Helpers:         helpers,
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
