package hcl

import "github.com/zclconf/go-cty/cty"

// mergeValues is how helmfile combines two definitions of one value
// (ctyMergeValues): over is laid over base. A null over keeps base; two
// objects (or two maps) merge key by key, recursively; anything else, lists
// and tuples included, is replaced by over.
func mergeValues(base, over cty.Value) cty.Value {
	if over.IsNull() {
		return base
	}
	if !over.IsKnown() || base.IsNull() || !base.IsKnown() {
		return over
	}
	bt, ot := base.Type(), over.Type()
	bothObjects := bt.IsObjectType() && ot.IsObjectType()
	bothMaps := bt.IsMapType() && ot.IsMapType()
	if !bothObjects && !bothMaps {
		return over
	}
	merged := map[string]cty.Value{}
	for k, v := range base.AsValueMap() {
		merged[k] = v
	}
	for k, v := range over.AsValueMap() {
		if old, ok := merged[k]; ok {
			merged[k] = mergeValues(old, v)
		} else {
			merged[k] = v
		}
	}
	if bothMaps {
		return mapOrObject(merged, ot)
	}
	return cty.ObjectVal(merged)
}

// mapOrObject builds a map value from merged entries. helmfile calls
// cty.MapVal, which panics when the merge left elements of different types
// (or none); those cases become an object (or an empty map) here.
func mapOrObject(entries map[string]cty.Value, like cty.Type) cty.Value {
	if len(entries) == 0 {
		return cty.MapValEmpty(like.ElementType())
	}
	var elem cty.Type
	first := true
	for _, v := range entries {
		if first {
			elem, first = v.Type(), false
			continue
		}
		if !v.Type().Equals(elem) {
			return cty.ObjectVal(entries)
		}
	}
	return cty.MapVal(entries)
}
