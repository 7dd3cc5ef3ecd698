package redact

import (
	"bytes"
	"encoding/base64"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
)

// IsSecret tells whether an API group and kind name a core Secret.
func IsSecret(group, kind string) bool {
	return group == "" && kind == "Secret"
}

// Pair hides, in place, the secrets of two versions of one object as a
// diff shows them (either may be nil, for a creation or a deletion): the
// values of a Secret (secret set) and, on any object, the
// last-applied-configuration annotation.
func Pair(old, new map[string]any, secret bool) {
	if secret {
		secretPair(old, new)
	}
	lastAppliedPair(old, new)
}

// Object is a copy of one object with its secrets hidden, for output that
// shows one version at a time (drift): every value of a Secret (secret set)
// and, on any object, the last-applied-configuration annotation become
// "REDACTED # (N bytes)". The copy has the object's shape, so a path into
// the object leads to the same place in it.
func Object(obj map[string]any, secret bool) map[string]any {
	out := runtime.DeepCopyJSON(obj)
	if secret {
		for _, field := range []string{"data", "stringData"} {
			values, ok := out[field].(map[string]any)
			if !ok {
				continue
			}
			for k, v := range values {
				s := fmt.Sprint(v)
				n := len(s)
				if field == "data" {
					if decoded, err := base64.StdEncoding.DecodeString(s); err == nil {
						n = len(decoded)
					}
				}
				values[k] = Mark(n)
			}
		}
	}
	if annotations := annotationsOf(out); annotations != nil {
		if v, ok := annotations[LastAppliedAnnotation]; ok {
			annotations[LastAppliedAnnotation] = Mark(len(fmt.Sprint(v)))
		}
	}
	return out
}

// SecretData is the decoded data of a Secret object (data plus stringData,
// which wins for a key in both, as the API server merges them), nil when it
// has neither.
func SecretData(obj map[string]any) map[string][]byte {
	if obj == nil {
		return nil
	}
	var out map[string][]byte
	if data, ok := obj["data"].(map[string]any); ok {
		out = make(map[string][]byte, len(data))
		for k, v := range data {
			s, _ := v.(string)
			decoded, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				decoded = []byte(s) // not base64: the server would refuse it; count it as is
			}
			out[k] = decoded
		}
	}
	if stringData, ok := obj["stringData"].(map[string]any); ok {
		if out == nil {
			out = make(map[string][]byte, len(stringData))
		}
		for k, v := range stringData {
			out[k] = []byte(fmt.Sprint(v))
		}
	}
	return out
}

// secretPair folds stringData into data as the API server does and marks
// every value.
func secretPair(old, new map[string]any) {
	oldData, newData := SecretData(old), SecretData(new)
	markSide(old, oldData, newData, new != nil, markRemoved)
	markSide(new, newData, oldData, old != nil, markAdded)
}

func markSide(obj map[string]any, data, other map[string][]byte, otherExists bool, changed string) {
	if obj == nil {
		return
	}
	delete(obj, "stringData")
	if data == nil {
		return
	}
	redacted := make(map[string]any, len(data))
	for k, v := range data {
		prefix := changed
		if theirs, ok := other[k]; otherExists && ok && bytes.Equal(v, theirs) {
			prefix = markSame
		}
		redacted[k] = mark(prefix, len(v))
	}
	obj["data"] = redacted
}

// lastAppliedPair marks the annotation on both sides: REDACTED when the two
// values are the same, else as changed.
func lastAppliedPair(old, new map[string]any) {
	oldValue, oldOK := lastApplied(old)
	newValue, newOK := lastApplied(new)
	same := oldOK && newOK && oldValue == newValue
	if oldOK {
		prefix := markRemoved
		if same {
			prefix = markSame
		}
		annotationsOf(old)[LastAppliedAnnotation] = mark(prefix, len(oldValue))
	}
	if newOK {
		prefix := markAdded
		if same {
			prefix = markSame
		}
		annotationsOf(new)[LastAppliedAnnotation] = mark(prefix, len(newValue))
	}
}

func lastApplied(obj map[string]any) (string, bool) {
	v, ok := annotationsOf(obj)[LastAppliedAnnotation]
	if !ok {
		return "", false
	}
	return fmt.Sprint(v), true
}

// annotationsOf is the object's metadata.annotations, nil when it has none.
func annotationsOf(obj map[string]any) map[string]any {
	md, ok := obj["metadata"].(map[string]any)
	if !ok {
		return nil
	}
	annotations, _ := md["annotations"].(map[string]any)
	return annotations
}
