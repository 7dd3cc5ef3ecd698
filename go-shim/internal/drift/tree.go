package drift

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// driftLeaf is one difference between the prediction and the live object.
type driftLeaf struct {
	segments []any // string: a map key; int: a list index
}

// diffTree collects the paths where declared and live differ: maps key by
// key, lists of the same length item by item; anything else (a scalar, a
// field on one side only, a list whose length changed) is one leaf. A list
// that grew or shrank is reported whole, since its indexes no longer pair
// the same items.
func diffTree(segments []any, declared, live any, out *[]driftLeaf) {
	switch d := declared.(type) {
	case map[string]any:
		if l, ok := live.(map[string]any); ok {
			keys := make([]string, 0, len(d)+len(l))
			for k := range d {
				keys = append(keys, k)
			}
			for k := range l {
				if _, ok := d[k]; !ok {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				dv, dok := d[k]
				lv, lok := l[k]
				child := append(slices.Clip(segments), k)
				if dok && lok {
					diffTree(child, dv, lv, out)
				} else {
					*out = append(*out, driftLeaf{segments: child})
				}
			}
			return
		}
	case []any:
		if l, ok := live.([]any); ok && len(l) == len(d) {
			for i := range d {
				diffTree(append(slices.Clip(segments), i), d[i], l[i], out)
			}
			return
		}
	}
	if !reflect.DeepEqual(declared, live) {
		*out = append(*out, driftLeaf{segments: slices.Clone(segments)})
	}
}

// valueAt is the value at a path, and whether it exists.
func valueAt(obj any, segments []any) (any, bool) {
	cur := obj
	for _, seg := range segments {
		switch s := seg.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, false
			}
			if cur, ok = m[s]; !ok {
				return nil, false
			}
		case int:
			l, ok := cur.([]any)
			if !ok || s >= len(l) {
				return nil, false
			}
			cur = l[s]
		}
	}
	return cur, true
}

// jsonPointer is RFC 6901's spelling of a path ("/" in a key is "~1").
func jsonPointer(segments []any) string {
	var b strings.Builder
	for _, seg := range segments {
		b.WriteByte('/')
		switch s := seg.(type) {
		case string:
			b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(s))
		case int:
			b.WriteString(strconv.Itoa(s))
		}
	}
	return b.String()
}
