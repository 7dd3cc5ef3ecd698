//! The reader and the emitter against go-yaml v3 (v3.0.5, the version
//! helmfile 1.8.0 builds with), through vectors the Go side checks too.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_yaml_ng::Value;

use super::*;

fn untyped(scalar: &str) -> Value {
    let doc: BTreeMap<String, Value> = from_str(&format!("x: {scalar}\n")).unwrap();
    doc["x"].clone()
}

/// The shared vectors: what go-yaml v3 itself produced (the Go side checks
/// them against the library in go-shim/internal/tmpl/yaml_vectors_test.go).
fn vectors() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/yaml/go-yaml-v3.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A JSON value as Go's decoder with `UseNumber` gives it to v3: integers
/// stay integers, anything with `.` or `e` is a float.
fn from_json(text: &str) -> Value {
    fn convert(v: serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) if n.is_f64() => Value::from(n.as_f64().unwrap()),
            serde_json::Value::Number(n) if n.is_u64() => Value::from(n.as_u64().unwrap()),
            serde_json::Value::Number(n) => Value::from(n.as_i64().unwrap()),
            serde_json::Value::String(s) => Value::String(s),
            serde_json::Value::Array(items) => Value::Sequence(items.into_iter().map(convert).collect()),
            serde_json::Value::Object(map) => {
                Value::Mapping(map.into_iter().map(|(k, v)| (Value::String(k), convert(v))).collect())
            }
        }
    }
    convert(serde_json::from_str(text).unwrap())
}

#[test]
fn every_scalar_spelling_types_as_go_yaml_v3_types_it() {
    let vectors = vectors();
    let cases = vectors["typing"].as_array().unwrap();
    assert!(cases.len() > 100, "the typing table lost rows");
    for case in cases {
        let scalar = case["scalar"].as_str().unwrap();
        let value = untyped(scalar);
        let kind = match &value {
            Value::Null => "<nil>",
            Value::Bool(_) => "bool",
            Value::Number(n) if n.is_f64() => "float64",
            Value::Number(n) if n.is_i64() => "int",
            Value::Number(_) => "uint64",
            Value::String(_) if case["go_type"] == "time.Time" => "time.Time",
            _ => "string",
        };
        assert_eq!(kind, case["go_type"], "the Go type of x: {scalar}");
        let got = to_json(&value);
        let want = &case["json"];
        let same = match (got.as_f64(), want.as_f64()) {
            (Some(a), Some(b)) => a == b,
            _ => &got == want,
        };
        assert!(same, "x: {scalar} decoded to {got}, go-yaml v3 gives {want}");
    }
}

#[test]
fn the_emitter_writes_what_go_yaml_v3_writes() {
    let vectors = vectors();
    for case in vectors["emit"].as_array().unwrap() {
        let value = from_json(case["value"].as_str().unwrap());
        let want = case["yaml"].as_str().unwrap();
        similar_asserts::assert_eq!(to_string(&value, KeyOrder::Sorted), want, "value {}", case["value"]);
    }
}

#[test]
fn what_the_emitter_writes_reads_back_the_same() {
    let vectors = vectors();
    for case in vectors["emit"].as_array().unwrap() {
        let value = from_json(case["value"].as_str().unwrap());
        let text = to_string(&value, KeyOrder::Sorted);
        let back: Value = from_str(&text).unwrap();
        // Numbers compare by value: v3 writes the float 1.0 as `1`, which
        // reads back as an integer, in helmfile too.
        assert_eq!(numbers_as_floats(to_json(&back)), numbers_as_floats(to_json(&value)), "round trip of {text}");
    }
}

fn numbers_as_floats(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Number(n) => serde_json::json!(n.as_f64()),
        serde_json::Value::Array(items) => items.into_iter().map(numbers_as_floats).collect(),
        serde_json::Value::Object(map) => map.into_iter().map(|(k, v)| (k, numbers_as_floats(v))).collect(),
        other => other,
    }
}

#[test]
fn special_floats() {
    assert!(matches!(untyped(".inf"), Value::Number(n) if n.as_f64() == Some(f64::INFINITY)));
    assert!(matches!(untyped("-.Inf"), Value::Number(n) if n.as_f64() == Some(f64::NEG_INFINITY)));
    assert!(matches!(untyped(".NaN"), Value::Number(n) if n.as_f64().unwrap().is_nan()));
}

