package diff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	apiextv1beta1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1beta1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/jsonmergepatch"
	"k8s.io/apimachinery/pkg/util/mergepatch"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/cli-runtime/pkg/resource"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"helm.sh/helm/v4/pkg/kube"
)

// ApplyStrategy is how the upgrade would write an existing object
// (pkg/kube/client.go, Update).
type ApplyStrategy struct {
	ServerSide     bool // server-side apply, else a client-side patch
	ForceReplace   bool // --force: PUT the object
	ForceConflicts bool // server-side apply with force
	// ThreeWayMergeForUnstructured is Install's take-ownership choice for
	// custom resources on client-side apply.
	ThreeWayMergeForUnstructured bool
	// UpgradeClientSideFieldManager: before its server-side apply the
	// upgrade hands the fields "helm" owns by client-side apply to its
	// server-side apply, so conflicts with that manager are not real.
	UpgradeClientSideFieldManager bool
}

// Predict asks the API server what the object would become, with a dry run
// of the request the upgrade would send. Nothing is written: every request
// carries dryRun=All. conflict is set when a server-side apply without force
// (what the upgrade sends) would be refused; the prediction is then the
// forced apply's.
func Predict(ctx context.Context, info, original *resource.Info, live *unstructured.Unstructured, strategy ApplyStrategy) (predicted *unstructured.Unstructured, conflict string, err error) {
	switch {
	case strategy.ForceReplace:
		desired, err := Object(info)
		if err != nil {
			return nil, "", err
		}
		obj := desired.DeepCopy()
		obj.SetResourceVersion(live.GetResourceVersion())
		body, err := runtime.Encode(unstructured.UnstructuredJSONScheme, obj)
		if err != nil {
			return nil, "", err
		}
		result, err := info.Client.Put().
			NamespaceIfScoped(info.Namespace, info.Namespaced()).
			Resource(info.Mapping.Resource.Resource).
			Name(info.Name).
			VersionedParams(&metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}, FieldManager: HelmFieldManager}, metav1.ParameterCodec).
			Body(body).Do(ctx).Get()
		return unstructuredResult(result, err)

	case strategy.ServerSide && !strategy.UpgradeClientSideFieldManager:
		body, err := runtime.Encode(unstructured.UnstructuredJSONScheme, info.Object)
		if err != nil {
			return nil, "", err
		}
		result, err := dryRunPatch(ctx, info, types.ApplyPatchType, body, &strategy.ForceConflicts, FieldValidationStrict)
		if apierrors.IsConflict(err) && !strategy.ForceConflicts {
			conflict = err.Error()
			force := true
			result, err = dryRunPatch(ctx, info, types.ApplyPatchType, body, &force, FieldValidationStrict)
		}
		predicted, _, err := unstructuredResult(result, err)
		return predicted, conflict, err

	case strategy.ServerSide:
		// A client-side release moving to server-side apply: Helm first
		// hands the fields its client-side apply owns to its server-side
		// apply (csaupgrade), then applies. A dry run cannot chain the two,
		// and a bare apply would keep the fields the chart dropped; the
		// three-way merge predicts the result (the fields Helm set, now
		// owned by its apply, and the chart's), and a non-forced apply tells
		// the conflicts with other managers.
		body, err := runtime.Encode(unstructured.UnstructuredJSONScheme, info.Object)
		if err != nil {
			return nil, "", err
		}
		_, err = dryRunPatch(ctx, info, types.ApplyPatchType, body, &strategy.ForceConflicts, FieldValidationStrict)
		switch {
		case apierrors.IsConflict(err):
			if !onlyHelmConflicts(err) {
				conflict = err.Error()
			}
		case err != nil:
			return nil, "", err
		}
		predicted, err := clientSidePrediction(ctx, info, original, live, strategy)
		return predicted, conflict, err

	default:
		predicted, err := clientSidePrediction(ctx, info, original, live, strategy)
		return predicted, "", err
	}
}

