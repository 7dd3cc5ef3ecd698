//! The committed Rust bindings (src/helm/bindings.rs) must match the header
//! cgo wrote for this build. Regenerate with scripts/regen-bindings.sh.

use crate::util::repo_root;

/// The part of the header that defines the ABI, as the regen script digests
/// it: the preamble and the exported prototypes, without `#line` markers.
fn abi_digest(header: &str) -> String {
    let mut lines = Vec::new();
    let mut in_preamble = false;
    for line in header.lines() {
        if line.contains("Start of preamble") {
            in_preamble = true;
        }
        if (in_preamble || (line.starts_with("extern ") && line.contains("helmfire_"))) && !line.starts_with("#line") {
            lines.push(line);
        }
        if line.contains("End of preamble") {
            in_preamble = false;
        }
    }
    let mut text = lines.join("\n");
    text.push('\n');
    sha1_smol::Sha1::from(text).digest().to_string()
}

#[test]
fn committed_bindings_match_the_cgo_header() {
    let header = std::fs::read_to_string(env!("HELMFIRE_SHIM_HEADER")).expect("the header build.rs produced");
    let bindings = std::fs::read_to_string(repo_root().join("src/helm/bindings.rs")).unwrap();
    let recorded = bindings
        .lines()
        .find_map(|l| l.strip_prefix("// abi-digest: "))
        .expect("bindings.rs records the digest of the header it was generated from");
    assert_eq!(
        recorded,
        abi_digest(&header),
        "src/helm/bindings.rs is stale: the ABI in go-shim changed; run scripts/regen-bindings.sh"
    );
    // Every exported function is declared on the Rust side.
    for line in header.lines().filter(|l| l.starts_with("extern ") && l.contains("helmfire_")) {
        let name = line.split('(').next().unwrap().rsplit([' ', '*']).next().unwrap();
        assert!(bindings.contains(&format!("pub fn {name}(")), "bindings.rs lacks {name}");
    }
}
