package tmpl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// DecodeData decodes a template's data (its dot: Environment, Values,
// Release...) from the JSON the Rust side sends, typed as helmfile types
// the same values: helmfile holds them as go.yaml.in/yaml/v3 decoded them,
// so a number is what that library makes of the plain scalar (an int when
// it fits, then int64, uint64, float64), and every mapping is keyed by
// strings. Empty data, or null, is an empty map.
//
// This is the result yaml.v3 gives for the same JSON text (JSON is YAML;
// tmpl's tests hold the two to each other), at a fraction of its cost:
// every `.gotmpl` values file of every release decodes its data, and the
// YAML parser was half of that rendering's time.
func DecodeData(raw []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("template data: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("template data: more than one JSON value")
	}
	switch top := v.(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		mapNumbers(top, yamlNumber)
		return top, nil
	default:
		return nil, fmt.Errorf("template data: a %T, not a mapping", v)
	}
}

// mapNumbers replaces, in place, every json.Number under v with what
// number makes of it, and returns v (or the replacement, for a number).
func mapNumbers(v any, number func(json.Number) any) any {
	switch typed := v.(type) {
	case json.Number:
		return number(typed)
	case map[string]any:
		for k, item := range typed {
			typed[k] = mapNumbers(item, number)
		}
	case []any:
		for i, item := range typed {
			typed[i] = mapNumbers(item, number)
		}
	}
	return v
}

// yamlNumber is yaml.v3's resolution of a plain scalar that is a JSON
// number (its resolve: int when it fits, int64, uint64, then float64; a
// float out of range stays the string it was).
func yamlNumber(n json.Number) any {
	s := string(n)
	if i, err := strconv.ParseInt(s, 0, 64); err == nil {
		if i == int64(int(i)) {
			return int(i)
		}
		return i
	}
	if u, err := strconv.ParseUint(s, 0, 64); err == nil {
		return u
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f
	}
	return s
}
