package render

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

	"helm.sh/helm/v4/pkg/postrenderer"
	release "helm.sh/helm/v4/pkg/release/v1"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// ImageSubstitution replaces the images matching Original (see the rules
// above) with Replacement.
type ImageSubstitution struct {
	Original    string `json:"original"`
	Replacement string `json:"replacement"`
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
			return fault.Newf(fault.KindValues, "image substitution %d (%q -> %q): invalid %s: %v", i+1, sub.Original, sub.Replacement, what, err).
				With("substitution", sub.Original)
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
