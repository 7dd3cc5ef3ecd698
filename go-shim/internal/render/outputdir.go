package render

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	release "helm.sh/helm/v4/pkg/release/v1"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// sourceHeader matches the separator helm writes before every template.
var sourceHeader = regexp.MustCompile(`(?m)^---\n# Source: (.+)\n`)

// renderedFile is one template's output, as helm writes it to --output-dir.
type renderedFile struct {
	name    string
	content string
}

// renderedFiles splits the release manifest back into its templates (helm
// joined them as "---\n# Source: NAME\nCONTENT\n") and adds the hooks, in
// the order `helm template --output-dir` writes them.
func renderedFiles(rel *release.Release, skipTests bool) []renderedFile {
	var files []renderedFile
	headers := sourceHeader.FindAllStringSubmatchIndex(rel.Manifest, -1)
	for i, h := range headers {
		end := len(rel.Manifest)
		if i+1 < len(headers) {
			end = headers[i+1][0]
		}
		content := strings.TrimSuffix(rel.Manifest[h[1]:end], "\n")
		files = append(files, renderedFile{name: rel.Manifest[h[2]:h[3]], content: content})
	}
	for _, hook := range rel.Hooks {
		if skipTests && slices.Contains(hook.Events, release.HookTest) {
			continue
		}
		files = append(files, renderedFile{name: hook.Path, content: hook.Manifest})
	}
	return files
}

// writeOutputDir lays the rendered templates out as `helm template
// --output-dir` does: one file per template path under dir, the parts of a
// template that renders several documents appended to one file.
//
// helm itself appends to files left by an earlier run, so a second run
// duplicates every document; helmfire truncates each file on its first write
// of a run instead (see docs/ARCHITECTURE.md, "Deliberate differences").
func writeOutputDir(dir string, files []renderedFile) (TemplateResult, error) {
	written := map[string]bool{}
	var stdout strings.Builder
	for _, f := range files {
		target := filepath.Join(dir, f.name)
		if err := appendTemplate(target, f.name, f.content, written[target]); err != nil {
			return TemplateResult{}, fault.Newf(fault.KindIO, "writing %s: %v", target, err).With("file", target)
		}
		written[target] = true
		fmt.Fprintf(&stdout, "wrote %s\n", dir+string(filepath.Separator)+f.name)
	}
	return TemplateResult{Stdout: stdout.String()}, nil
}

// appendTemplate writes one template's output, after helm's "# Source:"
// header, creating or truncating the file unless appendData.
func appendTemplate(target, name, body string, appendData bool) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendData {
		flags = os.O_APPEND | os.O_WRONLY
	}
	f, err := os.OpenFile(target, flags, 0o644)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(f, "---\n# Source: %s\n%s\n", name, body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
