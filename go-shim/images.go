package main

// Image substitution (issue #7): `helmfire image ORIGINAL REPLACEMENT`
// rewrites container images in every rendered pod template, so that
// `template` and `diff` show the replacement and `sync` deploys it.
//
// Where images are rewritten
//
//   - the `image` of every entry of `containers`, `initContainers` and
//     `ephemeralContainers` of a pod spec;
//   - pod specs are found in Deployment, DaemonSet and ReplicaSet (API group
//     apps or extensions), StatefulSet (apps) and Job (batch) at
//     spec.template.spec, CronJob (batch) at spec.jobTemplate.spec.template.spec
//     and Pod (core, apiVersion v1) at spec. Other kinds, and these kinds in
//     other API groups (custom resources), are left alone, as is any other
//     field named `image` (in a ConfigMap, say).
//   - hooks (test pods, migration jobs) are rewritten like the other manifests.
//
// How images are matched
//
//   - Both the Original of a substitution and each image found are normalised
//     as [registry/]repository[:tag][@digest]. The registry is the first path
//     component when it contains a "." or a ":" or is "localhost"; otherwise
//     it is docker.io (index.docker.io is docker.io too; registry names are
//     compared without regard to case). On docker.io a one-component
//     repository gets "library/": nginx, library/nginx, docker.io/nginx and
//     docker.io/library/nginx are the same repository.
//   - An Original with neither tag nor digest matches every tag and digest of
//     its repository.
//   - An Original with a tag matches that tag only (with or without a digest).
//     An image with neither tag nor digest has the tag "latest", as the
//     container runtime pulls it: nginx:latest matches nginx.
//   - An Original with a digest matches that digest only, whatever the tag.
//   - The substitutions are tried in order; the first that matches wins.
//   - The Replacement replaces the whole image string, as written (it is not
//     normalised, and no tag or digest is carried over from the image).
//   - An Original or a Replacement that is not a valid image reference is an
//     error naming the substitution; an image in a manifest that is not a
//     valid reference is left alone.
//
// How the manifests are changed
//
// Only the bytes of the image values change: each document is parsed (YAML)
// to find the image scalars and their positions, and the scalar is replaced
// in the original text, keeping its quoting (a plain scalar stays plain unless
// the replacement would not read back as a string). Images written with a tag,
// an anchor or an alias, or as block scalars, are left alone. With no
// substitutions nothing is installed or changed at all.
//
// For upgrade and diff the rewrite is a helm post-renderer, run after the
// exec post-renderer when there is one. helm 4 re-serialises the manifests
// around any post-renderer (it merges them into one stream annotated with
// postrenderer.helm.sh/postrender-filename, then splits them back by that
// annotation into the `# Source:` files), which changes their layout; the
// template method therefore rewrites the rendered release instead, so that
// its output differs from the unsubstituted one in the image values only.

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"helm.sh/helm/v4/pkg/postrenderer"
	release "helm.sh/helm/v4/pkg/release/v1"
)

// ImageSubstitution replaces the images matching Original (see the rules
// above) with Replacement.
type ImageSubstitution struct {
	Original    string `json:"original"`
	Replacement string `json:"replacement"`
}

// imageRef is a normalised image reference.
type imageRef struct {
	registry   string // docker.io when the reference names none
	repository string // with library/ for official docker.io images
	tag        string
	digest     string
}

const (
	defaultRegistry       = "docker.io"
	legacyDefaultRegistry = "index.docker.io"
	maxImageNameLength    = 255
)

