package tmpl

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

const fileName = "dir/helmfile.yaml.gotmpl"

// fixture is a base directory with files for the file functions and helpers.
func fixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(rel, content string) {
		t.Helper()
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("values.txt", "from a file\n")
	write("sample/b.txt", "b")
	write("sample/a.txt", "a")
	write("sample/sub/c.txt", "c")
	write("_helpers.tpl", `{{ define "greet" }}hello {{ .name }}{{ end }}
{{ define "loop" }}{{ include "loop" . }}{{ end }}
{{ define "fails" }}{{ required "helper needs .x" .x }}{{ end }}
`)
	write("_more.tpl", `{{ define "more" }}more {{ include "greet" . }}{{ end }}`)
	write("bad/_broken.tpl", `{{ define "x" }}{{ end `)
	return dir
}

func testData() map[string]any {
	return map[string]any{
		"Environment": map[string]any{
			"Name":        "prod",
			"KubeContext": "",
			"Values":      map[string]any{"replicas": 3},
		},
		"Values": map[string]any{
			"replicas": 3,
			"nested":   map[string]any{"key": "v", "empty": ""},
			"list":     []any{"a", "b"},
			"nothing":  nil,
		},
		"Namespace": "ns",
	}
}

type renderCase struct {
	name     string
	text     string
	opts     func(dir string) Options // nil: BaseDir=dir, the two helpers
	env      map[string]string
	want     string   // exact output when wantErr is empty
	wantErr  []string // substrings of the error
	wantHave []string // substrings of the output (instead of want)
}

func defaultOpts(dir string) Options {
	return Options{BaseDir: dir, Helpers: []string{"_helpers.tpl", "_more.tpl"}}
}

