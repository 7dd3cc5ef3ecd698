package render

import (
	"bytes"
	"slices"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// imageEdit replaces text[start:end] with value.
type imageEdit struct {
	start, end int
	value      string
}

// rewrite returns text with the matching images replaced; everything else is
// left byte for byte as it was. Text with nothing to replace comes back as is.
func (s *imageSubstituter) rewrite(text []byte) []byte {
	var edits []imageEdit
	for _, doc := range splitYAMLDocuments(text) {
		edits = append(edits, s.documentEdits(text, doc)...)
	}
	if len(edits) == 0 {
		return text
	}
	slices.SortFunc(edits, func(a, b imageEdit) int { return a.start - b.start })
	var out bytes.Buffer
	out.Grow(len(text))
	last := 0
	for _, e := range edits {
		if e.start < last {
			continue // cannot happen: scalars do not overlap
		}
		out.Write(text[last:e.start])
		out.WriteString(e.value)
		last = e.end
	}
	out.Write(text[last:])
	return out.Bytes()
}

// yamlDocument is the span of one document of a YAML stream.
type yamlDocument struct{ start, end int }

// splitYAMLDocuments cuts a stream at its "---" (and "...") marker lines; the
// marker lines belong to no document.
func splitYAMLDocuments(text []byte) []yamlDocument {
	var docs []yamlDocument
	start := 0
	for pos := 0; pos < len(text); {
		end := bytes.IndexByte(text[pos:], '\n')
		next := len(text)
		if end >= 0 {
			end += pos
			next = end + 1
		} else {
			end = len(text)
		}
		line := bytes.TrimRight(text[pos:end], "\r")
		if isDocumentMarker(line) {
			if pos > start {
				docs = append(docs, yamlDocument{start, pos})
			}
			start = next
		}
		pos = next
	}
	if start < len(text) {
		docs = append(docs, yamlDocument{start, len(text)})
	}
	return docs
}

func isDocumentMarker(line []byte) bool {
	for _, marker := range []string{"---", "..."} {
		if bytes.HasPrefix(line, []byte(marker)) && (len(line) == 3 || line[3] == ' ' || line[3] == '\t') {
			return true
		}
	}
	return false
}

// documentEdits finds the images to replace in one document; documents that
// do not parse, or are no workload, give none.
func (s *imageSubstituter) documentEdits(text []byte, doc yamlDocument) []imageEdit {
	src := text[doc.start:doc.end]
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil || root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil
	}
	obj := root.Content[0]
	if obj.Kind != yaml.MappingNode {
		return nil
	}
	var edits []imageEdit
	for _, spec := range podSpecs(obj) {
		for _, list := range []string{"containers", "initContainers", "ephemeralContainers"} {
			containers := mappingValue(spec, list)
			if containers == nil || containers.Kind != yaml.SequenceNode {
				continue
			}
			for _, c := range containers.Content {
				image := mappingValue(c, "image")
				if image == nil || image.Kind != yaml.ScalarNode || image.Anchor != "" || image.Style&yaml.TaggedStyle != 0 {
					continue
				}
				replacement, ok := s.replacementFor(image.Value)
				if !ok {
					continue
				}
				if e, ok := scalarEdit(src, image, replacement); ok {
					e.start += doc.start
					e.end += doc.start
					edits = append(edits, e)
				}
			}
		}
	}
	return edits
}

// podSpecs returns the pod specs of a workload object.
func podSpecs(obj *yaml.Node) []*yaml.Node {
	kind := scalarValue(mappingValue(obj, "kind"))
	apiVersion := scalarValue(mappingValue(obj, "apiVersion"))
	group := ""
	if g, _, ok := strings.Cut(apiVersion, "/"); ok {
		group = g
	}
	var path []string
	switch {
	case (kind == "Deployment" || kind == "DaemonSet" || kind == "ReplicaSet") && (group == "apps" || group == "extensions"),
		kind == "StatefulSet" && group == "apps",
		kind == "Job" && group == "batch":
		path = []string{"spec", "template", "spec"}
	case kind == "CronJob" && group == "batch":
		path = []string{"spec", "jobTemplate", "spec", "template", "spec"}
	case kind == "Pod" && group == "" && apiVersion != "":
		path = []string{"spec"}
	default:
		return nil
	}
	node := obj
	for _, key := range path {
		if node = mappingValue(node, key); node == nil {
			return nil
		}
	}
	if node.Kind != yaml.MappingNode {
		return nil
	}
	return []*yaml.Node{node}
}

// mappingValue is the value of key in a mapping node, or nil.
func mappingValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func scalarValue(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// scalarEdit locates the text of a scalar from its line and column (counted
// in characters) and checks that it is exactly the scalar, written on one
// line; anything else (escapes, folded lines) is left alone.
func scalarEdit(src []byte, n *yaml.Node, replacement string) (imageEdit, bool) {
	start, ok := offsetOf(src, n.Line, n.Column)
	if !ok {
		return imageEdit{}, false
	}
	var raw, value string
	switch n.Style {
	case 0:
		raw, value = n.Value, plainOrQuoted(replacement)
	case yaml.DoubleQuotedStyle:
		raw, value = `"`+n.Value+`"`, `"`+replacement+`"`
	case yaml.SingleQuotedStyle:
		raw, value = `'`+n.Value+`'`, `'`+replacement+`'`
	default:
		return imageEdit{}, false
	}
	end := start + len(raw)
	if end > len(src) || string(src[start:end]) != raw {
		return imageEdit{}, false
	}
	if n.Style == 0 && end < len(src) && !bytes.ContainsRune([]byte(" \t\r\n,]}#"), rune(src[end])) {
		return imageEdit{}, false
	}
	return imageEdit{start: start, end: end, value: value}, true
}

// offsetOf is the byte offset of a 1-based line and character column.
func offsetOf(src []byte, line, column int) (int, bool) {
	if line < 1 || column < 1 {
		return 0, false
	}
	pos := 0
	for l := 1; l < line; l++ {
		nl := bytes.IndexByte(src[pos:], '\n')
		if nl < 0 {
			return 0, false
		}
		pos += nl + 1
	}
	for c := 1; c < column; c++ {
		if pos >= len(src) || src[pos] == '\n' {
			return 0, false
		}
		_, size := utf8.DecodeRune(src[pos:])
		pos += size
	}
	return pos, true
}

// plainOrQuoted writes a replacement as a plain scalar when it reads back as
// that string, else double-quoted (a valid reference has no quote or
// backslash to escape).
func plainOrQuoted(s string) string {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(s), &n); err == nil && len(n.Content) == 1 {
		if v := n.Content[0]; v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" && v.Value == s && v.Style == 0 {
			return s
		}
	}
	return `"` + s + `"`
}
