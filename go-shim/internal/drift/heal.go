package drift

import (
	"context"
	"errors"
	"log/slog"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/resource"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/helmfire/helmfire/go-shim/internal/diff"
)

// Heal applies the drifted objects of the deployed revision again, as
// Helm applied them:
//
//   - a release applied server-side: a server-side apply of the deployed
//     object with field manager "helm" and force, which sets the declared
//     values back, takes the drifted fields back from the managers that
//     changed them, and creates a deleted object;
//   - a release applied client-side (helm 3's way, kept by helm 4 for it):
//     Helm's own three-way merge patch of the deployed object onto live
//     (manager "helm"), or a create for a deleted object. A server-side
//     apply would leave the release's fields under two "helm" entries, an
//     Apply one and the Update ones of its next client-side upgrades.
//
// Fields an ignored manager owns are left out of what is applied, so heal
// does not take them back (an autoscaler keeps its replicas).

// healAll heals the findings one at a time in the manifest's order (Helm's
// install order: a Namespace or ServiceAccount before what uses it). An
// object that fails records its error and the others go on. ok is false
// when the call was cancelled before all were done.
func (c *driftChecker) healAll(ctx context.Context, findings []*driftFinding) (healed, total int, ok bool) {
	for _, f := range findings {
		if f != nil {
			total++
		}
	}
	for _, f := range findings {
		if f == nil {
			continue
		}
		if ctx.Err() != nil {
			return healed, total, false
		}
		err := c.heal(ctx, f)
		switch {
		case err != nil && ctx.Err() != nil:
			return healed, total, false
		case err != nil:
			f.object.HealError = err.Error()
			slog.Debug("drift heal failed", "object", diff.DescribeObject(f.info), "error", err)
		default:
			healed++
			f.object.Healed = true
			f.object.TakenFrom = f.takenFrom
			slog.Debug("drift healed", "object", diff.DescribeObject(f.info), "state", f.object.State, "taken_from", f.takenFrom)
		}
	}
	return healed, total, true
}

func (c *driftChecker) heal(ctx context.Context, f *driftFinding) error {
	declared, err := diff.Object(f.info)
	if err != nil {
		return err
	}
	obj := declared.DeepCopy()
	for _, path := range f.spare {
		if stripped, ok := stripField(obj.Object, path).(map[string]any); ok {
			obj.Object = stripped
		}
	}
	target := *f.info
	target.Object = obj

	if c.serverSide {
		body, err := runtime.Encode(unstructured.UnstructuredJSONScheme, obj)
		if err != nil {
			return err
		}
		force := true
		return sendPatch(ctx, &target, types.ApplyPatchType, body, &metav1.PatchOptions{
			FieldManager: diff.HelmFieldManager, Force: &force, FieldValidation: diff.FieldValidationStrict,
		})
	}
	if f.live == nil {
		return createObject(ctx, &target)
	}
	patch, patchType, err := diff.ClientSidePatch(obj, &target, f.live, true)
	if err != nil {
		return err
	}
	if len(patch) == 0 || string(patch) == "{}" {
		return errors.New("the patch that would heal it is empty")
	}
	return sendPatch(ctx, &target, patchType, patch, &metav1.PatchOptions{FieldManager: diff.HelmFieldManager})
}

func sendPatch(ctx context.Context, info *resource.Info, patchType types.PatchType, body []byte, opts *metav1.PatchOptions) error {
	return info.Client.Patch(patchType).
		NamespaceIfScoped(info.Namespace, info.Namespaced()).
		Resource(info.Mapping.Resource.Resource).
		Name(info.Name).
		VersionedParams(opts, metav1.ParameterCodec).
		Body(body).Do(ctx).Error()
}

// createObject is Helm's client-side create (pkg/kube createResource).
func createObject(ctx context.Context, info *resource.Info) error {
	body, err := runtime.Encode(unstructured.UnstructuredJSONScheme, info.Object)
	if err != nil {
		return err
	}
	return info.Client.Post().
		NamespaceIfScoped(info.Namespace, info.Namespaced()).
		Resource(info.Mapping.Resource.Resource).
		VersionedParams(&metav1.CreateOptions{FieldManager: diff.HelmFieldManager}, metav1.ParameterCodec).
		Body(body).Do(ctx).Error()
}

// stripField removes the field at path from an object (a JSON tree), list
// items found as the field sets name them. A path the object lacks leaves
// it as it is.
func stripField(v any, path fieldpath.Path) any {
	if len(path) == 0 {
		return v
	}
	pe := path[0]
	switch c := v.(type) {
	case map[string]any:
		if pe.FieldName == nil {
			return v
		}
		name := *pe.FieldName
		if len(path) == 1 {
			delete(c, name)
		} else if child, ok := c[name]; ok {
			c[name] = stripField(child, path[1:])
		}
		return c
	case []any:
		for i, item := range c {
			if !elementMatches(pe, item, i) {
				continue
			}
			if len(path) == 1 {
				return append(c[:i:i], c[i+1:]...)
			}
			c[i] = stripField(item, path[1:])
			return c
		}
	}
	return v
}