// clientSidePrediction is the dry run of Helm's client-side apply patch.
func clientSidePrediction(ctx context.Context, info, original *resource.Info, live *unstructured.Unstructured, strategy ApplyStrategy) (*unstructured.Unstructured, error) {
	if original == nil {
		original = info // an adopted object: Helm's original is the target
	}
	patch, patchType, err := ClientSidePatch(original.Object, info, live, strategy.ThreeWayMergeForUnstructured)
	if err != nil {
		return nil, err
	}
	if len(patch) == 0 || string(patch) == "{}" {
		return live, nil
	}
	result, err := dryRunPatch(ctx, info, patchType, patch, nil, "")
	predicted, _, err := unstructuredResult(result, err)
	return predicted, err
}

// onlyHelmConflicts tells whether an apply conflict is with the field
// manager "helm" alone (its client-side apply entries).
func onlyHelmConflicts(err error) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return false
	}
	details := status.Status().Details
	if details == nil || len(details.Causes) == 0 {
		return false
	}
	for _, cause := range details.Causes {
		manager := strings.TrimPrefix(cause.Message, "conflict with ")
		if cause.Type != metav1.CauseTypeFieldManagerConflict ||
			(manager != `"`+HelmFieldManager+`"` && !strings.HasPrefix(manager, `"`+HelmFieldManager+`" `)) {
			return false
		}
	}
	return true
}

func dryRunPatch(ctx context.Context, info *resource.Info, patchType types.PatchType, body []byte, force *bool, validation string) (runtime.Object, error) {
	opts := &metav1.PatchOptions{
		DryRun:          []string{metav1.DryRunAll},
		FieldManager:    HelmFieldManager,
		Force:           force,
		FieldValidation: validation,
	}
	return info.Client.Patch(patchType).
		NamespaceIfScoped(info.Namespace, info.Namespaced()).
		Resource(info.Mapping.Resource.Resource).
		Name(info.Name).
		VersionedParams(opts, metav1.ParameterCodec).
		Body(body).Do(ctx).Get()
}

func unstructuredResult(obj runtime.Object, err error) (*unstructured.Unstructured, string, error) {
	if err != nil {
		return nil, "", err
	}
	u, err := asUnstructured(obj)
	return u, "", err
}

// ClientSidePatch is the patch Helm's client-side apply sends
// (pkg/kube/client.go, createPatch): a three-way strategic merge of the
// original manifest, the target and the live object, or a JSON merge patch
// for custom resources.
func ClientSidePatch(original runtime.Object, target *resource.Info, live *unstructured.Unstructured, threeWayMergeForUnstructured bool) ([]byte, types.PatchType, error) {
	oldData, err := json.Marshal(original)
	if err != nil {
		return nil, types.StrategicMergePatchType, fmt.Errorf("serializing current configuration: %w", err)
	}
	newData, err := json.Marshal(target.Object)
	if err != nil {
		return nil, types.StrategicMergePatchType, fmt.Errorf("serializing target configuration: %w", err)
	}
	currentData, err := json.Marshal(live)
	if err != nil {
		return nil, types.StrategicMergePatchType, fmt.Errorf("serializing live configuration: %w", err)
	}
	versioned := kube.AsVersioned(target)
	_, isUnstructured := versioned.(runtime.Unstructured)
	_, isCRD := versioned.(*apiextv1beta1.CustomResourceDefinition)
	if isUnstructured || isCRD {
		if threeWayMergeForUnstructured {
			patch, err := jsonmergepatch.CreateThreeWayJSONMergePatch(oldData, newData, currentData,
				mergepatch.RequireKeyUnchanged("apiVersion"), mergepatch.RequireKeyUnchanged("kind"), mergepatch.RequireMetadataKeyUnchanged("name"))
			return patch, types.MergePatchType, err
		}
		patch, err := jsonpatch.CreateMergePatch(oldData, newData)
		return patch, types.MergePatchType, err
	}
	meta, err := strategicpatch.NewPatchMetaFromStruct(versioned)
	if err != nil {
		return nil, types.StrategicMergePatchType, fmt.Errorf("unable to create patch metadata from object: %w", err)
	}
	patch, err := strategicpatch.CreateThreeWayMergePatch(oldData, newData, currentData, meta, true)
	return patch, types.StrategicMergePatchType, err
}