#[test]
fn a_bad_tag_value_is_an_error() {
    let err = from_str::<Value>("x: !!int abc\n").unwrap_err();
    assert!(err.to_string().contains("cannot decode `abc` as a !!int"), "{err}");
}

#[derive(Debug, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
struct Typed {
    #[serde(default)]
    text: String,
    #[serde(default)]
    flag: Option<bool>,
    #[serde(default)]
    count: i64,
    #[serde(default)]
    list: Vec<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

#[test]
fn typed_fields_decode_as_go_structs_do() {
    let t: Typed =
        from_str("text: 1.10\nflag: yes\ncount: 0x10\nlist: [017, true, ~]\nlabels: {a: off, b: 2}\n").unwrap();
    assert_eq!(t.text, "1.10", "a string field keeps the literal text");
    assert_eq!(t.flag, Some(true), "YAML 1.1 spellings decode into a typed bool");
    assert_eq!(t.count, 16);
    assert_eq!(t.list, ["017", "true", ""]);
    assert_eq!(t.labels["a"], "off");
    assert_eq!(t.labels["b"], "2");
    let t: Typed = from_str("flag: \"off\"\n").unwrap();
    assert_eq!(t.flag, Some(false));
    let t: Typed = from_str("flag:\nlist:\nlabels:\n").unwrap();
    assert_eq!(t, Typed::default(), "null is the zero value");
}

#[test]
fn a_wrong_type_names_the_path_and_place() {
    let err = from_str::<Typed>("text: a\nflag: maybe\n").unwrap_err();
    assert_eq!(err.path_string(), "flag");
    assert_eq!((err.line, err.column), (Some(2), Some(7)));
    assert!(err.message().contains("expected a boolean"), "{err}");
    let err = from_str::<Typed>("count: 5m\n").unwrap_err();
    assert!(err.message().contains("expected an integer, found `5m`"), "{err}");
}

#[test]
fn unknown_fields_are_located_at_the_key() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Typed>,
    }
    let err = from_str::<Outer>("items:\n- text: a\n- text: b\n  flg: true\n").unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnknownField { field: "flg".into() });
    assert_eq!(err.path_string(), "items[1].flg");
    assert_eq!((err.line, err.column), (Some(4), Some(3)));
}

#[test]
fn merge_keys_follow_go_yaml_v3() {
    let text = "\
a: &a {x: 1, y: 1}
b: &b
  <<: *a
  y: 2
c:
  <<: *b
  z: 3
d:
  <<: [*b, {x: 9, w: 9}]
";
    let doc: BTreeMap<String, Value> = from_str(text).unwrap();
    let c: Value = serde_yaml_ng::from_str("{x: 1, y: 2, z: 3}").unwrap();
    assert_eq!(doc["c"], c, "a merge inside a merged anchor applies");
    let d: Value = serde_yaml_ng::from_str("{x: 1, y: 2, w: 9}").unwrap();
    assert_eq!(doc["d"], d, "the first merged mapping wins");
}

#[test]
fn duplicate_keys_are_errors() {
    let err = from_str::<Value>("a: 1\nb: 2\na: 3\n").unwrap_err();
    assert_eq!(err.kind, ErrorKind::DuplicateKey { key: "a".into(), first_line: 1 });
    assert_eq!(err.line, Some(3));
}

#[test]
fn an_alias_bomb_is_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10 {
        let prev = level - 1;
        text.push_str(&format!("a{level}: &a{level} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
    }
    let err = from_str::<Value>(&text).unwrap_err();
    assert!(err.message().contains("alias bomb"), "{err}");
}

#[test]
fn syntax_errors_have_a_place() {
    let err = from_str::<Value>("a: [1, 2\nb: 3\n").unwrap_err();
    assert!(matches!(err.kind, ErrorKind::Syntax(_)), "{err:?}");
    assert!(err.line.is_some());
}

#[test]
fn empty_documents() {
    assert_eq!(values_from_str("").unwrap(), Value::Mapping(Default::default()));
    assert_eq!(values_from_str("# only a comment\n").unwrap(), Value::Mapping(Default::default()));
    assert_eq!(from_str::<Typed>("").unwrap(), Typed::default());
}

#[test]
fn json_for_go_keeps_strings_strings() {
    let v: Value = from_str("{a: \"off\", b: off, c: 017, d: \"017\", e: 1.5, 1: x, true: y}").unwrap();
    let json = to_json(&v);
    assert_eq!(json, serde_json::json!({"a": "off", "b": "off", "c": 15, "d": "017", "e": 1.5, "1": "x", "true": "y"}));
}
