package diff

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/resource"
	"sigs.k8s.io/yaml"

	"helm.sh/helm/v4/pkg/kube"
)

// Helm's ownership metadata (pkg/action/validate.go, setMetadataVisitor).
const (
	helmManagedByLabel       = "app.kubernetes.io/managed-by"
	helmReleaseNameAnno      = "meta.helm.sh/release-name"
	helmReleaseNamespaceAnno = "meta.helm.sh/release-namespace"
	deploymentRevisionAnno   = "deployment.kubernetes.io/revision"
	// HelmFieldManager is the field manager Helm applies with
	// (kube.ManagedFieldsManager, set in internal/kube).
	HelmFieldManager = "helm"
	// FieldValidationStrict is the validation Helm's server-side apply asks for.
	FieldValidationStrict = "Strict"
	metadataField         = "metadata"
	annotationsField      = "annotations"
	labelsField           = "labels"
)

// SetHelmMetadata adds what Helm adds to every object it applies: the
// managed-by label and the release annotations.
func SetHelmMetadata(obj *unstructured.Unstructured, releaseName, releaseNamespace string) {
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

// Normalise is a copy of an object without what the server or Helm
// maintains and helm-diff leaves out (manifest/util.go,
// deleteStatusAndTidyMetadata): status, managedFields, generation,
// creationTimestamp, resourceVersion, uid, Helm's release annotations and
// managed-by label, and the Deployment revision annotation.
func Normalise(obj map[string]any) map[string]any {
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

// GetLive reads an object from the cluster; nil when it does not exist.
func GetLive(ctx context.Context, info *resource.Info) (*unstructured.Unstructured, error) {
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

// Object is the object of a resource built by Helm's kube client, which
// builds unstructured objects; anything else is an error, not a panic.
func Object(info *resource.Info) (*unstructured.Unstructured, error) {
	u, ok := info.Object.(*unstructured.Unstructured)
	if !ok {
		return nil, fmt.Errorf("%s: the kube client built a %T, not an unstructured object", DescribeObject(info), info.Object)
	}
	return u, nil
}
