package diff

import (
	"encoding/base64"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/helmfire/helmfire/go-shim/internal/redact"
)

// secretWithLastApplied is a Secret as `kubectl apply` leaves it: its
// values in data, and again, in clear, in the last-applied annotation.
func secretWithLastApplied(password string) *unstructured.Unstructured {
	applied := `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"ns"},"stringData":{"password":"` + password + `"}}`
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{
			"name": "db", "namespace": "ns",
			"annotations": map[string]any{redact.LastAppliedAnnotation: applied},
		},
		"data": map[string]any{"password": base64.StdEncoding.EncodeToString([]byte(password))},
	}}
}

// A Secret's values do not show in a diff, neither from its data nor from
// the last-applied-configuration annotation; a change still shows.
func TestChangeHidesSecretValuesAndTheLastAppliedAnnotation(t *testing.T) {
	live, next := secretWithLastApplied("hunter2-old"), secretWithLastApplied("hunter2-new")
	d := &differ{namespace: "ns", context: -1}
	change, err := d.change(live, actionUpdate, live.Object, next.Object, "")
	if err != nil || change == nil {
		t.Fatalf("change: %+v, %v", change, err)
	}
	for _, secret := range []string{"hunter2", base64.StdEncoding.EncodeToString([]byte("hunter2-old"))[:8]} {
		if strings.Contains(change.Diff, secret) {
			t.Errorf("the diff shows %q:\n%s", secret, change.Diff)
		}
	}
	for _, line := range []string{
		"-     kubectl.kubernetes.io/last-applied-configuration: '-------- # (117 bytes)'",
		"+     kubectl.kubernetes.io/last-applied-configuration: '++++++++ # (117 bytes)'",
		"-   password: '-------- # (11 bytes)'",
		"+   password: '++++++++ # (11 bytes)'",
	} {
		if !strings.Contains(change.Diff, line+"\n") {
			t.Errorf("the diff lacks %q:\n%s", line, change.Diff)
		}
	}

	// The same annotation on both sides is REDACTED, and not a change.
	same := secretWithLastApplied("hunter2-old")
	same.Object["data"] = next.Object["data"]
	change, err = d.change(live, actionUpdate, live.Object, same.Object, "")
	if err != nil || change == nil || !strings.Contains(change.Diff, "last-applied-configuration: 'REDACTED # (117 bytes)'") {
		t.Fatalf("unchanged annotation: %+v, %v", change, err)
	}

	// show_secrets shows everything.
	d.showSecrets = true
	change, err = d.change(live, actionCreate, nil, next.Object, "")
	if err != nil || !strings.Contains(change.Diff, `"password":"hunter2-new"`) {
		t.Fatalf("show secrets: %+v, %v", change, err)
	}
}

// The annotation holds a copy of any object: it is hidden whatever the
// kind, while the object's own fields show.
func TestChangeHidesTheLastAppliedAnnotationOfAnyObject(t *testing.T) {
	cm := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "cfg", "annotations": map[string]any{
			redact.LastAppliedAnnotation: `{"data":{"token":"abc123"}}`,
		}},
		"data": map[string]any{"token": "abc123"},
	}}
	change, err := (&differ{namespace: "ns", context: -1}).change(cm, actionCreate, nil, cm.Object, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(change.Diff, "last-applied-configuration: '++++++++ # (27 bytes)'") ||
		strings.Count(change.Diff, "abc123") != 1 || !strings.Contains(change.Diff, "+   token: abc123\n") {
		t.Errorf("diff:\n%s", change.Diff)
	}
}