func runCases(t *testing.T, cases []renderCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := fixture(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			opts := defaultOpts(dir)
			if tc.opts != nil {
				opts = tc.opts(dir)
			}
			text := strings.ReplaceAll(tc.text, "BASEDIR", dir)
			got, err := Render(fileName, text, testData(), opts)
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("want an error, got output %q", got)
				}
				for _, want := range tc.wantErr {
					want = strings.ReplaceAll(want, "BASEDIR", dir)
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q\ndoes not contain %q", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(tc.wantHave) > 0 {
				for _, want := range tc.wantHave {
					if !strings.Contains(got, strings.ReplaceAll(want, "BASEDIR", dir)) {
						t.Errorf("output %q does not contain %q", got, want)
					}
				}
				return
			}
			if want := strings.ReplaceAll(tc.want, "BASEDIR", dir); got != want {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
}

func TestDataAndMissingKeys(t *testing.T) {
	runCases(t, []renderCase{
		{name: "fields", text: `{{ .Environment.Name }} {{ .Values.replicas }} {{ .Namespace }}`, want: "prod 3 ns"},
		{name: "int stays int", text: `{{ add .Values.replicas 1 }} {{ kindOf .Values.replicas }}`, want: "4 int"},
		{
			name: "missing key is an error naming file, line, column and field",
			text: "a: 1\nb: {{ .Values.nope }}",
			wantErr: []string{
				`template: dir/helmfile.yaml.gotmpl:2:13: executing "dir/helmfile.yaml.gotmpl" at <.Values.nope>: map has no entry for key "nope"`,
			},
		},
		{name: "missing top-level key", text: `{{ .Release.Name }}`, wantErr: []string{`at <.Release.Name>: map has no entry for key "Release"`}},
		{name: "parse error names the file", text: "x\n{{ .Values.a", wantErr: []string{`template: dir/helmfile.yaml.gotmpl:2: unclosed action`}},
		{name: "unknown function", text: `{{ nope }}`, wantErr: []string{`template: dir/helmfile.yaml.gotmpl:1: function "nope" not defined`}},
		{name: "nil value prints as no value", text: `{{ .Values.nothing }}`, want: "<no value>"},
		{name: "index of a missing key is not an error", text: `{{ index .Values "nope" }}`, want: "<no value>"},
	})
}

func TestSprig(t *testing.T) {
	runCases(t, []renderCase{
		{name: "sprig functions", text: `{{ "a" | upper }} {{ list 1 2 | len }} {{ default "d" .Values.nested.empty }}`, want: "A 2 d"},
		{name: "sprigGet is sprig's get", text: `{{ sprigGet .Values.nested "key" }}|{{ sprigGet .Values.nested "nope" }}|`, want: "v||"},
		{name: "get is helmfile's get", text: `{{ get "nested.key" .Values }}`, want: "v"},
		{name: "env is kept", text: `{{ env "HELMFIRE_TMPL_TEST" }}`, env: map[string]string{"HELMFIRE_TMPL_TEST": "e"}, want: "e"},
		{
			name: "mergeOverwrite as in helmfile's test",
			text: `{{- $v1 := dict "bool" true "int" 2 "str" "v1" "str2" "v1" -}}
{{- $v2 := dict "bool" false "int" 0 "str" "v2" "str2" "" -}}
{{- mergeOverwrite (dict) $v1 $v2 -}}`,
			want: "map[bool:false int:0 str:v2 str2:]",
		},
	})
}

func TestRequiredAndRequiredEnv(t *testing.T) {
	runCases(t, []renderCase{
		{name: "required passes a value", text: `{{ required "need it" .Values.replicas }}`, want: "3"},
		{name: "required fails on nil", text: `{{ required "nothing is set" .Values.nothing }}`, wantErr: []string{`executing "dir/helmfile.yaml.gotmpl" at <required "nothing is set" .Values.nothing>: error calling required: nothing is set`}},
		{name: "required fails on empty string", text: `{{ .Values.nested.empty | required "empty!" }}`, wantErr: []string{"error calling required: empty!"}},
		{name: "required keeps false and 0", text: `{{ required "x" false }} {{ required "x" 0 }}`, want: "false 0"},
		{name: "requiredEnv set", text: `{{ requiredEnv "HELMFIRE_TMPL_SET" }}`, env: map[string]string{"HELMFIRE_TMPL_SET": "yes"}, want: "yes"},
		{name: "requiredEnv unset", text: `{{ requiredEnv "HELMFIRE_TMPL_UNSET_XYZ" }}`, wantErr: []string{"error calling requiredEnv: required env var `HELMFIRE_TMPL_UNSET_XYZ` is not set"}},
		{name: "requiredEnv empty", text: `{{ requiredEnv "HELMFIRE_TMPL_EMPTY" }}`, env: map[string]string{"HELMFIRE_TMPL_EMPTY": ""}, wantErr: []string{"required env var `HELMFIRE_TMPL_EMPTY` is not set"}},
	})
}

func TestFileFunctions(t *testing.T) {
	runCases(t, []renderCase{
		{name: "readFile relative to BaseDir", text: `{{ readFile "values.txt" }}`, want: "from a file\n"},
		{name: "readFile absolute", text: `{{ readFile "BASEDIR/sample/a.txt" }}`, want: "a"},
		{name: "readFile missing", text: `{{ readFile "nope.txt" }}`, wantErr: []string{"error calling readFile: open BASEDIR/nope.txt: no such file or directory"}},
		{name: "readDir lists files joined to the given path", text: `{{ readDir "sample" | toJson }}`, want: `["sample/a.txt","sample/b.txt"]`},
		{name: "readDir missing", text: `{{ readDir "nope" }}`, wantErr: []string{`error calling readDir: ReadDir "BASEDIR/nope": open BASEDIR/nope: no such file or directory`}},
		{name: "readDirEntries", text: `{{ range readDirEntries "sample" }}{{ .Name }}:{{ .IsDir }} {{ end }}`, want: "a.txt:false b.txt:false sub:true "},
		{name: "readDirEntries missing", text: `{{ readDirEntries "nope" }}`, wantErr: []string{`error calling readDirEntries: ReadDirEntries "BASEDIR/nope"`}},
		{name: "isFile", text: `{{ isFile "values.txt" }} {{ isFile "sample" }} {{ isFile "nope" }}`, want: "true false false"},
		{name: "isDir", text: `{{ isDir "values.txt" }} {{ isDir "sample" }} {{ isDir "nope" }} {{ isDir "BASEDIR/sample/sub" }}`, want: "false true false true"},
	})
}

func TestExec(t *testing.T) {
	runCases(t, []renderCase{
		{name: "exec", text: `{{ exec "sh" (list "-c" "echo hi; echo err >&2") }}`, want: "hi\n"},
		{name: "exec runs in BaseDir", text: `{{ exec "cat" (list "values.txt") }}`, want: "from a file\n"},
		{name: "exec with stdin", text: `{{ exec "tr" (list "a-z" "A-Z") "shout" }}`, want: "SHOUT"},
		{name: "exec arg of another type", text: `{{ exec "echo" (list "a" 1) }}`, wantErr: []string{`error calling exec: unexpected type of arg "int" in args [a 1] at index 1`}},
		{
			name: "exec non-zero exit",
			text: `{{ exec "sh" (list "-c" "echo bad >&2; exit 3") }}`,
			wantErr: []string{
				"error calling exec: command \"/", "sh\" exited with non-zero status:\n\nPATH:\n  /",
				"\n\nARGS:\n  0: sh (2 bytes)\n  1: -c (2 bytes)\n  2: echo bad >&2; exit 3 (20 bytes)\n\nERROR:\n  exit status 3\n\nEXIT STATUS\n  3\n\nSTDERR:\n  bad\n\nCOMBINED OUTPUT:\n  bad",
			},
		},
		{name: "exec missing command with input", text: `{{ exec "helmfire-no-such-command" (list) "in" }}`, wantErr: []string{`unexpected error: exec: "helmfire-no-such-command": executable file not found in $PATH`}},
		{name: "exec that ignores its input", text: `{{ exec "true" (list) (repeat 200000 "x") }}`, wantErr: []string{`error calling exec: failed while writing 200000 bytes to stdin of "true"`}},
		{name: "exec missing command", text: `{{ exec "helmfire-no-such-command" (list) }}`, wantErr: []string{`error calling exec: unexpected error: exec: "helmfire-no-such-command": executable file not found in $PATH`}},
		{name: "envExec", text: `{{ envExec (dict "HELMFIRE_X" "x1") "sh" (list "-c" "printf %s $HELMFIRE_X") }}`, want: "x1"},
		{name: "envExec keeps the environment", text: `{{ envExec (dict) "sh" (list "-c" "printf %s $HELMFIRE_KEEP") }}`, env: map[string]string{"HELMFIRE_KEEP": "kept"}, want: "kept"},
		{name: "envExec env of another type", text: `{{ envExec (dict "A" 1) "true" (list) }}`, wantErr: []string{`error calling envExec: unexpected type of env "int" in envs map[A:1] at index A`}},
	})
}

func TestDisableInsecure(t *testing.T) {
	disabled := func(dir string) Options {
		o := defaultOpts(dir)
		o.DisableInsecure = true
		return o
	}
	msg := "HELMFILE_DISABLE_INSECURE_FEATURES or HELMFILE_DISABLE_INSECURE_TEMPLATE_FUNCTIONS is active, insecure function calls are disabled"
	runCases(t, []renderCase{
		{name: "exec", opts: disabled, text: `{{ exec "echo" (list "a") }}`, wantErr: []string{"error calling exec: " + msg}},
		{name: "envExec", opts: disabled, text: `{{ envExec (dict) "echo" (list "a") }}`, wantErr: []string{"error calling envExec: " + msg}},
		{name: "readFile", opts: disabled, text: `{{ readFile "values.txt" }}`, wantErr: []string{"error calling readFile: " + msg}},
		{name: "readDir", opts: disabled, text: `{{ readDir "sample" }}`, wantErr: []string{"error calling readDir: " + msg}},
		{name: "readDirEntries", opts: disabled, text: `{{ readDirEntries "sample" }}`, wantErr: []string{"error calling readDirEntries: " + msg}},
		{name: "isFile and isDir stay", opts: disabled, text: `{{ isFile "values.txt" }} {{ isDir "sample" }}`, want: "true true"},
		{name: "argument types still checked", opts: disabled, text: `{{ exec "echo" "notalist" }}`, wantErr: []string{`at <"notalist">: can't handle "notalist" for arg of type []interface {}`}},
	})
	if !errors.Is(func() error {
		_, err := Render("f", `{{ readFile "x" }}`, nil, Options{DisableInsecure: true})
		return err
	}(), DisabledError) {
		t.Error("the error does not wrap DisabledError")
	}
}

func TestYaml(t *testing.T) {
	runCases(t, []renderCase{
		{
			name: "toYaml as helmfile writes it (v3, indent 2)",
			text: `{{ toYaml .Values }}`,
			want: "list:\n  - a\n  - b\nnested:\n  empty: \"\"\n  key: v\nnothing: null\nreplicas: 3\n",
		},
		{name: "toYaml quotes numeric strings", text: `{{ toYaml (dict "s" "01234567890123456789" "t" "true") }}`, want: "s: \"01234567890123456789\"\nt: \"true\"\n"},
		{name: "toYaml scalar", text: `{{ toYaml "x" }}|{{ toYaml .Values.nothing }}`, want: "x\n|null\n"},
		{name: "fromYaml", text: `{{ $m := fromYaml "a:\n  b: [1, 2]\n" }}{{ index $m.a.b 1 }} {{ kindOf (index $m.a.b 1) }}`, want: "2 int"},
		{name: "fromYaml empty is nil", text: `{{ fromYaml "" }}`, want: "<no value>"},
		{name: "round trip", text: `{{ toYaml .Values | fromYaml | toYaml }}`, want: "list:\n  - a\n  - b\nnested:\n  empty: \"\"\n  key: v\nnothing: null\nreplicas: 3\n"},
		{name: "fromYaml error", text: `{{ fromYaml "a: [" }}`, wantErr: []string{"error calling fromYaml: yaml: line 1: did not find expected node content, offending yaml: a: ["}},
		{name: "fromYaml non-string key", text: `{{ fromYaml "1: a" }}`, wantErr: []string{"error calling fromYaml: unexpected type of key in map: expected string, got int: value=1, map=map[1:a], offending yaml: 1: a"}},
	})
}

func TestSetValueAtPath(t *testing.T) {
	runCases(t, []renderCase{
		{name: "top level", text: `{{ $v := setValueAtPath "replicas" 5 .Values }}{{ .Values.replicas }}`, want: "5"},
		{name: "nested", text: `{{ $v := setValueAtPath "nested.key" "w" .Values }}{{ $v.nested.key }}`, want: "w"},
		{name: "new leaf", text: `{{ $v := setValueAtPath "nested.new" 1 .Values }}{{ $v.nested.new }}`, want: "1"},
		{name: "missing parent", text: `{{ setValueAtPath "a.b" 1 .Values }}`, wantErr: []string{`error calling setValueAtPath: failed to set value at path "a.b": value for key "a" does not exist`}},
		{name: "parent not a map", text: `{{ setValueAtPath "replicas.b" 1 .Values }}`, wantErr: []string{`failed to set value at path "replicas.b": value for key "replicas" was not a map`}},
	})
}

func TestGetAndGetOrNil(t *testing.T) {
	runCases(t, []renderCase{
		{name: "get nested", text: `{{ get "nested.key" .Values }}`, want: "v"},
		{name: "get with default present", text: `{{ get "nested.key" "d" .Values }}`, want: "v"},
		{name: "get with default missing", text: `{{ get "nested.nope.deeper" "d" .Values }}`, want: "d"},
		{name: "get empty path", text: `{{ get "" 1 }}`, want: "1"},
		{name: "get missing", text: `{{ get "nested.nope" .Values }}`, wantErr: []string{`error calling get: no value exist for key "nope" in map[empty: key:v]`}},
		{name: "get through a scalar", text: `{{ get "replicas.x" .Values }}`, wantErr: []string{`error calling get: unexpected type(int) of value for key "x": it must be either map[string]any or any struct`}},
		{name: "get arg count", text: `{{ get "a" 1 2 3 }}`, wantErr: []string{"error calling get: unexpected number of args passed to the template function get(path, [def, ]obj): expected 1 or 2, got 3, args was [1 2 3]"}},
		{name: "getOrNil present", text: `{{ getOrNil "nested.key" .Values }}`, want: "v"},
		{name: "getOrNil missing", text: `{{ getOrNil "nested.nope" .Values }}|{{ getOrNil "replicas.x" .Values | toJson }}`, want: "<no value>|null"},
		{name: "getOrNil with default pattern", text: `{{ getOrNil "nested.nope" .Values | default "dflt" }}`, want: "dflt"},
	})
}

func TestGetStructsAndPointers(t *testing.T) {
	type env struct{ Name string }
	vals := map[string]any{"a": map[string]any{"b": 1}}
	for _, tc := range []struct {
		path string
		args []any
		want any
		err  string
	}{
		{path: "Name", args: []any{env{Name: "prod"}}, want: "prod"},
		{path: "Nope", args: []any{"d", env{Name: "prod"}}, want: "d"},
		{path: "Nope", args: []any{env{Name: "prod"}}, err: `no field named "Nope" exist in {prod}`},
		{path: "a.b", args: []any{&vals}, want: 1},
		{path: "k.x", args: []any{map[string]string{"k": "v"}}, want: "v"},
		{path: "k", args: []any{map[any]any{"k": "v"}}, want: "v"},
		{path: "x", args: []any{struct{}{}}, err: `no accessible struct fields for key "x"`},
	} {
		got, err := Get(tc.path, tc.args...)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("get %q: error %v, want %q", tc.path, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("get %q = %v, %v; want %v", tc.path, got, err, tc.want)
		}
	}
}

func TestIncludeTplAndHelpers(t *testing.T) {
	runCases(t, []renderCase{
		{name: "include a helper", text: `{{ include "greet" (dict "name" "you") | upper }}`, want: "HELLO YOU"},
		{name: "helper including another helper", text: `{{ include "more" (dict "name" "x") }}`, want: "more hello x"},
		{name: "template action", text: `{{ template "greet" (dict "name" "t") }}`, want: "hello t"},
		{name: "a define in the file", text: `{{ define "local" }}L{{ . }}{{ end }}{{ include "local" 1 }}`, want: "L1"},
		{name: "the file's define wins over a helper", text: `{{ define "greet" }}mine{{ end }}{{ include "greet" . }}`, want: "mine"},
		{name: "include missing", text: `{{ include "nope" . }}`, wantErr: []string{`error calling include: template: no template "nope" associated with template "dir/helmfile.yaml.gotmpl"`}},
		{name: "error inside a helper names the helper", text: `{{ include "fails" (dict "x" "") }}`, wantErr: []string{"error calling include: template: BASEDIR/_helpers.tpl:3:23: executing \"fails\" at <required \"helper needs .x\" .x>: error calling required: helper needs .x"}},
		{name: "include recursion is bounded", text: `{{ include "loop" . }}`, wantErr: []string{"rendering template has a nested reference name: loop: unable to execute template"}},
		{name: "no helpers", opts: func(dir string) Options { return Options{BaseDir: dir} }, text: `{{ include "greet" . }}`, wantErr: []string{`no template "greet"`}},
		{name: "helper parse error", opts: func(dir string) Options { return Options{BaseDir: dir, Helpers: []string{"bad/_broken.tpl"}} }, text: `x`, wantErr: []string{"failed to parse helper template BASEDIR/bad/_broken.tpl: template: BASEDIR/bad/_broken.tpl:1: unclosed action"}},
		{name: "helper read error", opts: func(dir string) Options { return Options{BaseDir: dir, Helpers: []string{"_nope.tpl"}} }, text: `x`, wantErr: []string{"failed to read helper template BASEDIR/_nope.tpl: open BASEDIR/_nope.tpl: no such file or directory"}},
		{name: "tpl", text: `{{ tpl "{{ .a }}-{{ .b | upper }}" (dict "a" 1 "b" "x") }}`, want: "1-X"},
		{name: "tpl with the file's data", text: `{{ tpl "{{ .Environment.Name }}" . }}`, want: "prod"},
		{name: "tpl sees helpers", text: `{{ tpl "{{ include \"greet\" . }}" (dict "name" "h") }}`, want: "hello h"},
		{name: "tpl does not see the file's defines", text: `{{ define "local" }}L{{ end }}{{ tpl "{{ include \"local\" . }}" . }}`, wantErr: []string{`no template "local" associated with template "stringTemplate"`}},
		{name: "tpl missing key", text: `{{ tpl "{{ .nope }}" (dict) }}`, wantErr: []string{`error calling tpl: template: stringTemplate:1:3: executing "stringTemplate" at <.nope>: map has no entry for key "nope"`}},
		{name: "tpl parse error", text: `{{ tpl "{{ nope }}" . }}`, wantErr: []string{`error calling tpl: template: stringTemplate:1: function "nope" not defined`}},
	})
}

func TestTplDepthBound(t *testing.T) {
	// A tpl whose text renders itself again: without the bound this
	// overflows the stack.
	text := `{{ tpl .t . }}`
	_, err := Render("f", text, map[string]any{"t": text}, Options{})
	if err == nil || !strings.Contains(err.Error(), "tpl is nested more than 1000 deep") {
		t.Fatalf("want the depth error, got %v", err)
	}
}

func TestSecretReferencesResolveInTemplates(t *testing.T) {
	runCases(t, []renderCase{
		{name: "fetchSecretValue", text: `{{ fetchSecretValue "ref+echo://hello" }}`, want: "hello"},
		{name: "expandSecretRefs", text: `{{ (expandSecretRefs (dict "a" "ref+echo://xy" "b" 2)).a }}`, want: "xy"},
		{name: "a reference that fails names it", text: `{{ fetchSecretValue "ref+file:///nonexistent/creds.yaml" }}`, wantErr: []string{"error calling fetchSecretValue", "/nonexistent/creds.yaml"}},
	})
}

func TestHelperFiles(t *testing.T) {
	dir := fixture(t)
	got, err := HelperFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"_helpers.tpl", "_more.tpl"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestDecodeDataTypesAsYamlV3 holds DecodeData to what helmfile's YAML
// library makes of the same JSON text (decoded into a map, keys cast to
// strings, as helmfile holds template data).
func TestDecodeDataTypesAsYamlV3(t *testing.T) {
	for _, doc := range []string{
		`{}`,
		`{"Values":{"n":1,"neg":-7,"zero":0,"f":1.5,"whole":2.0,"exp":1e3,"small":-2.5E-3}}`,
		`{"big":9223372036854775807,"bigger":9223372036854775808,"huge":18446744073709551616,"min":-9223372036854775808}`,
		`{"s":"1","t":"true","d":"2024-01-01","null":"null","tilde":"~","e":"","u":"é \u00e9 \n \t \" \\ /"}`,
		`{"b":true,"nb":false,"nil":null,"l":[1,"a",null,[],{}],"m":{"deep":{"deeper":[{"k":0.1}]}}}`,
		`{"Environment":{"Name":"prod","KubeContext":"","Values":{"replicas":3}},"Release":{"Name":"a","Labels":{"x":"y"}}}`,
	} {
		got, err := DecodeData([]byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		var viaYaml map[string]any
		if err := yaml.Unmarshal([]byte(doc), &viaYaml); err != nil {
			t.Fatalf("%s: yaml.v3: %v", doc, err)
		}
		want, err := castKeysToStrings(viaYaml)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %#v\nwant %#v", doc, got, want)
		}
	}
}

func TestDecodeDataEdges(t *testing.T) {
	for _, empty := range []string{"", "  \n", "null"} {
		if m, err := DecodeData([]byte(empty)); err != nil || m == nil || len(m) != 0 {
			t.Errorf("%q: want an empty map, got %#v, %v", empty, m, err)
		}
	}
	for _, bad := range []string{`["a"]`, `"a"`, `{"a":`, `{} {}`} {
		if m, err := DecodeData([]byte(bad)); err == nil {
			t.Errorf("%q: want an error, got %#v", bad, m)
		}
	}
}

func TestIndentQuirk(t *testing.T) {
	for in, want := range map[string]string{
		"a":        "  a",
		"a\n":      "  a",
		"a\nb":     "  a  b",
		"a\nb\n":   "  a\n  b",
		"a\n\nb\n": "  a\n  b",
		"":         "",
	} {
		if got := indent(in, "  "); got != want {
			t.Errorf("indent(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExecIsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	start := time.Now()
	_, err := Render("f", `{{ exec "sleep" (list "30") }}`, nil, Options{Context: ctx})
	if err == nil {
		t.Fatal("want an error")
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("the command was not interrupted")
	}
}

// helmfile's own TestToYaml cases (pkg/tmpl/context_funcs_test.go).
func TestToYamlHelmfileCases(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{map[string]any{"thisShouldBeString": "01234567890123456789"}, "thisShouldBeString: \"01234567890123456789\"\n"},
		{map[string]any{"thisShouldBeString": int64(1234567890123456789)}, "thisShouldBeString: 1234567890123456789\n"},
		{map[string]any{"foo": map[string]any{"bar": "BAR"}}, "foo:\n  bar: BAR\n"},
		{map[string]any{"foo": map[any]any{"bar": "BAR"}}, "foo:\n  bar: BAR\n"},
		{[]any{"foo", map[string]any{"bar": "BAR"}}, "- foo\n- bar: BAR\n"},
		{"foo", "foo\n"},
		{1234, "1234\n"},
		{true, "true\n"},
		{nil, "null\n"},
	} {
		got, err := ToYaml(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ToYaml(%#v) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// Renders share one set of sprig's and helmfile's pure functions
// (staticFuncs) but each has its own bound functions and defines: concurrent
// renders from different base directories read their own files, include
// their own defines, and leave the shared set as it was.
func TestConcurrentRendersKeepTheirOwnFunctionsAndDefines(t *testing.T) {
	const renders = 32
	dirs := make([]string, renders)
	for i := range dirs {
		dirs[i] = t.TempDir()
		if err := os.WriteFile(filepath.Join(dirs[i], "id.txt"), []byte(strings.Repeat("x", i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	outs := make([]string, renders)
	errs := make([]error, renders)
	done := make(chan struct{})
	for i := range renders {
		go func() {
			defer func() { done <- struct{}{} }()
			text := `{{ define "mine" }}{{ . }}{{ end }}{{ readFile "id.txt" | len }}-{{ include "mine" .n }}-{{ upper "a" }}`
			outs[i], errs[i] = Render(fileName, text, map[string]any{"n": i}, Options{BaseDir: dirs[i]})
		}()
	}
	for range renders {
		<-done
	}
	for i := range renders {
		want := strconv.Itoa(i) + "-" + strconv.Itoa(i) + "-A"
		if errs[i] != nil || outs[i] != want {
			t.Errorf("render %d: %q, %v; want %q", i, outs[i], errs[i], want)
		}
	}
	if defined := staticFuncs().DefinedTemplates(); defined != "" {
		t.Errorf("the shared function set gained templates: %s", defined)
	}
}
