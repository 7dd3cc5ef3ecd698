package tmpl

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// The vectors in tests/fixtures/yaml/go-yaml-v3.json say how helmfile's
// YAML library types scalars and writes values. helmfire's Rust reader and
// emitter (src/yaml) are tested against the same file; this test keeps the
// file true to the library the shim links.
type yamlVectors struct {
	Typing []struct {
		Scalar string          `json:"scalar"`
		GoType string          `json:"go_type"`
		JSON   json.RawMessage `json:"json"`
	} `json:"typing"`
	Emit []struct {
		Value string `json:"value"`
		YAML  string `json:"yaml"`
	} `json:"emit"`
}

func loadYAMLVectors(t *testing.T) yamlVectors {
	t.Helper()
	raw, err := os.ReadFile("../../../tests/fixtures/yaml/go-yaml-v3.json")
	if err != nil {
		t.Fatal(err)
	}
	var v yamlVectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Typing) < 100 || len(v.Emit) < 10 {
		t.Fatalf("the vectors lost rows: %d typing, %d emit", len(v.Typing), len(v.Emit))
	}
	return v
}

func TestYAMLTypingVectorsMatchTheLibrary(t *testing.T) {
	for _, c := range loadYAMLVectors(t).Typing {
		var m map[string]any
		if err := yaml.Unmarshal([]byte("x: "+c.Scalar+"\n"), &m); err != nil {
			t.Fatalf("x: %s: %v", c.Scalar, err)
		}
		got := m["x"]
		if typ := fmt.Sprintf("%T", got); typ != c.GoType {
			t.Errorf("x: %s is a %s, the vector says %s", c.Scalar, typ, c.GoType)
		}
		if tm, ok := got.(time.Time); ok {
			got = tm.Format(time.RFC3339Nano)
		}
		gotJSON, _ := json.Marshal(got)
		if string(gotJSON) != string(c.JSON) {
			t.Errorf("x: %s decodes to %s, the vector says %s", c.Scalar, gotJSON, c.JSON)
		}
	}
}

func TestYAMLEmitVectorsMatchTheLibrary(t *testing.T) {
	for _, c := range loadYAMLVectors(t).Emit {
		d := json.NewDecoder(strings.NewReader(c.Value))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
		got, err := ToYaml(mapNumbers(v, goNumber))
		if err != nil {
			t.Fatal(err)
		}
		if got != c.YAML {
			t.Errorf("%s encodes to\n%s\nthe vector says\n%s", c.Value, got, c.YAML)
		}
	}
}

// goNumber is what Go code holds for a JSON number: int64 for an integer
// literal, uint64 beyond it, float64 when it has `.` or an exponent.
func goNumber(n json.Number) any {
	if !strings.ContainsAny(n.String(), ".eE") {
		if i, err := n.Int64(); err == nil {
			return i
		}
		var u uint64
		fmt.Sscan(n.String(), &u)
		return u
	}
	f, _ := n.Float64()
	return f
}
