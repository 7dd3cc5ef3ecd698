package main

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
	"sigs.k8s.io/yaml"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"helm.sh/helm/v4/pkg/kube"
)

// Helm's ownership metadata (pkg/action/validate.go, setMetadataVisitor).
const (
	helmManagedByLabel       = "app.kubernetes.io/managed-by"
	helmReleaseNameAnno      = "meta.helm.sh/release-name"
	helmReleaseNamespaceAnno = "meta.helm.sh/release-namespace"
	deploymentRevisionAnno   = "deployment.kubernetes.io/revision"
	helmFieldManager         = "helm" // kube.ManagedFieldsManager, kubeinit.go
	fieldValidationStrict    = "Strict"
	metadataField            = "metadata"
	annotationsField         = "annotations"
	labelsField              = "labels"
)

// setHelmMetadata adds what Helm adds to every object it applies: the
// managed-by label and the release annotations.
func setHelmMetadata(obj *unstructured.Unstructured, releaseName, releaseNamespace string) {
	labels := obj.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[helmManagedByLabel] = "Helm"
	obj.SetLabels(labels)
	annotations := obj.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[helmReleaseNameAnno] = releaseName
	annotations[helmReleaseNamespaceAnno] = releaseNamespace
	obj.SetAnnotations(annotations)
}

// normaliseObject is a copy of an object without what the server or Helm
// maintains and helm-diff leaves out (manifest/util.go,
// deleteStatusAndTidyMetadata): status, managedFields, generation,
// creationTimestamp, resourceVersion, uid, Helm's release annotations and
// managed-by label, and the Deployment revision annotation.
func normaliseObject(obj map[string]any) map[string]any {
	out := runtime.DeepCopyJSON(obj)
	delete(out, "status")
	md, ok := out[metadataField].(map[string]any)
	if !ok {
		return out
	}
	for _, field := range []string{"managedFields", "generation", "creationTimestamp", "resourceVersion", "uid"} {
		delete(md, field)
	}
	pruneStringMap(md, annotationsField, helmReleaseNameAnno, helmReleaseNamespaceAnno, deploymentRevisionAnno)
	pruneStringMap(md, labelsField, helmManagedByLabel)
	return out
}

func pruneStringMap(md map[string]any, field string, keys ...string) {
	m, ok := md[field].(map[string]any)
	if !ok {
		if md[field] == nil {
			delete(md, field)
		}
		return
	}
	for _, k := range keys {
		delete(m, k)
	}
	if len(m) == 0 {
		delete(md, field)
	}
}

// objectYAML is the YAML helm-diff's three-way mode prints (sigs.k8s.io/yaml:
// keys sorted).
func objectYAML(obj map[string]any) (string, error) {
	if obj == nil {
		return "", nil
	}
	out, err := yaml.Marshal(obj)
	return string(out), err
}

// apiGroupOf is helm-diff's "API base": the apiVersion without its version
// ("apps", "v1" for the core group).
func apiGroupOf(apiVersion string) string {
	if i := strings.LastIndex(apiVersion, "/"); i >= 0 {
		return apiVersion[:i]
	}
	return apiVersion
}

// changeKey is helm-diff's name of an object, "NAMESPACE, NAME, KIND (GROUP)";
// cluster-scoped objects get the release namespace as in helm-diff.
func changeKey(namespace, name, kind, apiVersion, releaseNamespace string) string {
	if namespace == "" {
		namespace = releaseNamespace
	}
	return fmt.Sprintf("%s, %s, %s (%s)", namespace, name, kind, apiGroupOf(apiVersion))
}

// sameObject is Helm's isMatchingInfo: name, namespace, group and kind.
func sameObject(a, b *resource.Info) bool {
	return a.Name == b.Name && a.Namespace == b.Namespace &&
		a.Mapping.GroupVersionKind.GroupKind() == b.Mapping.GroupVersionKind.GroupKind()
}

func findObject(list kube.ResourceList, info *resource.Info) *resource.Info {
	for _, candidate := range list {
		if sameObject(candidate, info) {
			return candidate
		}
	}
	return nil
}

