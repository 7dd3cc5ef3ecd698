package hcl

import (
	"bytes"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// ToYAML writes values as one YAML document (go.yaml.in/yaml/v3, indent 2,
// keys sorted). helmfile holds HCL numbers as float64, and the encoder would
// write a whole float64 as `2`, which reads back as an integer; every number
// is therefore written so that it reads back as a float (`2.0`, `1e+06`,
// `0.5`).
func ToYAML(values map[string]any) (string, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(floatsMarked(values)); err != nil {
		return "", err
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// yamlFloat is a float64 that encodes as a YAML float.
type yamlFloat float64

func (f yamlFloat) MarshalYAML() (any, error) {
	text := strconv.FormatFloat(float64(f), 'g', -1, 64)
	if !strings.ContainsAny(text, ".eEnN") {
		text += ".0"
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: text}, nil
}

func floatsMarked(v any) any {
	switch typed := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(typed))
		for k, item := range typed {
			out[k] = floatsMarked(item)
		}
		return out
	case []any:
		out := make([]any, len(typed))
		for i, item := range typed {
			out[i] = floatsMarked(item)
		}
		return out
	case float64:
		return yamlFloat(typed)
	default:
		return v
	}
}
