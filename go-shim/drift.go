package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/resource"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/structured-merge-diff/v6/value"

	rcommon "helm.sh/helm/v4/pkg/release/common"
	release "helm.sh/helm/v4/pkg/release/v1"
)

// drift compares the live objects of a release with its LAST DEPLOYED
// revision (not with a new render, which is what diff does): fields changed
// outside Helm and objects deleted outside Helm. With heal it applies the
// drifted objects again (drift_heal.go).
//
// The comparison reuses the differ's prediction (diff_objects.go): the
// API server's dry run of the request Helm would send with the deployed
// object. That request sets every field the release declares to the
// declared value and leaves the fields it does not declare as they are
// live, so the prediction differs from the live object exactly where a
// declared field was changed or removed.

type driftParams struct {
	ReleaseName string       `json:"release_name"`
	Namespace   string       `json:"namespace"`
	Kube        kubeSettings `json:"kube"`
	Heal        bool         `json:"heal,omitempty"`
	// IgnoreManagers: a drifted field owned live (managedFields) by these
	// managers only is not drift (a controller meant to change it, as an
	// autoscaler does replicas), and heal leaves it alone.
	IgnoreManagers []string `json:"ignore_managers,omitempty"`
	ShowSecrets    bool     `json:"show_secrets,omitempty"`
}

type driftResult struct {
	Release   string `json:"release"`
	Namespace string `json:"namespace"`
	Revision  int    `json:"revision"` // the revision compared with
	// Note says why the revision compared is not the last one (it is
	// pending or failed), empty otherwise.
	Note    string        `json:"note,omitempty"`
	Objects []driftObject `json:"objects"` // drifted objects only, by kind, namespace, name
	Checked int           `json:"checked"` // objects of the revision compared
}

type driftObject struct {
	APIVersion string       `json:"api_version"`
	Kind       string       `json:"kind"`
	Namespace  string       `json:"namespace"` // empty for cluster-scoped objects
	Name       string       `json:"name"`
	State      string       `json:"state"`  // driftChanged or driftDeleted
	Fields     []driftField `json:"fields"` // the drifted fields of a changed object
	Healed     bool         `json:"healed"`
	// TakenFrom is the field managers (other than Helm) that owned a
	// drifted field before heal applied it again.
	TakenFrom []string `json:"taken_from,omitempty"`
	HealError string   `json:"heal_error,omitempty"`
}

type driftField struct {
	Path string `json:"path"` // a JSON pointer: /spec/replicas, /spec/template/spec/containers/0/image
	// Declared is the value the release declares (the prediction's), nil
	// when it declares none; Live the live value, nil when it is absent.
	// A field present on one side only, or a list whose length changed,
	// is reported whole.
	Declared any `json:"declared"`
	Live     any `json:"live"`
	// Manager is the field manager owning the live field (the latest one
	// when several do), empty when none does (a field removed live).
	Manager string `json:"manager,omitempty"`
}

const (
	driftChanged = "changed"
	driftDeleted = "deleted"
)

