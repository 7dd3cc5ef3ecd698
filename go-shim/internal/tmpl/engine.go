// Package tmpl is helmfile's Go template engine: the one that renders
// `.gotmpl` state files, `.gotmpl` values files and templated release
// fields. helmfile v1.7 (pkg/tmpl) is the specification: text/template with
// missingkey=error, sprig v3's TxtFuncMap with `get` renamed `sprigGet`, and
// helmfile's own functions with the same signatures and error messages.
//
// Deliberate differences from helmfile:
//   - the template is named after the file being rendered (helmfile names
//     every template "stringTemplate"), so errors point at the file;
//   - helper files are parsed under their own path, so an error inside a
//     `define` names the helper file;
//   - `tpl` nested more than maxTplDepth deep is an error instead of a Go
//     stack overflow that would kill the whole process.
package tmpl

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

// tplTemplateName is the name of a template rendered by `tpl`; helmfile uses
// it for every template it renders.
const tplTemplateName = "stringTemplate"

// maxIncludeDepth is how many times one named template may be included inside
// itself before include gives up (helmfile's recursionMaxNums).
const maxIncludeDepth = 1000

// maxTplDepth bounds nested `tpl` calls. helmfile has no bound and overflows
// the goroutine stack, which is fatal for a process hosting the Go runtime.
const maxTplDepth = 1000

// Options are the per-file settings of a render.
type Options struct {
	// BaseDir is the directory relative paths given to readFile, readDir,
	// readDirEntries, isFile, isDir resolve against, and the working
	// directory of exec and envExec. helmfile uses the directory of the file
	// being rendered.
	BaseDir string
	// DisableInsecure is HELMFILE_DISABLE_INSECURE_FEATURES (or
	// HELMFILE_DISABLE_INSECURE_TEMPLATE_FUNCTIONS): exec, envExec,
	// readFile, readDir and readDirEntries fail with DisabledError.
	DisableInsecure bool
	// Helpers are the paths of the `_*.tpl` helper files whose `define`s are
	// available to include and template, parsed in this order before the
	// text (a define in the text wins). Relative paths resolve against
	// BaseDir. helmfile uses every BaseDir/_*.tpl in name order: HelperFiles.
	Helpers []string
	// Context cancels running exec/envExec commands (they get SIGINT, as in
	// helmfile's runner). Nil means never cancelled.
	Context context.Context
	// Run numbers the caller's run: fetchSecretValue and expandSecretRefs
	// fetch each reference once per run.
	Run uint64
	// Reusable says the text is the content of the file name as it is on
	// disk: its parsed form may be kept for later renders of the same
	// text (compiledSets). Never set it for a text that was decrypted or
	// rendered: it may hold secrets.
	Reusable bool
}

// HelperError is a helper file that could not be read or parsed.
type HelperError struct {
	Path string
	Err  error
	read bool
}

func (e *HelperError) Error() string {
	if e.read {
		return fmt.Sprintf("failed to read helper template %s: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("failed to parse helper template %s: %v", e.Path, e.Err)
}

func (e *HelperError) Unwrap() error { return e.Err }

// HelperFiles lists the helper files helmfile loads for a file rendered with
// base directory dir: every `_*.tpl` in it, in name order, as names
// relative to dir (Options.Helpers resolves them against BaseDir).
func HelperFiles(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "_*.tpl"))
	if err != nil {
		return nil, fmt.Errorf("failed to glob helper templates: %v", err)
	}
	for i, f := range files {
		files[i] = filepath.Base(f)
	}
	return files, nil
}

type helper struct {
	path    string
	content string
}

// engine is the state of one Render call, shared by the `tpl` calls made
// from it.
type engine struct {
	opts     Options
	ctx      context.Context
	helpers  []helper
	tplDepth int
}

// Render executes text as helmfile would render a `.gotmpl` file named name
// with data as its dot.
func Render(name, text string, data any, opts Options) (string, error) {
	e := &engine{opts: opts, ctx: opts.Context}
	if e.ctx == nil {
		e.ctx = context.Background()
	}
	for _, path := range opts.Helpers {
		full := e.resolve(path)
		content, err := os.ReadFile(full)
		if err != nil {
			return "", &HelperError{Path: full, Err: err, read: true}
		}
		e.helpers = append(e.helpers, helper{path: full, content: string(content)})
	}
	if opts.Reusable {
		return e.renderReusable(name, text, data)
	}
	return e.render(name, text, data)
}

// render parses text under name together with the helpers and executes it.
func (e *engine) render(name, text string, data any) (string, error) {
	set, err := compile(name, text, e.helpers, e.opts.DisableInsecure)
	if err != nil {
		return "", err
	}
	return set.execute(e, data)
}

// compiledSet is one text parsed with the helpers into the template set
// helmfile's Context.newTemplate builds: the functions, missingkey=error,
// include bound to this set, and the helpers' defines. The functions that
// depend on a render (base directory, context, `tpl` depth, include's
// recursion count) reach it through bind, so one set serves many renders,
// one at a time.
type compiledSet struct {
	root *template.Template
	bind *binding
	// cost is its estimated memory, once compiledSets holds it (setCost).
	cost int
}

// binding is the render a compiled set is executing for.
type binding struct {
	e        *engine
	included map[string]int
}

// compile parses text under name, after the helpers' defines (so a define
// in the text wins).
func compile(name, text string, helpers []helper, disableInsecure bool) (*compiledSet, error) {
	set, err := staticFuncs().Clone()
	if err != nil {
		return nil, err
	}
	t := set.New(name) // shares the set's functions and missingkey=error
	b := &binding{}
	funcs := boundFuncs(b, disableInsecure)
	funcs["include"] = func(name string, data any) (string, error) {
		if b.included[name] > maxIncludeDepth {
			return "", fmt.Errorf("rendering template has a nested reference name: %s: unable to execute template", name)
		}
		b.included[name]++
		defer func() { b.included[name]-- }()
		var buf strings.Builder
		err := t.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	t.Funcs(funcs)

	for _, h := range helpers {
		if _, err := t.New(h.path).Parse(h.content); err != nil {
			return nil, &HelperError{Path: h.path, Err: err}
		}
	}
	if _, err := t.Parse(text); err != nil {
		return nil, err
	}
	return &compiledSet{root: t, bind: b}, nil
}

// execute runs the set with data for the render e. The caller holds the
// set alone until it returns.
func (c *compiledSet) execute(e *engine, data any) (string, error) {
	c.bind.e, c.bind.included = e, map[string]int{}
	defer func() { c.bind.e, c.bind.included = nil, nil }()
	var out bytes.Buffer
	if err := c.root.Execute(&out, data); err != nil {
		return "", err
	}
	return out.String(), nil
}

// tpl renders text with data in a fresh template set that has the helpers
// but not the defines of the calling file, as helmfile's tpl does.
func (e *engine) tpl(text string, data any) (string, error) {
	if e.tplDepth >= maxTplDepth {
		return "", fmt.Errorf("tpl is nested more than %d deep", maxTplDepth)
	}
	e.tplDepth++
	defer func() { e.tplDepth-- }()
	return e.render(tplTemplateName, text, data)
}

// resolve makes a relative path relative to BaseDir, as helmfile does.
func (e *engine) resolve(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(e.opts.BaseDir, path)
}
