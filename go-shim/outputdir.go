package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// sourceHeader matches the separator helm writes before every template.
var sourceHeader = regexp.MustCompile(`(?m)^---\n# Source: (.+)\n`)

// writeOutputDir lays the rendered templates out as `helm template
// --output-dir` does: one file per template path under dir, the parts of a
// template that renders several documents appended to one file.
//
// helm itself appends to files left by an earlier run, so a second run
// duplicates every document; helmfire truncates each file on its first write
// of a run instead (see docs/ARCHITECTURE.md, "Deliberate differences").
func writeOutputDir(dir string, manifests string) (templateResult, error) {
	headers := sourceHeader.FindAllStringSubmatchIndex(manifests, -1)
	written := map[string]bool{}
	var stdout strings.Builder
	for i, h := range headers {
		name := manifests[h[2]:h[3]]
		end := len(manifests)
		if i+1 < len(headers) {
			end = headers[i+1][0]
		}
		body := strings.TrimSuffix(manifests[h[1]:end], "\n")
		target := filepath.Join(dir, name)
		if err := appendTemplate(target, name, body, written[target]); err != nil {
			return templateResult{}, failf(KindIO, "writing %s: %v", target, err).withDetail("file", target)
		}
		written[target] = true
		fmt.Fprintf(&stdout, "wrote %s\n", dir+string(filepath.Separator)+name)
	}
	return templateResult{Stdout: stdout.String()}, nil
}

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
