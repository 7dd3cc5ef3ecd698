package render

import (
	"reflect"
	"testing"
)

func cachedDocuments() int {
	parsedDocuments.mu.Lock()
	defer parsedDocuments.mu.Unlock()
	return len(parsedDocuments.entries)
}

func TestADocumentIsParsedOnceAndEveryCallerGetsItsOwnCopy(t *testing.T) {
	raw := []byte("image:\n  tag: \"1.2\"\nports: [80, 443]\nreplicas: 3\n# values-cache-test-a\n")
	before := cachedDocuments()
	first, err := parseValues(raw, true)
	if err != nil {
		t.Fatal(err)
	}
	if cachedDocuments() != before+1 {
		t.Fatalf("the document was not kept: %d entries, %d before", cachedDocuments(), before)
	}
	// What helm's merge and later steps do to the values they are given.
	first["image"].(map[string]any)["tag"] = "changed"
	first["ports"].([]any)[0] = 8080
	first["added"] = true

	second, err := parseValues(raw, true)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"image": map[string]any{"tag": "1.2"}, "ports": []any{float64(80), float64(443)}, "replicas": float64(3)}
	if !reflect.DeepEqual(second, want) {
		t.Fatalf("a writer of the first copy changed the second: %#v", second)
	}
	if cachedDocuments() != before+1 {
		t.Fatal("the same bytes were parsed into a second entry")
	}

	changed, err := parseValues([]byte("replicas: 5\n# values-cache-test-a\n"), true)
	if err != nil || changed["replicas"] != float64(5) || changed["image"] != nil {
		t.Fatalf("changed bytes are another document: %#v, %v", changed, err)
	}
}

func TestProducedDocumentsAndErrorsAreNotKept(t *testing.T) {
	before := cachedDocuments()
	// A rendered template or a resolved secret: not a file on disk.
	secret, err := parseValues([]byte("password: s3cret\n# values-cache-test-b\n"), false)
	if err != nil || secret["password"] != "s3cret" {
		t.Fatalf("%#v, %v", secret, err)
	}
	for range 2 {
		if _, err := parseValues([]byte("a: [unclosed\n# values-cache-test-b\n"), true); err == nil {
			t.Fatal("a document that does not parse should fail every time")
		}
	}
	if got := cachedDocuments(); got != before {
		t.Fatalf("a produced document or a failure was kept: %d entries, %d before", got, before)
	}
}
