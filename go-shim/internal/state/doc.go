// Package state evaluates the parts of helmfile's state files that must
// match Go semantics exactly: `.gotmpl` templates rendered with helmfile's
// template engine (internal/tmpl; the render method, render.go) and `.hcl`
// values files evaluated as helmfile's hcllang does (internal/hcl; the
// hcl_values method, hcl.go). Rust reads the state files and hands each
// template or values list here.
package state
