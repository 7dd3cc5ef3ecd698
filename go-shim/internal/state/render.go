package state

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/helmfire/helmfire/go-shim/internal/tmpl"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// RenderParams is one `.gotmpl` file (or templated string) to render with
// helmfile's template engine.
type RenderParams struct {
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
	// Run numbers the caller's run (see secrets.Eval).
	Run uint64 `json:"run"`
	// FileContent says Text is the content of the file Name as read from
	// disk (or one `---` part of it), never decrypted nor rendered: its
	// parsed form may be kept (tmpl.Options Reusable).
	FileContent bool `json:"file_content"`
}

// RenderResult is the rendered text.
type RenderResult struct {
	Text string `json:"text"`
}

// Render renders a template as helmfile renders `.gotmpl` files.
func Render(ctx context.Context, p RenderParams) (RenderResult, error) {
	data, err := tmpl.DecodeData(p.Data)
	if err != nil {
		return RenderResult{}, fault.Newf(fault.KindValues, "decoding the template data of %s: %v", p.Name, err).With("file", p.Name)
	}
	// helmfile makes the defines of the `_*.tpl` files in the directory
	// the template renders from (its base directory) available to include.
	helpers, err := tmpl.HelperFiles(p.BaseDir)
	if err != nil {
		return RenderResult{}, fault.Newf(fault.KindRender, "%s: %v", p.Name, err).With("file", p.Name)
	}
	out, err := tmpl.Render(p.Name, p.Text, data, tmpl.Options{
		BaseDir:         p.BaseDir,
		DisableInsecure: p.DisableInsecure,
		Helpers:         helpers,
		Context:         ctx,
		Run:             p.Run,
		Reusable:        p.FileContent,
	})
	if ctx.Err() != nil {
		return RenderResult{}, fault.Classify(ctx.Err(), fault.KindCancelled)
	}
	if err != nil {
		se := fault.New(fault.KindRender, err.Error()).With("file", p.Name)
		var helperErr *tmpl.HelperError
		if errors.As(err, &helperErr) {
			se.With("helper", helperErr.Path)
		}
		return RenderResult{}, se
	}
	return RenderResult{Text: out}, nil
}