// runDrift is the "drift" method.
func runDrift(ctx context.Context, raw json.RawMessage) (any, error) {
	var p driftParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	if p.ReleaseName == "" {
		return nil, failf(KindBadRequest, "invalid params: release_name is empty")
	}
	if p.Namespace != "" && p.Kube.Namespace != "" && p.Namespace != p.Kube.Namespace {
		return nil, failf(KindBadRequest, "invalid params: namespace %q and kube.namespace %q differ", p.Namespace, p.Kube.Namespace)
	}
	kube := p.Kube
	if kube.Namespace == "" {
		kube.Namespace = p.Namespace
	}
	s, err := openKube(ctx, kube, false)
	if err != nil {
		return nil, err
	}
	cancelled := func(what string) *ShimError {
		return s.fail(KindCancelled, "the drift %s of release %q was cancelled", what, p.ReleaseName).withDetail("release", p.ReleaseName)
	}

	rel, note, err := driftRevision(s, p.ReleaseName)
	if err != nil {
		return nil, err
	}
	c := &driftChecker{
		s:           s,
		release:     rel.Name,
		namespace:   rel.Namespace,
		serverSide:  rel.ApplyMethod == string(release.ApplyMethodServerSideApply),
		ignore:      p.IgnoreManagers,
		showSecrets: p.ShowSecrets,
	}
	objects, err := s.cfg.KubeClient.Build(bytes.NewBufferString(rel.Manifest), false)
	if err != nil {
		return nil, s.fail(KindRelease, "unable to build kubernetes objects from the manifest of release %q revision %d: %v",
			rel.Name, rel.Version, err).withDetail("release", rel.Name)
	}
	for _, info := range objects {
		if u, ok := info.Object.(*unstructured.Unstructured); ok {
			// What Helm applied along with the manifest: without it the
			// prediction would drop Helm's metadata.
			setHelmMetadata(u, c.release, c.namespace)
		}
	}

	slog.Debug("checking release drift", "release", rel.Name, "namespace", rel.Namespace, "revision", rel.Version,
		"objects", len(objects), "server_side", c.serverSide, "heal", p.Heal)
	started := time.Now()
	findings, err := c.checkAll(ctx, objects)
	if ctx.Err() != nil {
		return nil, cancelled("check")
	}
	if err != nil {
		return nil, s.classify(err, p.ReleaseName, KindRelease)
	}
	if p.Heal {
		// Detection first, all of it, then heal: a failed heal must not
		// hide the drift of the objects after it.
		if healed, total, ok := c.healAll(ctx, findings); !ok {
			e := cancelled("heal")
			e.Message += fmt.Sprintf("; %d of %d drifted objects were healed before the cancel", healed, total)
			return nil, e
		}
	}
	slog.Debug("checked release drift", "release", rel.Name, "namespace", rel.Namespace, "took", time.Since(started).Round(time.Millisecond))

	result := &driftResult{
		Release:   rel.Name,
		Namespace: rel.Namespace,
		Revision:  rel.Version,
		Note:      note,
		Objects:   []driftObject{},
		Checked:   len(objects),
	}
	for _, f := range findings {
		if f != nil {
			result.Objects = append(result.Objects, f.object)
		}
	}
	slices.SortStableFunc(result.Objects, func(a, b driftObject) int {
		return cmpStrings(a.Kind, b.Kind, a.Namespace, b.Namespace, a.Name, b.Name)
	})
	return result, nil
}

func cmpStrings(pairs ...string) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if c := strings.Compare(pairs[i], pairs[i+1]); c != 0 {
			return c
		}
	}
	return 0
}

// driftRevision is the revision drift compares with: the last one when it
// is deployed; else the last deployed one, with a note saying why; else
// (nothing was ever deployed, as after a failed install) the last one,
// with a note. A missing or uninstalled release is a release error.
func driftRevision(s *kubeSession, name string) (*release.Release, string, error) {
	last, err := s.lastRelease(name)
	if err != nil {
		return nil, "", s.classify(err, name, KindRelease)
	}
	if last == nil || last.Info == nil {
		return nil, "", s.fail(KindRelease, "release %q not found in namespace %q", name, s.namespace).withDetail("release", name)
	}
	status := last.Info.Status
	switch status {
	case rcommon.StatusDeployed:
		return last, "", nil
	case rcommon.StatusUninstalled:
		return nil, "", s.fail(KindRelease, "release %q in namespace %q is uninstalled (revision %d): it has no objects to compare",
			name, s.namespace, last.Version).withDetail("release", name).withDetail("status", status.String())
	}
	// The same choice as the upgrade's starting point (diff.go).
	rel, err := (&differ{s: s, release: name}).currentRelease(last)
	if err != nil {
		return nil, "", s.classify(err, name, KindRelease)
	}
	if rel.Version == last.Version {
		return rel, fmt.Sprintf("no revision of the release is deployed; compared with its last revision %d, which is %s",
			last.Version, status), nil
	}
	return rel, fmt.Sprintf("the last revision %d is %s; compared with revision %d, the last deployed one",
		last.Version, status, rel.Version), nil
}

// driftChecker compares one release's objects with the cluster.
type driftChecker struct {
	s           *kubeSession
	release     string
	namespace   string
	serverSide  bool // the revision was applied server-side (else Helm's client-side patch)
	ignore      []string
	showSecrets bool
}

// driftFinding is one drifted object, with what heal needs.
type driftFinding struct {
	info   *resource.Info
	live   *unstructured.Unstructured // nil when deleted
	object driftObject
	// spare is where ignored managers own drifted fields: heal leaves these
	// out of what it applies, so it does not take them back.
	spare []fieldpath.Path
	// takenFrom is the managers other than Helm owning a drifted field.
	takenFrom []string
}

// checkAll compares every object, in parallel; the findings are in the
// manifest's order, nil for an object without drift.
func (c *driftChecker) checkAll(ctx context.Context, objects []*resource.Info) ([]*driftFinding, error) {
	findings := make([]*driftFinding, len(objects))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(diffWorkers)
	for i, info := range objects {
		g.Go(func() error {
			f, err := c.check(gctx, info)
			if err != nil {
				return fmt.Errorf("%s: %w", describeObject(info), err)
			}
			findings[i] = f
			return nil
		})
	}
	return findings, g.Wait()
}

