package hcl

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The files of helmfile's snapshot cases hcl_mix and hcl_override.
const (
	mixValues1 = `locals {
  filename = "values1.hcl"
}

values {
  a = "a"
  b = "b"
  c = "${hv.a}${hv.b}"

  list = [
    hv.b
  ]

  locals = local

  // Maps and some functions
  nestedmap = {
    submap = {
      subsubmap = {
        hello = hv.a
      }
    }
  }

  nestedmap2 = {
    submap = {
      subsubmap = {
        hello = hv.c
      }
    }
  }

  merged = merge(hv.nestedmap, hv.nestedmap2)
  fromMap = "${hv.merged.submap.subsubmap.hello}"

  // precedence demo
  yamlOverride = "yaml_overrode"


  // Simple Expressions
  ternary = true ? true : false
  expressionInText = "%{if hv.ternary }yes%{else}no%{endif}"
  insideFor = "%{for i in hv.list }${i}%{endfor}"
  simpleCompute = 2 + 2

  multiBlock = hv.block

  crossfile = hv.crossfile_var
}

values {
  block = "block"
}`
	mixValues2 = `locals {
  filename = "values2.hcl"
}

values {
  crossfile_var = local.filename
}`
	overrideValues1 = `locals {
  filename = "values1.hcl"
}

values {
  a = local.filename
  b = "b"
  c = "${hv.a}${hv.b}"
  d = true
  e = 1

  list = [
    hv.b
  ]

  nestedmap = {
    submap = {
      subsubmap = {
        hello = hv.a
        world = true
      }
    }
  }
}
`
	overrideValues2 = `locals {
  filename = "values2.hcl"
}

values {
  a = local.filename
  b = "b2"
  c = upper("${hv.a}${hv.b}")
  d = false
  e = 2

  list = [
    hv.a,
    hv.b
  ]

  nestedmap = {
    submap = {
      subsubmap = {
        hello = "hello"
        world = lower("WORLD")
      }
    }
  }
}
`
)

type m = map[string]any
type l = []any

func sources(pairs ...string) []Source {
	var out []Source
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, Source{Name: pairs[i], Src: []byte(pairs[i+1])})
	}
	return out
}