var (
	// The grammar of github.com/distribution/reference.
	imageDomainRe    = regexp.MustCompile(`^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$`)
	imageComponentRe = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	imageTagRe       = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)
	imageDigestRe    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$`)
	// The digests of the algorithms that are registered are checked further.
	knownDigestRe = map[string]*regexp.Regexp{
		"sha256": regexp.MustCompile(`^[a-f0-9]{64}$`),
		"sha384": regexp.MustCompile(`^[a-f0-9]{96}$`),
		"sha512": regexp.MustCompile(`^[a-f0-9]{128}$`),
	}
)

// parseImageRef normalises an image reference, or says why it is not one.
func parseImageRef(s string) (imageRef, error) {
	var ref imageRef
	if s == "" {
		return ref, fmt.Errorf("empty image reference")
	}
	name := s
	if at := strings.IndexByte(name, '@'); at >= 0 {
		name, ref.digest = name[:at], name[at+1:]
		if !imageDigestRe.MatchString(ref.digest) {
			return ref, fmt.Errorf("invalid digest %q", ref.digest)
		}
		alg, enc, _ := strings.Cut(ref.digest, ":")
		if re, ok := knownDigestRe[alg]; ok && !re.MatchString(enc) {
			return ref, fmt.Errorf("invalid %s digest %q", alg, enc)
		}
	}
	if colon := strings.LastIndexByte(name, ':'); colon > strings.LastIndexByte(name, '/') {
		name, ref.tag = name[:colon], name[colon+1:]
		if !imageTagRe.MatchString(ref.tag) {
			return ref, fmt.Errorf("invalid tag %q", ref.tag)
		}
	}
	if name == "" {
		return ref, fmt.Errorf("no repository")
	}
	if len(name) > maxImageNameLength {
		return ref, fmt.Errorf("repository name longer than %d characters", maxImageNameLength)
	}
	components := strings.Split(name, "/")
	ref.registry = defaultRegistry
	if first := components[0]; len(components) > 1 && (strings.ContainsAny(first, ".:") || first == "localhost") {
		if !imageDomainRe.MatchString(first) {
			return ref, fmt.Errorf("invalid registry %q", first)
		}
		ref.registry = strings.ToLower(first)
		if ref.registry == legacyDefaultRegistry {
			ref.registry = defaultRegistry
		}
		components = components[1:]
	}
	for _, c := range components {
		if !imageComponentRe.MatchString(c) {
			return ref, fmt.Errorf("invalid repository path component %q (lower-case letters, digits and separators only)", c)
		}
	}
	if ref.registry == defaultRegistry && len(components) == 1 {
		components = []string{"library", components[0]}
	}
	ref.repository = strings.Join(components, "/")
	return ref, nil
}

// String is the normalised reference.
func (r imageRef) String() string {
	s := r.registry + "/" + r.repository
	if r.tag != "" {
		s += ":" + r.tag
	}
	if r.digest != "" {
		s += "@" + r.digest
	}
	return s
}

// matches tells whether image is one of the images the original stands for.
func (original imageRef) matches(image imageRef) bool {
	if original.registry != image.registry || original.repository != image.repository {
		return false
	}
	switch {
	case original.digest != "":
		return image.digest == original.digest
	case original.tag != "":
		tag := image.tag
		if tag == "" && image.digest == "" {
			tag = "latest"
		}
		return tag == original.tag
	default:
		return true
	}
}

// imageSubstituter holds the validated substitutions of a request.
type imageSubstituter struct {
	rules []imageRule
}

type imageRule struct {
	original    imageRef
	replacement string
}

// newImageSubstituter checks the substitutions; it returns nil when there
// are none, so that nothing is installed.
func newImageSubstituter(subs []ImageSubstitution) (*imageSubstituter, error) {
	if len(subs) == 0 {
		return nil, nil
	}
	s := &imageSubstituter{}
	for i, sub := range subs {
		bad := func(what string, err error) error {
			return failf(KindValues, "image substitution %d (%q -> %q): invalid %s: %v", i+1, sub.Original, sub.Replacement, what, err).
				withDetail("substitution", sub.Original)
		}
		original, err := parseImageRef(sub.Original)
		if err != nil {
			return nil, bad("original", err)
		}
		if _, err := parseImageRef(sub.Replacement); err != nil {
			return nil, bad("replacement", err)
		}
		s.rules = append(s.rules, imageRule{original: original, replacement: sub.Replacement})
	}
	return s, nil
}

// replacementFor is the replacement of image, if a substitution matches it.
func (s *imageSubstituter) replacementFor(image string) (string, bool) {
	ref, err := parseImageRef(image)
	if err != nil {
		return "", false
	}
	for _, rule := range s.rules {
		if rule.original.matches(ref) {
			return rule.replacement, true
		}
	}
	return "", false
}

// applyToRelease rewrites the images of a rendered release: its manifest
// and its hooks.
func (s *imageSubstituter) applyToRelease(rel *release.Release) {
	if s == nil || rel == nil {
		return
	}
	rel.Manifest = string(s.rewrite([]byte(rel.Manifest)))
	for _, hook := range rel.Hooks {
		hook.Manifest = string(s.rewrite([]byte(hook.Manifest)))
	}
}

// imagePostRenderer is the image rewrite as a helm post-renderer.
type imagePostRenderer struct {
	subs *imageSubstituter
}

var _ postrenderer.PostRenderer = (*imagePostRenderer)(nil)

func (p *imagePostRenderer) Run(rendered *bytes.Buffer) (*bytes.Buffer, error) {
	return bytes.NewBuffer(p.subs.rewrite(rendered.Bytes())), nil
}

// withImageSubstitutions is pr followed by the image rewrite, or pr itself
// (possibly nil) when there are no substitutions.
func withImageSubstitutions(pr postrenderer.PostRenderer, subs []ImageSubstitution) (postrenderer.PostRenderer, error) {
	s, err := newImageSubstituter(subs)
	if err != nil || s == nil {
		return pr, err
	}
	images := &imagePostRenderer{subs: s}
	if pr == nil {
		return images, nil
	}
	return chainedPostRenderer{pr, images}, nil
}

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
