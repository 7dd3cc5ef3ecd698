//! Builds go-shim/ into a static C archive with `go build -buildmode=c-archive`
//! and links it. The Rust declarations of its ABI are not generated here: they
//! are committed in src/helm/bindings.rs (regenerate with
//! `scripts/regen-bindings.sh`), so a build needs Go and a C compiler but no
//! libclang. A test checks that they still match the header built here.

use std::env;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Oldest Go that builds the shim: the `go` line of go-shim/go.mod.
const GO_MOD: &str = "go-shim/go.mod";
/// Set to a directory holding a prebuilt libhelmshim.a (and libhelmshim.h) to
/// skip the Go build, e.g. in a cross-compilation pipeline.
const PREBUILT_ENV: &str = "HELMFIRE_SHIM_PREBUILT";
/// Set to the go binary to use when it is not `go` on PATH.
const GO_ENV: &str = "HELMFIRE_GO";
/// Set to a comma-separated list of vals provider groups (`aws,gcp,vault`)
/// to compile only those secret backends, leaving the others' cloud SDKs
/// out of the binary; `none` keeps only echo, file, envsubst and exec.
/// Unset or `all`: every provider, as helmfile has.
const SECRET_PROVIDERS_ENV: &str = "HELMFIRE_SECRET_PROVIDERS";
/// The groups vals compiles in by build tag (its register_*.go files).
const SECRET_PROVIDER_GROUPS: &[&str] = &[
    "aws",
    "azure",
    "bitwarden",
    "conjur",
    "doppler",
    "gcp",
    "gitlab",
    "hcpvaultsecrets",
    "httpjson",
    "infisical",
    "k8s",
    "keychain",
    "oci",
    "onepassword",
    "openbao",
    "pulumi",
    "scaleway",
    "secretserver",
    "servercore",
    "sops",
    "terraform",
    "vault",
    "yandex",
];

struct BuildError(String);

impl fmt::Debug for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Printed by Cargo when main returns Err: keep it to the sentence.
        f.write_str(&self.0)
    }
}

fn main() -> Result<(), BuildError> {
    let out_dir =
        PathBuf::from(env::var("OUT_DIR").map_err(|_| BuildError("OUT_DIR is not set; run through cargo".into()))?);
    println!("cargo:rerun-if-env-changed={PREBUILT_ENV}");
    println!("cargo:rerun-if-env-changed={GO_ENV}");
    println!("cargo:rerun-if-env-changed={SECRET_PROVIDERS_ENV}");

    let lib_dir = match env::var_os(PREBUILT_ENV) {
        Some(dir) => PathBuf::from(dir),
        None => {
            watch_shim_sources(Path::new("go-shim"))?;
            build_shim(&out_dir)?;
            out_dir.clone()
        }
    };
    // `helmfire version` says how it was linked; the tests that run the
    // binary in an empty root exist only for a static build.
    println!("cargo:rustc-env=HELMFIRE_LINKAGE={}", if static_crt() { "static" } else { "dynamic" });
    println!("cargo::rustc-check-cfg=cfg(helmfire_static)");
    if static_crt() {
        println!("cargo:rustc-cfg=helmfire_static");
    }
    println!("cargo:rustc-env=HELMFIRE_SHIM_HEADER={}", lib_dir.join("libhelmshim.h").display());
    println!("cargo:rustc-link-search=native={}", lib_dir.display());
    println!("cargo:rustc-link-lib=static=helmshim");
    // What a Go c-archive needs from the C library on Linux. A static
    // binary gets them from the static C library Rust's std already links,
    // and a `dylib` request there would pull the shared objects back in
    // (a dynamic section the static start-up code cannot relocate).
    if !static_crt() {
        for lib in ["pthread", "dl", "m", "resolv"] {
            println!("cargo:rustc-link-lib=dylib={lib}");
        }
    }
    Ok(())
}

fn build_shim(out_dir: &Path) -> Result<(), BuildError> {
    let go = env::var(GO_ENV).unwrap_or_else(|_| "go".to_string());
    let go_mod = std::fs::read_to_string(GO_MOD).map_err(|e| BuildError(format!("cannot read {GO_MOD}: {e}")))?;
    let required = go_directive(&go_mod).ok_or_else(|| BuildError(format!("{GO_MOD} has no `go` line")))?;
    let found = installed_go_version(&go)?;
    if version_tuple(&found) < version_tuple(&required) {
        return Err(BuildError(format!(
            "helmfire needs Go {required} or newer to build go-shim/, but `{go}` is Go {found}: install a newer Go or point {GO_ENV} at one"
        )));
    }
    let helm_version = module_version(&go_mod, "helm.sh/helm/v4")
        .ok_or_else(|| BuildError(format!("{GO_MOD} does not require helm.sh/helm/v4")))?;

    let (goos, goarch) = go_target()?;
    // A static binary has no NSS modules to load: Go's own resolver and user
    // lookup replace glibc's, which would otherwise dlopen them at run time.
    let mut tags: Vec<&str> = if static_crt() { vec!["netgo", "osusergo"] } else { vec![] };
    let providers = env::var(SECRET_PROVIDERS_ENV).unwrap_or_default();
    tags.extend(secret_provider_tags(&providers)?);
    let tags = tags.join(",");
    let archive = out_dir.join("libhelmshim.a");
    // The SDK reports its own version from a variable helm's release builds
    // set at link time; set it the same way so .Capabilities.HelmVersion in
    // templates matches the helm CLI of the same version.
    let ldflags = format!("-X helm.sh/helm/v4/internal/version.version={helm_version}");
    let status = Command::new(&go)
        .args(["build", "-trimpath", "-buildmode=c-archive", "-tags", &tags, "-ldflags", &ldflags, "-o"])
        .arg(&archive)
        .arg(".")
        .current_dir("go-shim")
        .env("CGO_ENABLED", "1")
        .env("GOOS", goos)
        .env("GOARCH", goarch)
        .status()
        .map_err(|e| BuildError(format!("running `{go} build` failed: {e}")))?;
    if !status.success() {
        return Err(BuildError(format!(
            "`{go} build -buildmode=c-archive` of go-shim/ failed ({status}); see the Go errors above"
        )));
    }
    Ok(())
}

