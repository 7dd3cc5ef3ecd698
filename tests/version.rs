//! `helmfire version`.

use crate::util::{Workspace, embedded_helm_version};

#[test]
fn version_json_names_the_embedded_sdk() {
    let ws = Workspace::new();
    let out = assert_success!(ws.run(&["version", "--output", "json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["helmfire"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["helm_sdk"], embedded_helm_version());
    assert!(v["go"].as_str().unwrap().starts_with("go1."), "{v}");
}

#[test]
fn version_text() {
    let ws = Workspace::new();
    let out = assert_success!(ws.run(&["version"]));
    assert!(out.contains(&format!("Helm SDK {}", embedded_helm_version())), "{out}");
}
