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

/// The default build carries every vals provider and says so; a build with
/// HELMFIRE_SECRET_PROVIDERS lists the groups it kept (build.rs).
#[test]
fn version_says_which_secret_providers_are_compiled_in() {
    let ws = Workspace::new();
    let json = assert_success!(ws.run(&["version", "--output", "json"]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let text = assert_success!(ws.run(&["version"]));
    match option_env!("HELMFIRE_SECRET_PROVIDERS").map(str::trim) {
        None | Some("" | "all") => {
            assert!(v["secret_providers"].is_null(), "{v}");
            assert!(text.contains("secret providers (ref+): all\n"), "{text}");
        }
        Some(_) => {
            assert!(v["secret_providers"].is_array(), "{v}");
            assert!(text.contains("(and echo, file, envsubst, exec)") || text.contains("exec only"), "{text}");
        }
    }
}
