package render

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/strvals"

	"github.com/helmfire/helmfire/go-shim/internal/fault"
)

// ValueSource is one entry of a release's ordered values list: a file on
// disk, or a document written inline in the helmfile (sent by Rust as JSON,
// which is valid YAML and decodes exactly as a values file would).
type ValueSource struct {
	File   string `json:"file,omitempty"`
	Inline string `json:"inline,omitempty"`
	// Origin names where an inline document was written, for error messages.
	Origin string `json:"origin,omitempty"`
	// Sensitive marks a document holding decrypted secrets or resolved
	// references: a parse error names its origin and never the parser's
	// text, which can quote a value.
	Sensitive bool `json:"sensitive,omitempty"`
}

// ValueOverrides mirrors helm's --set, --set-string and --set-file flags.
type ValueOverrides struct {
	Set       []string `json:"set,omitempty"`
	SetString []string `json:"set_string,omitempty"`
	SetFile   []string `json:"set_file,omitempty"`
}

// MergeValues coalesces values in the order helm's CLI does (pkg/cli/values
// Options.MergeValues): value documents in order, then --set, --set-string
// and --set-file. The same SDK functions are used so the result is the one
// `helm template -f ... --set ...` computes.
func MergeValues(sources []ValueSource, overrides ValueOverrides) (map[string]any, error) {
	base := map[string]any{}
	for _, src := range sources {
		raw, name, err := src.Read()
		if err != nil {
			return nil, err
		}
		current, err := parseValues(raw, src.File != "")
		if err != nil && src.Sensitive {
			return nil, fault.Newf(fault.KindValues, "failed to parse the secret values of %s; check that it decrypts to a YAML mapping", name).With("file", name)
		}
		if err != nil {
			return nil, fault.Newf(fault.KindValues, "failed to parse %s: %v", name, err).With("file", name)
		}
		base = loader.MergeMaps(base, current)
	}
	for _, value := range overrides.Set {
		if err := strvals.ParseInto(value, base); err != nil {
			return nil, fault.Newf(fault.KindValues, "failed parsing the --set value of %q: %v", setKey(value), err)
		}
	}
	for _, value := range overrides.SetString {
		if err := strvals.ParseIntoString(value, base); err != nil {
			return nil, fault.Newf(fault.KindValues, "failed parsing the --set-string value of %q: %v", setKey(value), err)
		}
	}
	for _, value := range overrides.SetFile {
		reader := func(rs []rune) (any, error) {
			data, err := os.ReadFile(string(rs))
			return string(data), err
		}
		if err := strvals.ParseIntoFile(value, base, reader); err != nil {
			return nil, fault.Newf(fault.KindValues, "failed parsing --set-file data %q: %v", value, err)
		}
	}
	return base, nil
}

// setKey is the key part of a `--set` entry: messages name it, never the
// value, which may be a resolved secret.
func setKey(entry string) string {
	key, _, _ := strings.Cut(entry, "=")
	return key
}

// Read is the document's bytes and the name messages give it.
func (s ValueSource) Read() ([]byte, string, error) {
	if s.File == "" {
		name := s.Origin
		if name == "" {
			name = "inline values"
		}
		return []byte(s.Inline), name, nil
	}
	raw, err := os.ReadFile(s.File)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, s.File, fault.Newf(fault.KindValues, "values file %s does not exist", s.File).With("file", s.File)
		}
		return nil, s.File, fault.Newf(fault.KindValues, "reading values file %s: %v", s.File, err).With("file", s.File)
	}
	return raw, s.File, nil
}

// DescribeSources names the value sources in log lines.
func DescribeSources(sources []ValueSource) string {
	parts := make([]string, 0, len(sources))
	for _, s := range sources {
		if s.File != "" {
			parts = append(parts, s.File)
		} else {
			parts = append(parts, fmt.Sprintf("<%s>", s.Origin))
		}
	}
	return strings.Join(parts, ", ")
}
