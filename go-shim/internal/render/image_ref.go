package render

import (
	"fmt"
	"regexp"
	"strings"
)

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
