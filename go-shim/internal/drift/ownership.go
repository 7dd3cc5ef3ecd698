package drift

import (
	"bytes"
	"log/slog"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/value"
)

// Field ownership is read from the live object's managedFields: each
// entry's fieldsV1 is a fieldpath.Set, whose paths name list items by
// their merge key (k:{"name":"c"}), their value (v:"x", for sets) or their
// index (i:0). A JSON pointer's list index is turned into the element the
// sets use by matching the live item against the elements the sets hold
// at that point, so no schema is needed. A manager owning a field
// atomically (a member with no children: f:args, f:selector) owns
// everything below it.

type ownerEntry struct {
	manager string
	set     *fieldpath.Set
}

type fieldOwnership struct {
	entries []ownerEntry   // the latest first
	all     *fieldpath.Set // their union, to name list items
}

func parseOwnership(live *unstructured.Unstructured) *fieldOwnership {
	o := &fieldOwnership{all: fieldpath.NewSet()}
	managed := live.GetManagedFields()
	// The latest writer first: it is the one to name when several
	// managers own a field.
	slices.SortStableFunc(managed, func(a, b metav1.ManagedFieldsEntry) int {
		switch {
		case a.Time == nil || b.Time == nil:
			return 0
		case a.Time.After(b.Time.Time):
			return -1
		case b.Time.After(a.Time.Time):
			return 1
		}
		return 0
	})
	for _, entry := range managed {
		if entry.FieldsV1 == nil {
			continue
		}
		set := fieldpath.NewSet()
		if err := set.FromJSON(bytes.NewReader(entry.FieldsV1.Raw)); err != nil {
			slog.Debug("unreadable managedFields entry", "manager", entry.Manager, "object", live.GetName(), "error", err)
			continue
		}
		o.entries = append(o.entries, ownerEntry{manager: entry.Manager, set: set})
		o.all = o.all.Union(set)
	}
	return o
}

// resolve turns a pointer's segments into a field path. complete is false
// when it stops early: below the point reached no manager owns anything
// separately, so only an atomic owner of the last element owns the field.
func (o *fieldOwnership) resolve(segments []any, obj map[string]any) (fieldpath.Path, bool) {
	node := o.all
	var cur any = obj
	path := make(fieldpath.Path, 0, len(segments))
	for i, seg := range segments {
		var pe fieldpath.PathElement
		switch s := seg.(type) {
		case string:
			pe = fieldpath.FieldNameElement(s)
			m, _ := cur.(map[string]any)
			cur = m[s]
		case int:
			list, _ := cur.([]any)
			if s >= len(list) {
				return path, false
			}
			var ok bool
			if pe, ok = listElement(node, list[s], s); !ok {
				return path, false
			}
			cur = list[s]
		}
		path = append(path, pe)
		if i == len(segments)-1 {
			return path, true
		}
		child, ok := node.Children.Get(pe)
		if !ok {
			return path, false
		}
		node = child
	}
	return path, len(segments) > 0
}

// listElement is the element the sets use for a list item: a key whose
// fields the item has, the item's value, or its index.
func listElement(node *fieldpath.Set, item any, index int) (fieldpath.PathElement, bool) {
	// Iterate, not All: fieldpath's iterators (v6.4) do not stop when the
	// loop body breaks, which panics.
	var found *fieldpath.PathElement
	match := func(pe fieldpath.PathElement) {
		if found == nil && elementMatches(pe, item, index) {
			found = &pe
		}
	}
	node.Children.Iterate(match)
	node.Members.Iterate(match)
	if found == nil {
		return fieldpath.PathElement{}, false
	}
	return *found, true
}

func elementMatches(pe fieldpath.PathElement, item any, index int) bool {
	switch {
	case pe.Key != nil:
		m, ok := item.(map[string]any)
		if !ok {
			return false
		}
		for _, field := range *pe.Key {
			v, ok := m[field.Name]
			if !ok || !value.Equals(value.NewValueInterface(v), field.Value) {
				return false
			}
		}
		return true
	case pe.Value != nil:
		return value.Equals(value.NewValueInterface(item), *pe.Value)
	case pe.Index != nil:
		return *pe.Index == index
	}
	return false
}

// ownersOf is the managers owning the field at path, the latest first.
func (o *fieldOwnership) ownersOf(path fieldpath.Path, complete bool) []string {
	var out []string
	for _, e := range o.entries {
		if owns(e.set, path, complete) && !slices.Contains(out, e.manager) {
			out = append(out, e.manager)
		}
	}
	return out
}

func owns(set *fieldpath.Set, path fieldpath.Path, complete bool) bool {
	node := set
	for i, pe := range path {
		child, hasChild := node.Children.Get(pe)
		member := node.Members.Has(pe)
		if member && !hasChild {
			return true // atomic: the whole subtree
		}
		if i == len(path)-1 {
			// The field itself, or (when the path names a map or list
			// reported whole) fields inside it.
			return complete && (member || hasChild)
		}
		if !hasChild {
			return false
		}
		node = child
	}
	return false
}
