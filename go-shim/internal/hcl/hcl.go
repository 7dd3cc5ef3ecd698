// Package hcl evaluates helmfile's HCL values files (`.hcl` entries of a
// `values:` list) as helmfile v1.7 does (pkg/hcllang):
//
//   - a file holds `values { ... }` blocks (any number) and at most one
//     `locals { ... }` block; nothing else;
//   - the attributes of every `values` block of every file form one
//     namespace, read as `hv.NAME`; locals are private to their file and
//     read as `local.NAME` (in that file's values and locals);
//   - a name defined more than once (in later blocks or files) is the merge
//     of its definitions in order: objects merge key by key, recursively,
//     a later null keeps the earlier value, anything else is replaced;
//   - evaluation follows the references, whatever the order of definition;
//     a reference to an undefined name or a cycle is an error;
//   - the result converts to Go values through JSON, as helmfile does, so
//     every number is a float64.
package hcl

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	hcl2 "github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

const (
	valuesBlock = "values"
	localsBlock = "locals"
	valuesRoot  = "hv"
	localsRoot  = "local"
)

// Source is one HCL values file.
type Source struct {
	// Name is the path errors show; locals are scoped by it.
	Name string
	Src  []byte
}

// Error is a failure located in an HCL file (Line is 0 when there is no
// position, as for an unreadable file).
type Error struct {
	File   string
	Line   int
	Column int
	Msg    string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

func errorAt(rng hcl2.Range, format string, args ...any) *Error {
	return &Error{File: rng.Filename, Line: rng.Start.Line, Column: rng.Start.Column, Msg: fmt.Sprintf(format, args...)}
}

// diagError turns the first error of diags into an Error, prefixed by what
// was being done (if anything).
func diagError(diags hcl2.Diagnostics, fallback hcl2.Range, doing string) *Error {
	var d *hcl2.Diagnostic
	for _, candidate := range diags {
		if candidate.Severity == hcl2.DiagError {
			d = candidate
			break
		}
	}
	if d == nil {
		d = diags[0]
	}
	msg := d.Summary
	if d.Detail != "" {
		msg += "; " + d.Detail
	}
	if doing != "" {
		msg = doing + ": " + msg
	}
	rng := fallback
	if d.Subject != nil {
		rng = *d.Subject
	}
	if rng.Filename == "" {
		rng.Filename = fallback.Filename
	}
	return errorAt(rng, "%s", msg)
}

// Load reads files (relative ones against baseDir; errors name them as
// given) and evaluates them together, in the order given.
func Load(files []string, baseDir string) (map[string]any, error) {
	srcs, err := Read(files, baseDir)
	if err != nil {
		return nil, err
	}
	return Eval(srcs)
}

// Read reads files as Load does, without evaluating them.
func Read(files []string, baseDir string) ([]Source, error) {
	srcs := make([]Source, 0, len(files))
	for _, f := range files {
		path := f
		if !filepath.IsAbs(path) && baseDir != "" {
			path = filepath.Join(baseDir, path)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, &Error{File: f, Msg: fmt.Sprintf("could not read file: %v", err)}
		}
		srcs = append(srcs, Source{Name: f, Src: b})
	}
	return srcs, nil
}

// definition is one attribute of a values or locals block.
type definition struct {
	name      string
	expr      hcl2.Expression
	nameRange hcl2.Range
	file      string
}

// reference is a name an expression depends on, with where it is read.
type reference struct {
	name string
	rng  hcl2.Range
}

// scope is a namespace: all values blocks, or the locals of one file.
type scope struct {
	kind  string // valuesBlock or localsBlock
	names []string
	defs  map[string][]*definition
}

func newScope(kind string) *scope {
	return &scope{kind: kind, defs: map[string][]*definition{}}
}

func (sc *scope) add(d *definition) {
	if _, ok := sc.defs[d.name]; !ok {
		sc.names = append(sc.names, d.name)
	}
	sc.defs[d.name] = append(sc.defs[d.name], d)
}

// Eval evaluates sources together, in order, and returns the values.
func Eval(srcs []Source) (map[string]any, error) {
	values := newScope(valuesBlock)
	locals := map[string]*scope{}
	var localFiles []string
	for _, src := range srcs {
		fileLocals, err := readFile(src, values)
		if err != nil {
			return nil, err
		}
		if _, seen := locals[src.Name]; !seen {
			localFiles = append(localFiles, src.Name)
		}
		locals[src.Name] = fileLocals
	}

	funcs := functions()
	localVals := map[string]cty.Value{}
	for _, file := range localFiles {
		sc := locals[file]
		if sc == nil || len(sc.names) == 0 {
			// helmfile leaves `local` without a value here: reading an
			// attribute of it fails as reading one of null does.
			localVals[file] = cty.NullVal(cty.DynamicPseudoType)
			continue
		}
		evaluated, err := sc.evaluate(funcs, nil)
		if err != nil {
			return nil, err
		}
		localVals[file] = cty.ObjectVal(evaluated)
	}

	evaluated, err := values.evaluate(funcs, localVals)
	if err != nil {
		return nil, err
	}
	return toGo(evaluated)
}

// readFile parses one file, adds its values definitions to values and
// returns its locals (nil when it has none).
func readFile(src Source, values *scope) (*scope, error) {
	file, diags := hclparse.NewParser().ParseHCL(src.Src, src.Name)
	if diags.HasErrors() {
		return nil, diagError(diags, hcl2.Range{Filename: src.Name}, "")
	}
	content, diags := file.Body.Content(&hcl2.BodySchema{
		Blocks: []hcl2.BlockHeaderSchema{{Type: valuesBlock}, {Type: localsBlock}},
	})
	if diags.HasErrors() {
		return nil, diagError(diags, hcl2.Range{Filename: src.Name}, "")
	}
	if blocks := content.Blocks.OfType(localsBlock); len(blocks) > 1 {
		return nil, errorAt(blocks[1].DefRange, "A file can only support exactly 1 `locals` block")
	}
	var locals *scope
	for _, block := range content.Blocks {
		attrs, diags := block.Body.JustAttributes()
		if diags.HasErrors() {
			return nil, diagError(diags, block.DefRange, "")
		}
		ordered := make([]*hcl2.Attribute, 0, len(attrs))
		for _, attr := range attrs {
			ordered = append(ordered, attr)
		}
		sort.Slice(ordered, func(i, j int) bool { return ordered[i].Range.Start.Byte < ordered[j].Range.Start.Byte })
		target := values
		if block.Type == localsBlock {
			locals = newScope(localsBlock)
			target = locals
		}
		for _, attr := range ordered {
			target.add(&definition{name: attr.Name, expr: attr.Expr, nameRange: attr.NameRange, file: src.Name})
		}
	}
	return locals, nil
}

// references lists the names of this scope an expression reads, as
// helmfile's parseSingleAttrRef: in values, `local.*` is precomputed and
// ignored; any other root must be followed by an attribute, whose name is
// the dependency (whatever the root; an unknown root then fails to
// evaluate).
func (sc *scope) references(d *definition) ([]reference, error) {
	var refs []reference
	for _, tr := range d.expr.Variables() {
		root := tr.RootName()
		if root == localsRoot && sc.kind != localsBlock {
			continue
		}
		if len(tr) < 2 {
			return nil, errorAt(tr[0].SourceRange(), "Invalid reference; The %q object cannot be accessed directly. Instead, access it from one of its root.", root)
		}
		attr, ok := tr[1].(hcl2.TraverseAttr)
		if !ok {
			return nil, errorAt(tr[1].SourceRange(), "Invalid reference; The %q object does not support this operation.", root)
		}
		refs = append(refs, reference{name: attr.Name, rng: tr.SourceRange()})
	}
	return refs, nil
}

// order returns the names in an order where every name comes after the
// names it references.
func (sc *scope) order() ([]string, error) {
	deps := map[string][]reference{}
	for _, name := range sc.names {
		seen := map[string]bool{}
		for _, d := range sc.defs[name] {
			refs, err := sc.references(d)
			if err != nil {
				return nil, err
			}
			for _, r := range refs {
				if _, defined := sc.defs[r.name]; !defined {
					return nil, errorAt(r.rng, "variables %q depend(s) on undefined vars %q", name, r.name)
				}
				if !seen[r.name] {
					seen[r.name] = true
					deps[name] = append(deps[name], r)
				}
			}
		}
	}

	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var out, stack []string
	var visit func(name string) error
	visit = func(name string) error {
		switch state[name] {
		case done:
			return nil
		case visiting:
			start := 0
			for i, n := range stack {
				if n == name {
					start = i
				}
			}
			cycle := append(append([]string{}, stack[start:]...), name)
			return errorAt(sc.defs[name][0].nameRange, "cycle detected between %s: %s", sc.kind, strings.Join(cycle, " -> "))
		}
		state[name] = visiting
		stack = append(stack, name)
		for _, r := range deps[name] {
			if err := visit(r.name); err != nil {
				return err
			}
		}
		stack = stack[:len(stack)-1]
		state[name] = done
		out = append(out, name)
		return nil
	}
	for _, name := range sc.names {
		if err := visit(name); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// evaluate computes every name of the scope. localVals are the locals of
// each file, for a values scope.
func (sc *scope) evaluate(funcs map[string]function.Function, localVals map[string]cty.Value) (map[string]cty.Value, error) {
	order, err := sc.order()
	if err != nil {
		return nil, err
	}
	root, what := valuesRoot, "variable"
	if sc.kind == localsBlock {
		root, what = localsRoot, "local"
	}
	evaluated := map[string]cty.Value{}
	for _, name := range order {
		var merged cty.Value
		for i, d := range sc.defs[name] {
			vars := map[string]cty.Value{}
			if len(evaluated) > 0 {
				vars[root] = cty.ObjectVal(evaluated)
			}
			if sc.kind == valuesBlock {
				vars[localsRoot] = localVals[d.file]
			}
			v, diags := d.expr.Value(&hcl2.EvalContext{Variables: vars, Functions: funcs})
			if diags.HasErrors() {
				return nil, diagError(diags, d.expr.Range(), fmt.Sprintf("error when trying to evaluate %s %q", what, name))
			}
			if i == 0 {
				merged = v
			} else {
				merged = mergeValues(merged, v)
			}
		}
		evaluated[name] = merged
	}
	return evaluated, nil
}

// toGo converts the values as helmfile does: cty to JSON to Go, so numbers
// are float64 and sets are lists.
func toGo(values map[string]cty.Value) (map[string]any, error) {
	out := map[string]any{}
	if len(values) == 0 {
		return out, nil
	}
	obj := cty.ObjectVal(values)
	b, err := ctyjson.Marshal(obj, obj.Type())
	if err != nil {
		return nil, fmt.Errorf("could not marshal cty value : %s", err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("could not unmarshall json : %s", err)
	}
	return out, nil
}