func TestEval(t *testing.T) {
	cases := map[string]struct {
		srcs []Source
		want m
	}{
		"helmfile hcl_mix": {
			srcs: sources("values1.hcl", mixValues1, "values2.hcl", mixValues2),
			want: m{
				"a": "a", "b": "b", "c": "ab", "block": "block",
				"crossfile": "values2.hcl", "crossfile_var": "values2.hcl",
				"expressionInText": "yes", "insideFor": "b", "list": l{"b"},
				"locals":     m{"filename": "values1.hcl"},
				"nestedmap":  m{"submap": m{"subsubmap": m{"hello": "a"}}},
				"nestedmap2": m{"submap": m{"subsubmap": m{"hello": "ab"}}},
				"merged":     m{"submap": m{"subsubmap": m{"hello": "ab"}}},
				"fromMap":    "ab", "multiBlock": "block", "simpleCompute": 4.0,
				"ternary": true, "yamlOverride": "yaml_overrode",
			},
		},
		"helmfile hcl_override: later files merge over earlier ones": {
			srcs: sources("values1.hcl", overrideValues1, "values2.hcl", overrideValues2),
			want: m{
				"a": "values2.hcl", "b": "b2", "c": "VALUES2.HCLB2", "d": false, "e": 2.0,
				"list":      l{"values2.hcl", "b2"},
				"nestedmap": m{"submap": m{"subsubmap": m{"hello": "hello", "world": "world"}}},
			},
		},
		"references resolve whatever the order of definition": {
			srcs: sources("a.hcl", `
values {
  x = "${hv.y}-${local.z}"
}
locals {
  z = "${local.w}!"
  w = "w"
}`, "b.hcl", `values {
  y = "y"
}`),
			want: m{"x": "y-w!", "y": "y"},
		},
		"blocks of one file merge too; a null keeps the earlier value": {
			srcs: sources("a.hcl", `
values {
  o = { keep = 1, over = "a", deep = { x = 1 } }
  n = "set"
}
values {
  o = { over = "b", deep = { y = 2 }, add = true }
  n = null
}`),
			want: m{"o": m{"keep": 1.0, "over": "b", "deep": m{"x": 1.0, "y": 2.0}, "add": true}, "n": "set"},
		},
		"lists and mismatched kinds are replaced": {
			srcs: sources("a.hcl", `values {
  list = [1, 2, 3]
  kind = { a = 1 }
}`, "b.hcl", `values {
  list = ["x"]
  kind = "scalar"
}`),
			want: m{"list": l{"x"}, "kind": "scalar"},
		},
		"a value reads the merged definitions of another": {
			srcs: sources("a.hcl", `values {
  base = { a = 1 }
  copy = hv.base
}`, "b.hcl", `values {
  base = { b = 2 }
}`),
			want: m{"base": m{"a": 1.0, "b": 2.0}, "copy": m{"a": 1.0, "b": 2.0}},
		},
		"each definition sees its own file's locals": {
			srcs: sources("a.hcl", `locals {
  n = "a"
}
values {
  who = { a = local.n }
}`, "b.hcl", `locals {
  n = "b"
}
values {
  who = { b = local.n }
}`),
			want: m{"who": m{"a": "a", "b": "b"}},
		},
		"functions, numbers and types as helmfile converts them": {
			srcs: sources("a.hcl", `values {
  big     = 1000000
  half    = 1 / 2
  doubled = [for x in [3, 1, 2] : x * 2]
  subnet  = cidrsubnet("10.0.0.0/16", 8, 2)
  decoded = yamldecode("k: [1, x]")
  json    = jsonencode({ a = 1 })
  fallback = try(hv.nothing.x, "default")
  ok      = can(regex("^a", "abc"))
  formatted = format("%03d-%s", 7, title("x"))
  joined  = join(",", sort(distinct(["b", "a", "b"])))
  nothing = null
  empty   = {}
  none    = []
  str     = "true"
}`),
			want: m{
				"big": 1e6, "half": 0.5, "doubled": l{6.0, 2.0, 4.0}, "subnet": "10.0.2.0/24",
				"decoded": m{"k": l{1.0, "x"}}, "json": `{"a":1}`, "fallback": "default", "ok": true,
				"formatted": "007-X", "joined": "a,b", "nothing": nil, "empty": m{}, "none": l{}, "str": "true",
			},
		},
		"a file with only locals": {
			srcs: sources("a.hcl", `locals {
  x = 1
}`),
			want: m{},
		},
		"a file without locals has a null local": {
			srcs: sources("a.hcl", `values {
  l = local
}`),
			want: m{"l": nil},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Eval(tc.srcs)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %#v\nwant %#v", got, tc.want)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	cases := map[string]struct {
		srcs []Source
		file string
		msg  string
	}{
		"syntax": {
			srcs: sources("ok.hcl", "values {\n a = 1\n}", "dir/bad.hcl", "values {\n  a = \n}"),
			file: "dir/bad.hcl",
			msg:  "dir/bad.hcl:2:7: Invalid expression; Expected the start of an expression, but found an invalid expression token.",
		},
		"top-level attribute": {
			srcs: sources("a.hcl", "x = 1"),
			file: "a.hcl",
			msg:  `a.hcl:1:1: Unsupported argument; An argument named "x" is not expected here.`,
		},
		"unknown block": {
			srcs: sources("a.hcl", "values {\n}\nvariable \"x\" {\n}"),
			file: "a.hcl",
			msg:  `a.hcl:3:1: Unsupported block type; Blocks of type "variable" are not expected here.`,
		},
		"labelled block": {
			srcs: sources("a.hcl", "values \"x\" {\n}"),
			file: "a.hcl",
			msg:  `a.hcl:1:8: Extraneous label for values; No labels are expected for values blocks.`,
		},
		"duplicate attribute in a block": {
			srcs: sources("a.hcl", "values {\n  a = 1\n  a = 2\n}"),
			file: "a.hcl",
			msg:  `a.hcl:3:3: Attribute redefined; The argument "a" was already set at a.hcl:2,3-4. Each argument may be set only once.`,
		},
		"two locals blocks": {
			srcs: sources("a.hcl", "locals {\n  a = 1\n}\nlocals {\n  b = 1\n}"),
			file: "a.hcl",
			msg:  "a.hcl:4:1: A file can only support exactly 1 `locals` block",
		},
		"undefined value": {
			srcs: sources("a.hcl", "values {\n  a = 1\n}", "b.hcl", "values {\n  b = \"${hv.a}${hv.c}\"\n}"),
			file: "b.hcl",
			msg:  `b.hcl:2:17: variables "b" depend(s) on undefined vars "c"`,
		},
		"undefined local": {
			srcs: sources("a.hcl", "locals {\n  a = local.b\n}"),
			file: "a.hcl",
			msg:  `a.hcl:2:7: variables "a" depend(s) on undefined vars "b"`,
		},
		"cycle across files": {
			srcs: sources("a.hcl", "values {\n  a = hv.b\n}", "b.hcl", "values {\n  b = hv.c\n  c = [hv.a]\n}"),
			file: "a.hcl",
			msg:  "a.hcl:2:3: cycle detected between values: a -> b -> c -> a",
		},
		"self reference": {
			srcs: sources("a.hcl", "values {\n  a = { x = 1 }\n}", "b.hcl", "values {\n  a = merge(hv.a, { y = 2 })\n}"),
			file: "a.hcl",
			msg:  "a.hcl:2:3: cycle detected between values: a -> a",
		},
		"bare hv": {
			srcs: sources("a.hcl", "values {\n  a = keys(hv)\n}"),
			file: "a.hcl",
			msg:  `a.hcl:2:12: Invalid reference; The "hv" object cannot be accessed directly. Instead, access it from one of its root.`,
		},
		"indexed hv": {
			srcs: sources("a.hcl", "values {\n  a = hv[\"b\"]\n  b = 1\n}"),
			file: "a.hcl",
			msg:  `a.hcl:2:9: Invalid reference; The "hv" object does not support this operation.`,
		},
		"hv in locals": {
			srcs: sources("a.hcl", "locals {\n  a = hv.b\n  b = 1\n}"),
			file: "a.hcl",
			msg:  `a.hcl:2:7: error when trying to evaluate local "a": Unknown variable; There is no variable named "hv".`,
		},
		"missing local": {
			srcs: sources("a.hcl", "locals {\n  a = 1\n}\nvalues {\n  v = local.x\n}"),
			file: "a.hcl",
			msg:  `a.hcl:5:12: error when trying to evaluate variable "v": Unsupported attribute; This object does not have an attribute named "x".`,
		},
		"local of another file": {
			srcs: sources("a.hcl", "locals {\n  x = 1\n}", "b.hcl", "values {\n  v = local.x\n}"),
			file: "b.hcl",
			msg:  `b.hcl:2:12: error when trying to evaluate variable "v": Attempt to get attribute from null value; This value is null, so it does not have any attributes.`,
		},
		"unknown function": {
			srcs: sources("a.hcl", "values {\n  a = file(\"x\")\n}"),
			file: "a.hcl",
			msg:  `a.hcl:2:7: error when trying to evaluate variable "a": Call to unknown function; There is no function named "file". Did you mean "title"?`,
		},
		"bad argument": {
			srcs: sources("a.hcl", "values {\n  a = upper([])\n}"),
			file: "a.hcl",
			msg:  `a.hcl:2:13: error when trying to evaluate variable "a": Invalid function argument; Invalid value for "str" parameter: string required, but have tuple.`,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Eval(tc.srcs)
			var located *Error
			if !errors.As(err, &located) {
				t.Fatalf("got %v", err)
			}
			if located.File != tc.file || err.Error() != tc.msg {
				t.Errorf("got  %s (%s)\nwant %s (%s)", err, located.File, tc.msg, tc.file)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.hcl"), []byte("values {\n  a = 1\n}"), 0o644); err != nil {
		t.Fatal(err)
	}
	abs := filepath.Join(dir, "b.hcl")
	if err := os.WriteFile(abs, []byte("values {\n  b = hv.a + 1\n}"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Load([]string{"a.hcl", abs}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := (m{"a": 1.0, "b": 2.0}); !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v", got)
	}

	_, err = Load([]string{"missing.hcl"}, dir)
	var located *Error
	if !errors.As(err, &located) || located.File != "missing.hcl" || !strings.HasPrefix(err.Error(), "missing.hcl: could not read file: ") {
		t.Errorf("got %v", err)
	}
}

func TestToYAML(t *testing.T) {
	cases := map[string]struct {
		in   m
		want string
	}{
		"numbers read back as floats": {
			in:   m{"i": 2.0, "neg": -3.0, "half": 0.5, "big": 1e6, "tiny": 1e-7, "list": l{1.0, "x"}},
			want: "big: 1e+06\nhalf: 0.5\ni: 2.0\nlist:\n  - 1.0\n  - x\nneg: -3.0\ntiny: 1e-07\n",
		},
		"strings that look like other types are quoted": {
			in:   m{"b": "true", "n": "1", "z": "null", "s": "plain", "multi": "a\nb\n"},
			want: "b: \"true\"\nmulti: |\n  a\n  b\n\"n\": \"1\"\ns: plain\nz: \"null\"\n",
		},
		"nested, empty and null": {
			in:   m{"m": m{"k": true, "e": m{}, "l": l{}, "n": nil}},
			want: "m:\n  e: {}\n  k: true\n  l: []\n  \"n\": null\n",
		},
		"empty": {
			in:   m{},
			want: "{}\n",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ToYAML(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}