/// The Go build tags that select vals' providers from the value of
/// HELMFIRE_SECRET_PROVIDERS: `custom_providers` and one tag per group,
/// every group when it is unset or `all`. Tags are listed even for every
/// group because one group is not vals': `yandex` is served by helmfire's
/// own client (go-shim/internal/secrets/yclockbox), whose tag keeps vals'
/// provider, and the Yandex Cloud SDK it builds, out of the binary.
fn secret_provider_tags(value: &str) -> Result<Vec<&'static str>, BuildError> {
    let value = value.trim();
    let mut tags = vec!["custom_providers"];
    if value.is_empty() || value == "all" {
        tags.extend(SECRET_PROVIDER_GROUPS.iter().map(|group| go_tag(group)));
        return Ok(tags);
    }
    if value == "none" {
        return Ok(tags);
    }
    for group in value.split(',').map(str::trim).filter(|g| !g.is_empty()) {
        let Some(known) = SECRET_PROVIDER_GROUPS.iter().find(|known| **known == group) else {
            return Err(BuildError(format!(
                "{SECRET_PROVIDERS_ENV} names `{group}`, which is not a secret provider group; use `all`, `none` or a comma-separated list of: {}",
                SECRET_PROVIDER_GROUPS.join(", ")
            )));
        };
        tags.push(go_tag(known));
    }
    Ok(tags)
}

/// The build tag of a provider group: vals' register_*.go tag, but
/// go-shim's own for the group it serves itself.
fn go_tag(group: &'static str) -> &'static str {
    match group {
        "yandex" => "helmfire_yandex",
        vals_group => vals_group,
    }
}

/// Whether the binary links the C library statically
/// (`-C target-feature=+crt-static`; scripts/build-static and scripts/test
/// set it).
fn static_crt() -> bool {
    env::var("CARGO_CFG_TARGET_FEATURE").is_ok_and(|features| features.split(',').any(|f| f == "crt-static"))
}

/// Maps Cargo's target to Go's names. glibc Linux is the supported target:
/// c-archives crash at start under musl (golang/go#13492).
fn go_target() -> Result<(&'static str, &'static str), BuildError> {
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let env_ = env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let goos = match os.as_str() {
        "linux" if env_ != "musl" => "linux",
        "macos" => "darwin",
        other => {
            return Err(BuildError(format!(
                "helmfire does not build for target OS `{other}` ({env_}); build for a glibc Linux or macOS target"
            )));
        }
    };
    let goarch = match arch.as_str() {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => {
            return Err(BuildError(format!(
                "helmfire does not build for target architecture `{other}`; build for x86_64 or aarch64"
            )));
        }
    };
    Ok((goos, goarch))
}

fn installed_go_version(go: &str) -> Result<String, BuildError> {
    let missing = || {
        BuildError(format!(
            "helmfire needs Go to build go-shim/, and `{go}` was not found: install Go (see README.md) or set {GO_ENV}"
        ))
    };
    let out = Command::new(go).args(["env", "GOVERSION"]).output().map_err(|_| missing())?;
    if !out.status.success() {
        return Err(missing());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text.trim().trim_start_matches("go").to_string())
}

fn go_directive(go_mod: &str) -> Option<String> {
    go_mod.lines().find_map(|l| l.strip_prefix("go ").map(|v| v.trim().to_string()))
}

fn module_version(go_mod: &str, module: &str) -> Option<String> {
    go_mod.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        let first = words.next()?;
        let (name, version) = if first == "require" { (words.next()?, words.next()?) } else { (first, words.next()?) };
        (name == module).then(|| version.to_string())
    })
}

fn version_tuple(v: &str) -> Vec<u64> {
    v.split(['.', '-', 'r', 'b']).take(3).map(|p| p.parse().unwrap_or(0)).collect()
}

fn watch_shim_sources(dir: &Path) -> Result<(), BuildError> {
    let entries = std::fs::read_dir(dir).map_err(|e| BuildError(format!("cannot read {}: {e}", dir.display())))?;
    println!("cargo:rerun-if-changed={}", dir.display());
    for entry in entries.flatten() {
        let path = entry.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if path.is_dir() {
            watch_shim_sources(&path)?;
        } else if !name.ends_with("_test.go")
            && matches!(path.extension().and_then(|e| e.to_str()), Some("go" | "c" | "h" | "mod" | "sum"))
        {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    Ok(())
}