// applyStrategy is how the upgrade would write an existing object
// (pkg/kube/client.go, Update).
type applyStrategy struct {
	serverSide     bool // server-side apply, else a client-side patch
	forceReplace   bool // --force: PUT the object
	forceConflicts bool // server-side apply with force
	// threeWayMergeForUnstructured is Install's take-ownership choice for
	// custom resources on client-side apply.
	threeWayMergeForUnstructured bool
	// upgradeClientSideFieldManager: before its server-side apply the
	// upgrade hands the fields "helm" owns by client-side apply to its
	// server-side apply, so conflicts with that manager are not real.
	upgradeClientSideFieldManager bool
}

// getLive reads an object from the cluster; nil when it does not exist.
func getLive(ctx context.Context, info *resource.Info) (*unstructured.Unstructured, error) {
	obj, err := info.Client.Get().
		NamespaceIfScoped(info.Namespace, info.Namespaced()).
		Resource(info.Mapping.Resource.Resource).
		Name(info.Name).
		Do(ctx).Get()
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return asUnstructured(obj)
}

func asUnstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	if u, ok := obj.(*unstructured.Unstructured); ok {
		return u, nil
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	return &unstructured.Unstructured{Object: content}, nil
}

// predict asks the API server what the object would become, with a dry run
// of the request the upgrade would send. Nothing is written: every request
// carries dryRun=All. conflict is set when a server-side apply without force
// (what the upgrade sends) would be refused; the prediction is then the
// forced apply's.
func predict(ctx context.Context, info, original *resource.Info, live *unstructured.Unstructured, strategy applyStrategy) (predicted *unstructured.Unstructured, conflict string, err error) {
	switch {
	case strategy.forceReplace:
		obj := info.Object.(*unstructured.Unstructured).DeepCopy()
		obj.SetResourceVersion(live.GetResourceVersion())
		body, err := runtime.Encode(unstructured.UnstructuredJSONScheme, obj)
		if err != nil {
			return nil, "", err
		}
		result, err := info.Client.Put().
			NamespaceIfScoped(info.Namespace, info.Namespaced()).
			Resource(info.Mapping.Resource.Resource).
			Name(info.Name).
			VersionedParams(&metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}, FieldManager: helmFieldManager}, metav1.ParameterCodec).
			Body(body).Do(ctx).Get()
		return unstructuredResult(result, err)

	case strategy.serverSide && !strategy.upgradeClientSideFieldManager:
		body, err := runtime.Encode(unstructured.UnstructuredJSONScheme, info.Object)
		if err != nil {
			return nil, "", err
		}
		result, err := dryRunPatch(ctx, info, types.ApplyPatchType, body, &strategy.forceConflicts, fieldValidationStrict)
		if apierrors.IsConflict(err) && !strategy.forceConflicts {
			conflict = err.Error()
			force := true
			result, err = dryRunPatch(ctx, info, types.ApplyPatchType, body, &force, fieldValidationStrict)
		}
		predicted, _, err := unstructuredResult(result, err)
		return predicted, conflict, err

	case strategy.serverSide:
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
		_, err = dryRunPatch(ctx, info, types.ApplyPatchType, body, &strategy.forceConflicts, fieldValidationStrict)
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
func clientSidePrediction(ctx context.Context, info, original *resource.Info, live *unstructured.Unstructured, strategy applyStrategy) (*unstructured.Unstructured, error) {
	if original == nil {
		original = info // an adopted object: Helm's original is the target
	}
	patch, patchType, err := clientSidePatch(original.Object, info, live, strategy.threeWayMergeForUnstructured)
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
			(manager != `"`+helmFieldManager+`"` && !strings.HasPrefix(manager, `"`+helmFieldManager+`" `)) {
			return false
		}
	}
	return true
}

func dryRunPatch(ctx context.Context, info *resource.Info, patchType types.PatchType, body []byte, force *bool, validation string) (runtime.Object, error) {
	opts := &metav1.PatchOptions{
		DryRun:          []string{metav1.DryRunAll},
		FieldManager:    helmFieldManager,
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

// clientSidePatch is the patch Helm's client-side apply sends
// (pkg/kube/client.go, createPatch): a three-way strategic merge of the
// original manifest, the target and the live object, or a JSON merge patch
// for custom resources.
func clientSidePatch(original runtime.Object, target *resource.Info, live *unstructured.Unstructured, threeWayMergeForUnstructured bool) ([]byte, types.PatchType, error) {
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
