package diff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/resource"

	helmkube "helm.sh/helm/v4/pkg/kube"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"

	"github.com/helmfire/helmfire/go-shim/internal/kube"
	"github.com/helmfire/helmfire/go-shim/internal/redact"
	"github.com/helmfire/helmfire/go-shim/internal/release"
	"github.com/helmfire/helmfire/go-shim/internal/safe"
)

// differ compares one release's objects with the cluster.
type differ struct {
	s           *kube.Session
	release     string
	namespace   string
	strategy    ApplyStrategy
	context     int
	showSecrets bool
	stripCR     bool
	proofs      *proofs
}

func (d *differ) run(ctx context.Context, rel *releasev1.Release, exists bool, last *releasev1.Release, includeTests bool) (*Result, error) {
	desired, err := d.s.Config.KubeClient.Build(bytes.NewBufferString(rel.Manifest), false)
	if err != nil {
		return nil, fmt.Errorf("unable to build kubernetes objects from new release manifest: %w", err)
	}
	for _, info := range desired {
		if u, ok := info.Object.(*unstructured.Unstructured); ok {
			SetHelmMetadata(u, d.release, d.namespace)
		}
	}

	// The objects the upgrade starts from: the deployed revision's manifest
	// (Upgrade's currentRelease); an Install starts from nothing.
	var current *releasev1.Release
	var originals helmkube.ResourceList
	if exists {
		if current, err = release.UpgradeBase(d.s, d.release, last); err != nil {
			return nil, err
		}
		originals, err = d.s.Config.KubeClient.Build(bytes.NewBufferString(current.Manifest), false)
		if err != nil {
			return nil, fmt.Errorf("unable to build kubernetes objects from current release manifest: %w", err)
		}
		// pkg/action upgrade.go: the field manager is upgraded to
		// server-side apply when a client-side release moves to it.
		d.strategy.UpgradeClientSideFieldManager = d.strategy.ServerSide &&
			(current.ApplyMethod == "" || current.ApplyMethod == string(releasev1.ApplyMethodClientSideApply))
	} else {
		// pkg/action install.go: adopted objects always get it.
		d.strategy.UpgradeClientSideFieldManager = d.strategy.ServerSide
	}
	var removed helmkube.ResourceList
	for _, info := range originals {
		if findObject(desired, info) == nil {
			removed = append(removed, info)
		}
	}

	outcomes := make([]*Change, len(desired)+len(removed))
	g, gctx := safe.WithContext(ctx)
	g.SetLimit(Workers)
	for i, info := range desired {
		g.Go(func() error {
			change, err := d.compare(gctx, info, findObject(originals, info))
			if err != nil {
				return fmt.Errorf("%s: %w", DescribeObject(info), err)
			}
			outcomes[i] = change
			return nil
		})
	}
	for i, info := range removed {
		g.Go(func() error {
			change, err := d.deletion(gctx, info)
			if err != nil {
				return fmt.Errorf("%s: %w", DescribeObject(info), err)
			}
			outcomes[len(desired)+i] = change
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	d.proofs.save()

	result := &Result{Release: d.release, Namespace: d.namespace, Exists: exists, Changes: []Change{}}
	for i, change := range outcomes {
		switch {
		case change != nil:
			result.Changes = append(result.Changes, *change)
		case i < len(desired):
			result.Unchanged++
		}
	}
	if includeTests {
		if err := d.diffTestHooks(result, rel, current); err != nil {
			return nil, err
		}
	}
	sortChanges(result.Changes)
	return result, nil
}

// sortChanges is helm-diff's order: changed objects, then removed, then
// added, each by "NAMESPACE, NAME, KIND (GROUP)".
func sortChanges(changes []Change) {
	rank := map[string]int{actionUpdate: 0, actionDelete: 1, actionCreate: 2}
	slices.SortStableFunc(changes, func(a, b Change) int {
		if rank[a.Action] != rank[b.Action] {
			return rank[a.Action] - rank[b.Action]
		}
		return strings.Compare(a.key, b.key)
	})
}

// compare is one desired object: nil when the upgrade would not change it.
func (d *differ) compare(ctx context.Context, info, original *resource.Info) (*Change, error) {
	desired, err := Object(info)
	if err != nil {
		return nil, err
	}
	live, err := GetLive(ctx, info)
	if err != nil {
		return nil, err
	}
	if live == nil {
		return d.change(desired, actionCreate, nil, desired.Object, "")
	}
	if d.strategy.ForceReplace && d.strategy.ServerSide {
		// pkg/kube Update refuses the combination before touching anything.
		return nil, errors.New("the upgrade would fail: invalid operation: cannot use server-side apply and force replace together")
	}
	proof := d.proofs.key(info, original, live, d.strategy, d.stripCR)
	if d.proofs.holds(proof) {
		return nil, nil
	}
	predicted, conflict, err := Predict(ctx, info, original, live, d.strategy)
	if err != nil {
		return nil, err
	}
	change, err := d.change(live, actionUpdate, live.Object, predicted.Object, conflict)
	if err == nil && change == nil {
		d.proofs.add(proof)
	}
	return change, err
}

// deletion is one object of the current revision the new one lacks: the
// upgrade deletes it unless it is gone already or annotated
// helm.sh/resource-policy: keep (read from the live object, as Helm does).
func (d *differ) deletion(ctx context.Context, info *resource.Info) (*Change, error) {
	live, err := GetLive(ctx, info)
	if err != nil || live == nil {
		return nil, err
	}
	if live.GetAnnotations()[helmkube.ResourcePolicyAnno] == helmkube.KeepPolicy {
		return nil, nil
	}
	return d.change(live, actionDelete, live.Object, nil, "")
}

// change renders a change, nil when the normalised objects are the same.
func (d *differ) change(ref *unstructured.Unstructured, action string, before, after map[string]any, conflict string) (*Change, error) {
	var old, new map[string]any
	if before != nil {
		old = Normalise(before)
	}
	if after != nil {
		new = Normalise(after)
	}
	oldYAML, err := objectYAML(old)
	if err != nil {
		return nil, err
	}
	newYAML, err := objectYAML(new)
	if err != nil {
		return nil, err
	}
	if d.stripCR {
		oldYAML, newYAML = stripTrailingCR(oldYAML), stripTrailingCR(newYAML)
	}
	if action == actionUpdate && oldYAML == newYAML {
		return nil, nil
	}
	gvk := ref.GroupVersionKind()
	if !d.showSecrets {
		// Found on the real values, shown on the hidden ones: a changed
		// secret still shows as changed (redact.Pair's marks).
		redact.Pair(old, new, redact.IsSecret(gvk.Group, gvk.Kind))
		if oldYAML, err = objectYAML(old); err != nil {
			return nil, err
		}
		if newYAML, err = objectYAML(new); err != nil {
			return nil, err
		}
		if d.stripCR {
			oldYAML, newYAML = stripTrailingCR(oldYAML), stripTrailingCR(newYAML)
		}
	}
	key := changeKey(ref.GetNamespace(), ref.GetName(), gvk.Kind, ref.GetAPIVersion(), d.namespace)
	verb := map[string]string{actionCreate: "has been added:", actionUpdate: "has changed:", actionDelete: "has been removed:"}[action]
	return &Change{
		Kind:       gvk.Kind,
		APIVersion: ref.GetAPIVersion(),
		Namespace:  ref.GetNamespace(),
		Name:       ref.GetName(),
		Action:     action,
		Diff:       changeText(key+" "+verb, oldYAML, newYAML, d.context),
		Conflict:   conflict,
		key:        key,
	}, nil
}

// DescribeObject names an object in messages: kind, name and namespace.
func DescribeObject(info *resource.Info) string {
	kind := info.Mapping.GroupVersionKind.Kind
	if info.Namespace == "" {
		return fmt.Sprintf("%s %q", kind, info.Name)
	}
	return fmt.Sprintf("%s %q in namespace %q", kind, info.Name, info.Namespace)
}
