package drift

import (
	"context"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/resource"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/helmfire/helmfire/go-shim/internal/diff"
	"github.com/helmfire/helmfire/go-shim/internal/kube"
	"github.com/helmfire/helmfire/go-shim/internal/redact"
	"github.com/helmfire/helmfire/go-shim/internal/safe"
)

// driftChecker compares one release's objects with the cluster.
type driftChecker struct {
	s           *kube.Session
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
	object Object
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
	g, gctx := safe.WithContext(ctx)
	g.SetLimit(diff.Workers)
	for i, info := range objects {
		g.Go(func() error {
			f, err := c.check(gctx, info)
			if err != nil {
				return fmt.Errorf("%s: %w", diff.DescribeObject(info), err)
			}
			findings[i] = f
			return nil
		})
	}
	return findings, g.Wait()
}

// check compares one object: nil when it has not drifted.
func (c *driftChecker) check(ctx context.Context, info *resource.Info) (*driftFinding, error) {
	declared, err := diff.Object(info)
	if err != nil {
		return nil, err
	}
	f := &driftFinding{info: info, object: Object{
		APIVersion: declared.GetAPIVersion(),
		Kind:       declared.GetKind(),
		Namespace:  info.Namespace,
		Name:       info.Name,
		Fields:     []Field{},
	}}
	live, err := diff.GetLive(ctx, info)
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
	strategy := diff.ApplyStrategy{ServerSide: c.serverSide, ForceConflicts: true, ThreeWayMergeForUnstructured: !c.serverSide}
	predicted, _, err := diff.Predict(ctx, info, nil, live, strategy)
	if err != nil {
		return nil, err
	}
	declaredView, liveView := diff.Normalise(predicted.Object), diff.Normalise(live.Object)
	var leaves []driftLeaf
	diffTree(nil, declaredView, liveView, &leaves)
	if len(leaves) == 0 {
		return nil, nil
	}

	owners := parseOwnership(live)
	if !c.showSecrets {
		// The drift is found on the real values and its values read from
		// the redacted copies, which keep the same shape (redact.Object).
		gvk := declared.GroupVersionKind()
		secret := redact.IsSecret(gvk.Group, gvk.Kind)
		declaredView, liveView = redact.Object(declaredView, secret), redact.Object(liveView, secret)
	}
	taken := map[string]bool{}
	for _, leaf := range leaves {
		path, complete := owners.resolve(leaf.segments, live.Object)
		managers := owners.ownersOf(path, complete)
		if c.ignored(managers) {
			f.spare = append(f.spare, path)
			continue
		}
		field := Field{Path: jsonPointer(leaf.segments)}
		field.Declared, _ = valueAt(declaredView, leaf.segments)
		field.Live, _ = valueAt(liveView, leaf.segments)
		if len(managers) > 0 {
			field.Manager = managers[0]
		}
		for _, m := range managers {
			if m != diff.HelmFieldManager {
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
