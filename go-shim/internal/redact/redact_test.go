package redact

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func decodeJSONMap(t *testing.T, doc string) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal([]byte(doc), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestPairRedactsSecretsAsHelmDiff(t *testing.T) {
	old := decodeJSONMap(t, `{"kind": "Secret", "data": {"same": "`+b64("unchanged")+`", "changed": "`+b64("old-value")+`", "gone": "`+b64("x")+`"}}`)
	new := decodeJSONMap(t, `{"kind": "Secret", "data": {"same": "`+b64("unchanged")+`", "changed": "`+b64("new-value!")+`"},
		"stringData": {"added": "plain"}}`)
	Pair(old, new, true)
	wantOld := map[string]any{"same": "REDACTED # (9 bytes)", "changed": "-------- # (9 bytes)", "gone": "-------- # (1 bytes)"}
	wantNew := map[string]any{"same": "REDACTED # (9 bytes)", "changed": "++++++++ # (10 bytes)", "added": "++++++++ # (5 bytes)"}
	if !reflect.DeepEqual(old["data"], wantOld) {
		t.Errorf("old: %v", old["data"])
	}
	if !reflect.DeepEqual(new["data"], wantNew) || new["stringData"] != nil {
		t.Errorf("new: %v", new)
	}

	// A created Secret: every value is new.
	created := decodeJSONMap(t, `{"kind": "Secret", "data": {"k": "`+b64("secret")+`"}}`)
	Pair(nil, created, true)
	if !reflect.DeepEqual(created["data"], map[string]any{"k": "++++++++ # (6 bytes)"}) {
		t.Errorf("created: %v", created["data"])
	}
	// stringData overrides data of the same key, as the API server does.
	both := decodeJSONMap(t, `{"kind": "Secret", "data": {"k": "`+b64("from-data")+`"}, "stringData": {"k": "sd"}}`)
	if got := SecretData(both); string(got["k"]) != "sd" {
		t.Errorf("stringData precedence: %q", got["k"])
	}
	// A Secret without data stays without.
	empty := map[string]any{"kind": "Secret"}
	Pair(empty, nil, true)
	if _, ok := empty["data"]; ok {
		t.Errorf("empty: %v", empty)
	}
	// Not a Secret: data is left alone.
	cm := decodeJSONMap(t, `{"kind": "ConfigMap", "data": {"k": "visible"}}`)
	Pair(cm, nil, false)
	if !reflect.DeepEqual(cm["data"], map[string]any{"k": "visible"}) {
		t.Errorf("configmap: %v", cm)
	}
}

// kubectl apply leaves the whole object, values included, in an annotation:
// it is hidden on any object, marked as changed when it changed.
func TestPairRedactsTheLastAppliedAnnotation(t *testing.T) {
	applied := `{"apiVersion":"v1","kind":"Secret","stringData":{"password":"hunter2"}}`
	objectWith := func(kind, value string) map[string]any {
		return map[string]any{"kind": kind, "metadata": map[string]any{
			"name": "s", "annotations": map[string]any{LastAppliedAnnotation: value, "team": "a"},
		}}
	}
	annotation := func(obj map[string]any) any {
		return obj["metadata"].(map[string]any)["annotations"].(map[string]any)[LastAppliedAnnotation]
	}
	for _, kind := range []string{"Secret", "ConfigMap"} {
		old, new := objectWith(kind, applied), objectWith(kind, applied)
		Pair(old, new, kind == "Secret")
		n := len(applied)
		if annotation(old) != Mark(n) || annotation(new) != Mark(n) {
			t.Errorf("%s unchanged: %v / %v", kind, annotation(old), annotation(new))
		}
		if old["metadata"].(map[string]any)["annotations"].(map[string]any)["team"] != "a" {
			t.Errorf("%s: other annotations stay", kind)
		}
	}
	old, new := objectWith("Secret", applied), objectWith("Secret", `{"stringData":{"password":"x"}}`)
	Pair(old, new, true)
	if annotation(old) != "-------- # (71 bytes)" || annotation(new) != "++++++++ # (31 bytes)" {
		t.Errorf("changed: %v / %v", annotation(old), annotation(new))
	}
	created := objectWith("Secret", applied)
	Pair(nil, created, true)
	if annotation(created) != "++++++++ # (71 bytes)" {
		t.Errorf("created: %v", annotation(created))
	}
}

func TestObjectRedactsOneVersion(t *testing.T) {
	secret := decodeJSONMap(t, `{"kind": "Secret",
		"metadata": {"name": "s", "annotations": {"`+LastAppliedAnnotation+`": "{\"data\":{}}"}},
		"data": {"k": "`+b64("secret")+`", "raw": "not base64!"}, "stringData": {"p": "plain"}}`)
	got := Object(secret, true)
	want := decodeJSONMap(t, `{"kind": "Secret",
		"metadata": {"name": "s", "annotations": {"`+LastAppliedAnnotation+`": "REDACTED # (11 bytes)"}},
		"data": {"k": "REDACTED # (6 bytes)", "raw": "REDACTED # (11 bytes)"}, "stringData": {"p": "REDACTED # (5 bytes)"}}`)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	if secret["data"].(map[string]any)["k"] != b64("secret") {
		t.Error("the input was modified")
	}
	cm := decodeJSONMap(t, `{"kind": "ConfigMap", "data": {"k": "visible"},
		"metadata": {"annotations": {"`+LastAppliedAnnotation+`": "{}"}}}`)
	got = Object(cm, false)
	if got["data"].(map[string]any)["k"] != "visible" ||
		got["metadata"].(map[string]any)["annotations"].(map[string]any)[LastAppliedAnnotation] != "REDACTED # (2 bytes)" {
		t.Errorf("configmap: %v", got)
	}
}

func TestURLHidesUserinfo(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pass@charts.example.com/stable": "https://***@charts.example.com/stable",
		"https://token@github.com/org/repo.git":       "https://***@github.com/org/repo.git",
		"oci://u:p@registry:5000/charts/app":          "oci://***@registry:5000/charts/app",
		"https://user:p@ss@host/x?y=1":                "https://***@host/x?y=1",
		"https://charts.example.com/stable":           "https://charts.example.com/stable",
		"https://host/path@v1":                        "https://host/path@v1",
		"not a url":                                   "not a url",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTextHidesEveryURLsUserinfo(t *testing.T) {
	in := `cannot read the index of repository "r" at https://alice:s3cret@charts.example.com/: Get "https://alice:s3cret@charts.example.com/index.yaml": 401; mail bob@example.com, see http://docs.example.com/x@y`
	want := `cannot read the index of repository "r" at https://***@charts.example.com/: Get "https://***@charts.example.com/index.yaml": 401; mail bob@example.com, see http://docs.example.com/x@y`
	if got := Text(in); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if strings.Contains(string(Bytes([]byte(in))), "s3cret") {
		t.Error("Bytes leaves the password")
	}
	plain := []byte("nothing to hide")
	if got := Bytes(plain); &got[0] != &plain[0] {
		t.Error("a line without credentials is not copied")
	}
}
