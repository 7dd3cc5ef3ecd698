package tmpl

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// helmfile v1 uses go.yaml.in/yaml/v3 (runtime.GoYamlV3 defaults to true)
// with an indent of 2 for every YAML it writes.

// ToYaml is helmfile's toYaml: one YAML document, v3 encoder, indent 2.
func ToYaml(v any) (string, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	err := enc.Encode(v)
	out := buf.String() // helmfile reads the buffer before closing the encoder
	_ = enc.Close()
	return out, err
}

// FromYaml is helmfile's fromYaml: the first document of str, with every
// mapping keyed by strings.
func FromYaml(str string) (any, error) {
	var m any
	if err := yaml.Unmarshal([]byte(str), &m); err != nil {
		return nil, fmt.Errorf("%s, offending yaml: %s", err, str)
	}
	m, err := stringifyKeys(m)
	if err != nil {
		return nil, fmt.Errorf("%s, offending yaml: %s", err, str)
	}
	return m, nil
}

// stringifyKeys is maputil.RecursivelyStringifyMapKey.
func stringifyKeys(v any) (any, error) {
	switch typed := v.(type) {
	case map[any]any, map[string]any:
		return castKeysToStrings(typed)
	case []any:
		out := []any{}
		for _, item := range typed {
			cast, err := stringifyKeys(item)
			if err != nil {
				return nil, err
			}
			out = append(out, cast)
		}
		return out, nil
	default:
		return v, nil
	}
}

// castKeysToStrings is maputil.CastKeysToStrings.
func castKeysToStrings(v any) (map[string]any, error) {
	out := map[string]any{}
	switch src := v.(type) {
	case map[any]any:
		for k, item := range src {
			key, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("unexpected type of key in map: expected string, got %T: value=%v, map=%v", k, k, src)
			}
			cast, err := stringifyKeys(item)
			if err != nil {
				return nil, err
			}
			out[key] = cast
		}
	case map[string]any:
		for k, item := range src {
			cast, err := stringifyKeys(item)
			if err != nil {
				return nil, err
			}
			out[k] = cast
		}
	}
	return out, nil
}

// SetValueAtPath is helmfile's setValueAtPath: sets the dot-separated path
// in values (every map on the way must exist) and returns values.
func SetValueAtPath(path string, value any, values map[string]any) (map[string]any, error) {
	var current any = values
	components := strings.Split(path, ".")
	parents, key := components[:len(components)-1], components[len(components)-1]
	for _, k := range parents {
		var elem any
		var exists bool
		switch typed := current.(type) {
		case map[string]any:
			elem, exists = typed[k]
		case map[any]any:
			elem, exists = typed[k]
		default:
			return nil, fmt.Errorf("failed to set value at path \"%s\": value for key \"%s\" was not a map", path, k)
		}
		if !exists {
			return nil, fmt.Errorf("failed to set value at path \"%s\": value for key \"%s\" does not exist", path, k)
		}
		switch elem.(type) {
		case map[string]any, map[any]any:
			current = elem
		default:
			return nil, fmt.Errorf("failed to set value at path \"%s\": value for key \"%s\" was not a map", path, k)
		}
	}
	switch typed := current.(type) {
	case map[string]any:
		typed[key] = value
	case map[any]any:
		typed[key] = value
	default:
		return nil, fmt.Errorf("failed to set value at path \"%s\": value for key \"%s\" was not a map", path, key)
	}
	return values, nil
}

// RequiredEnv is helmfile's requiredEnv: the variable's value, an error when
// it is unset or empty.
func RequiredEnv(name string) (string, error) {
	if val, ok := os.LookupEnv(name); ok && val != "" {
		return val, nil
	}
	return "", fmt.Errorf("required env var `%s` is not set", name)
}

// Required is helmfile's required: val, an error with message warn when
// val is nil or the empty string.
func Required(warn string, val any) (any, error) {
	if val == nil {
		return nil, fmt.Errorf("%s", warn)
	}
	if s, ok := val.(string); ok && s == "" {
		return nil, fmt.Errorf("%s", warn)
	}
	return val, nil
}

// noValueError is a missing key or field; getOrNil turns it into nil.
type noValueError struct{ msg string }

func (e *noValueError) Error() string { return e.msg }

// Get is helmfile's get: `get PATH OBJ` or `get PATH DEFAULT OBJ`, PATH
// being dot-separated keys of maps or fields of structs. A missing key is an
// error without a default.
func Get(path string, args ...any) (any, error) {
	var def, obj any
	var hasDef bool
	switch len(args) {
	case 1:
		obj = args[0]
	case 2:
		hasDef, def, obj = true, args[0], args[1]
	default:
		return nil, fmt.Errorf("unexpected number of args passed to the template function get(path, [def, ]obj): expected 1 or 2, got %d, args was %v", len(args), args)
	}
	if path == "" {
		return obj, nil
	}
	keys := strings.Split(path, ".")
	head, rest := keys[0], strings.Join(keys[1:], ".")
	if ptr, ok := obj.(*map[string]any); ok {
		obj = *ptr
	}
	missing := func(m any) (any, error) {
		if hasDef {
			return def, nil
		}
		return nil, &noValueError{fmt.Sprintf("no value exist for key \"%s\" in %v", head, m)}
	}

	var v any
	switch typed := obj.(type) {
	case map[string]any:
		found, ok := typed[head]
		if !ok {
			return missing(typed)
		}
		v = found
	case map[string]string:
		found, ok := typed[head]
		if !ok {
			return missing(typed)
		}
		// helmfile returns here, ignoring the rest of the path.
		return found, nil
	case map[any]any:
		found, ok := typed[head]
		if !ok {
			return missing(typed)
		}
		v = found
	default:
		rv := reflect.ValueOf(typed)
		if rv.Kind() != reflect.Struct {
			return nil, &noValueError{fmt.Sprintf("unexpected type(%v) of value for key \"%s\": it must be either map[string]any or any struct", reflect.TypeOf(obj), head)}
		}
		if rv.NumField() < 1 {
			return nil, &noValueError{fmt.Sprintf("no accessible struct fields for key \"%s\"", head)}
		}
		f := rv.FieldByName(head)
		if !f.IsValid() {
			if hasDef {
				return def, nil
			}
			return nil, &noValueError{fmt.Sprintf("no field named \"%s\" exist in %v", head, typed)}
		}
		v = f.Interface()
	}
	if hasDef {
		return Get(rest, def, v)
	}
	return Get(rest, v)
}

// GetOrNil is helmfile's getOrNil: get without a default, nil where get
// finds no value.
func GetOrNil(path string, obj any) (any, error) {
	v, err := Get(path, obj)
	if err != nil {
		if _, ok := err.(*noValueError); ok {
			return nil, nil
		}
		return nil, err
	}
	return v, nil
}
