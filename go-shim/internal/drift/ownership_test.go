package drift

import (
	"encoding/json"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Ownership without a cluster: list items are found by their merge key, a
// field owned atomically is owned whole, and a spared field is stripped.
func TestDriftFieldOwnership(t *testing.T) {
	live := &unstructured.Unstructured{}
	if err := json.Unmarshal([]byte(`{
	  "apiVersion": "apps/v1", "kind": "Deployment",
	  "metadata": {"name": "d", "managedFields": [
	    {"manager": "helm", "operation": "Apply", "time": "2024-01-01T00:00:00Z", "fieldsType": "FieldsV1",
	     "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {
	       "k:{\"name\":\"a\"}": {".": {}, "f:name": {}, "f:image": {}, "f:args": {}},
	       "k:{\"name\":\"b\"}": {".": {}, "f:name": {}}}}}}}},
	    {"manager": "kubectl-edit", "operation": "Update", "time": "2024-01-02T00:00:00Z", "fieldsType": "FieldsV1",
	     "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {
	       "k:{\"name\":\"b\"}": {"f:image": {}}}}}}}}]},
	  "spec": {"template": {"spec": {"containers": [
	    {"name": "a", "image": "x", "args": ["1", "2"]},
	    {"name": "b", "image": "y"}]}}}}`), &live.Object); err != nil {
		t.Fatal(err)
	}
	o := parseOwnership(live)
	owners := func(segments ...any) []string {
		path, complete := o.resolve(segments, live.Object)
		return o.ownersOf(path, complete)
	}
	for _, c := range []struct {
		segments []any
		want     []string
	}{
		{[]any{"spec", "template", "spec", "containers", 1, "image"}, []string{"kubectl-edit"}},
		{[]any{"spec", "template", "spec", "containers", 0, "image"}, []string{"helm"}},
		{[]any{"spec", "template", "spec", "containers", 0, "args", 1}, []string{"helm"}}, // atomic
		{[]any{"spec", "template", "spec", "containers", 0, "env"}, nil},
		{[]any{"spec", "replicas"}, nil},
	} {
		if got := owners(c.segments...); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: owners %v, want %v", jsonPointer(c.segments), got, c.want)
		}
	}
	if p := jsonPointer([]any{"metadata", "annotations", "meta.helm.sh/release-name", "a~b"}); p != "/metadata/annotations/meta.helm.sh~1release-name/a~0b" {
		t.Errorf("pointer %s", p)
	}

	path, _ := o.resolve([]any{"spec", "template", "spec", "containers", 1, "image"}, live.Object)
	obj, ok := stripField(live.DeepCopy().Object, path).(map[string]any)
	if !ok {
		t.Fatal("stripping a field gave no object")
	}
	containers, _ := valueAt(obj, []any{"spec", "template", "spec", "containers"})
	if want := []any{map[string]any{"name": "a", "image": "x", "args": []any{"1", "2"}}, map[string]any{"name": "b"}}; !reflect.DeepEqual(containers, want) {
		t.Errorf("stripped: %v", containers)
	}

	var leaves []driftLeaf
	diffTree(nil, map[string]any{"l": []any{"a", "b"}, "m": map[string]any{"x": 1}, "same": "s"},
		map[string]any{"l": []any{"a"}, "m": map[string]any{"x": 2, "y": 3}, "same": "s"}, &leaves)
	var got []string
	for _, l := range leaves {
		got = append(got, jsonPointer(l.segments))
	}
	if want := []string{"/l", "/m/x", "/m/y"}; !reflect.DeepEqual(got, want) {
		t.Errorf("leaves %v, want %v", got, want)
	}
}

// A field is ignored only when ignored managers alone own it: a list
// reported whole whose other items Helm owns is not left out of a heal.
func TestDriftIgnoredOnlyWhenOwnedByIgnoredManagersAlone(t *testing.T) {
	c := &driftChecker{ignore: []string{"autoscaler"}}
	for _, tc := range []struct {
		managers []string
		want     bool
	}{
		{nil, false},
		{[]string{"autoscaler"}, true},
		{[]string{"autoscaler", "helm"}, false},
		{[]string{"kubectl-edit"}, false},
	} {
		if got := c.ignored(tc.managers); got != tc.want {
			t.Errorf("ignored(%v) = %v", tc.managers, got)
		}
	}
}