// check compares one object: nil when it has not drifted.
func (c *driftChecker) check(ctx context.Context, info *resource.Info) (*driftFinding, error) {
	declared := info.Object.(*unstructured.Unstructured)
	f := &driftFinding{info: info, object: driftObject{
		APIVersion: declared.GetAPIVersion(),
		Kind:       declared.GetKind(),
		Namespace:  info.Namespace,
		Name:       info.Name,
		Fields:     []driftField{},
	}}
	live, err := getLive(ctx, info)
	if err != nil {
		return nil, err
	}
	if live == nil {
		f.object.State = driftDeleted
		return f, nil
	}
	f.live = live

	// The prediction of the request Helm sends: a forced server-side apply
	// with manager "helm" (forced so that a field another manager took
	// shows as drift instead of a conflict), or Helm's three-way merge
	// patch of the deployed object onto live. The three-way merge is used
	// for custom resources too: Helm's two-way patch of an object onto
	// itself is empty and would see no drift in them.
	strategy := applyStrategy{serverSide: c.serverSide, forceConflicts: true, threeWayMergeForUnstructured: !c.serverSide}
	predicted, _, err := predict(ctx, info, nil, live, strategy)
	if err != nil {
		return nil, err
	}
	declaredView, liveView := normaliseObject(predicted.Object), normaliseObject(live.Object)
	var leaves []driftLeaf
	diffTree(nil, declaredView, liveView, &leaves)
	if len(leaves) == 0 {
		return nil, nil
	}

	owners := parseOwnership(live)
	if isSecret(declared) && !c.showSecrets {
		declaredView, liveView = redactedSecret(declaredView), redactedSecret(liveView)
	}
	taken := map[string]bool{}
	for _, leaf := range leaves {
		path, complete := owners.resolve(leaf.segments, live.Object)
		managers := owners.ownersOf(path, complete)
		if c.ignored(managers) {
			f.spare = append(f.spare, path)
			continue
		}
		field := driftField{Path: jsonPointer(leaf.segments)}
		field.Declared, _ = valueAt(declaredView, leaf.segments)
		field.Live, _ = valueAt(liveView, leaf.segments)
		if len(managers) > 0 {
			field.Manager = managers[0]
		}
		for _, m := range managers {
			if m != helmFieldManager {
				taken[m] = true
			}
		}
		f.object.Fields = append(f.object.Fields, field)
	}
	if len(f.object.Fields) == 0 {
		return nil, nil // only fields the ignored managers own
	}
	f.object.State = driftChanged
	for m := range taken {
		f.takenFrom = append(f.takenFrom, m)
	}
	slices.Sort(f.takenFrom)
	return f, nil
}

// ignored tells whether the ignored managers alone own a drifted field.
// Alone: heal leaves the field out of what it applies, which must not drop
// any field Helm (or anyone else) owns at or below it (a list reported
// whole whose items Helm owns, say); and a field Helm still owns is
// Helm's to set.
func (c *driftChecker) ignored(managers []string) bool {
	if len(managers) == 0 {
		return false
	}
	for _, m := range managers {
		if !slices.Contains(c.ignore, m) {
			return false
		}
	}
	return true
}

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

// Secrets: a drifted value is reported as "REDACTED # (N bytes)" (its
// decoded length), as diff_redact.go does, unless show_secrets; the last
// applied configuration kubectl leaves in an annotation holds the values
// too. The drift is found on the real values and its values read from the
// redacted copies, which keep the same shape.

func isSecret(obj *unstructured.Unstructured) bool {
	gvk := obj.GroupVersionKind()
	return gvk.Group == "" && gvk.Kind == "Secret"
}

const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

func redactedSecret(obj map[string]any) map[string]any {
	out := runtime.DeepCopyJSON(obj)
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
			values[k] = redactedMark(n)
		}
	}
	if md, ok := out[metadataField].(map[string]any); ok {
		if annotations, ok := md[annotationsField].(map[string]any); ok {
			if v, ok := annotations[lastAppliedAnnotation]; ok {
				annotations[lastAppliedAnnotation] = redactedMark(len(fmt.Sprint(v)))
			}
		}
	}
	return out
}

func redactedMark(n int) string { return fmt.Sprintf("REDACTED # (%d bytes)", n) }
