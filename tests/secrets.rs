//! Secrets: sops-encrypted `secrets:` of environments and releases,
//! decrypted in memory, and vals `ref+` references resolved where helmfile
//! resolves them. Keys are made by the test (age-keygen), fixtures
//! encrypted by the sops CLI of the embedded sops version; renders are
//! compared with helm given the plaintext, and references with helmfile
//! itself (which resolves them in-process too, without plugins).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cluster;
use crate::util::{Workspace, age_keygen, chart, helm_template, helmfile_command, sops_cli};

/// An age key pair in a key file of its own.
struct AgeKey {
    file: PathBuf,
    recipient: String,
}

impl AgeKey {
    /// A new key, written to `dir/name`.
    fn new(dir: &Path, name: &str) -> AgeKey {
        std::fs::create_dir_all(dir).unwrap();
        let file = dir.join(name);
        let out = Command::new(age_keygen()).arg("-o").arg(&file).output().expect("run age-keygen");
        assert!(out.status.success(), "age-keygen: {}", String::from_utf8_lossy(&out.stderr));
        let text = std::fs::read_to_string(&file).unwrap();
        let recipient = text
            .lines()
            .find_map(|l| l.strip_prefix("# public key: "))
            .expect("age-keygen writes the public key")
            .to_string();
        AgeKey { file, recipient }
    }
}

/// Encrypts `plain` for `key` into `ws/rel` with the sops CLI, as a user
/// would (`sops --encrypt --age ...`). The plaintext only exists in a
/// directory outside the workspace, removed at once.
fn encrypt(ws: &Workspace, rel: &str, plain: &str, key: &AgeKey) {
    encrypt_as(ws, rel, plain, key, "yaml");
}

/// `encrypt` with sops's input and output types (`binary` is what sops
/// makes of a file it cannot parse, an HCL one for instance).
fn encrypt_as(ws: &Workspace, rel: &str, plain: &str, key: &AgeKey, kind: &str) {
    let (input, output) = if kind == "binary" { ("binary", "json") } else { (kind, kind) };
    let scratch = tempfile::tempdir().unwrap();
    let source = scratch.path().join("plain.yaml");
    std::fs::write(&source, plain).unwrap();
    let target = ws.path().join(rel);
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    let out = Command::new(sops_cli())
        .args(["--encrypt", "--input-type", input, "--output-type", output, "--age", &key.recipient, "--output"])
        .arg(&target)
        .arg(&source)
        .env("SOPS_AGE_KEY_FILE", &key.file)
        .output()
        .expect("run sops");
    assert!(out.status.success(), "sops --encrypt: {}", String::from_utf8_lossy(&out.stderr));
    let encrypted = std::fs::read_to_string(&target).unwrap();
    assert!(encrypted.contains("sops") && encrypted.contains("ENC["), "not encrypted: {encrypted}");
}

/// Markers only the plaintext of the fixtures holds.
const ENV_PASSWORD: &str = "env-pass-7f3a";
const RELEASE_TOKEN: &str = "rel-token-91bd";
const TEMPLATED: &str = "tmpl-5c2e";

/// A workspace with environment and release secrets for one release `app`
/// of the `secret-values` chart, its key in `keys/age.txt`.
fn secrets_workspace(namespace: &str) -> (Workspace, AgeKey) {
    let ws = Workspace::new();
    let key = AgeKey::new(&ws.path().join("keys"), "age.txt");
    ws.write("env-values.yaml", "db:\n  user: from-values\n  host: db.local\n");
    encrypt(&ws, "env-secrets.yaml", &format!("db:\n  user: from-secret\n  password: {ENV_PASSWORD}\n"), &key);
    encrypt(
        &ws,
        "release-secrets.yaml",
        &format!("secret:\n  token: {RELEASE_TOKEN}\nconfig:\n  mode: \"off\"\n"),
        &key,
    );
    encrypt(
        &ws,
        "release-secrets.yaml.gotmpl",
        &format!("secret:\n  release: '{{{{ .Release.Name }}}}-{TEMPLATED}'\n"),
        &key,
    );
    ws.write(
        "helmfile.yaml.gotmpl",
        &format!(
            "environments:\n  default:\n    values:\n    - env-values.yaml\n    secrets:\n    - env-secrets.yaml\n---\n\
             releases:\n- name: app\n  namespace: {namespace}\n  chart: {chart}\n  values:\n  - config:\n      host: {{{{ .Values.db.host }}}}\n      user: {{{{ .Values.db.user }}}}\n      mode: \"on\"\n    secret:\n      dbpassword: {{{{ .Values.db.password }}}}\n      token: placeholder\n  secrets:\n  - release-secrets.yaml\n  - release-secrets.yaml.gotmpl\n",
            chart = chart("secret-values").display()
        ),
    );
    (ws, key)
}

/// What helm renders for `app` given the plaintext helmfile would pass.
fn rendered_by_helm_from_plaintext(ws: &Workspace, namespace: &str) -> String {
    let scratch = tempfile::tempdir().unwrap();
    let values = scratch.path().join("values.yaml");
    std::fs::write(
        &values,
        format!(
            "config: {{host: db.local, user: from-secret, mode: \"on\"}}\nsecret: {{dbpassword: {ENV_PASSWORD}, token: placeholder}}\n"
        ),
    )
    .unwrap();
    let secrets = scratch.path().join("secrets.yaml");
    std::fs::write(&secrets, format!("secret:\n  token: {RELEASE_TOKEN}\nconfig:\n  mode: \"off\"\n")).unwrap();
    let templated = scratch.path().join("templated.yaml");
    std::fs::write(&templated, format!("secret:\n  release: 'app-{TEMPLATED}'\n")).unwrap();
    let chart = chart("secret-values");
    let args = [
        "app",
        chart.to_str().unwrap(),
        "-n",
        namespace,
        "-f",
        values.to_str().unwrap(),
        "-f",
        secrets.to_str().unwrap(),
        "-f",
        templated.to_str().unwrap(),
    ];
    helm_template(ws.path(), &args) + "\n"
}

#[test]
fn environment_and_release_secrets_render_as_helm_renders_their_plaintext() {
    let (ws, key) = secrets_workspace("apps");
    let ours = assert_success!(ws.helmfire().env("SOPS_AGE_KEY_FILE", &key.file).args(["template"]).output().unwrap());
    similar_asserts::assert_eq!(rendered_by_helm_from_plaintext(&ws, "apps"), ours);
    // The environment's secret overrides its values; the release's secrets
    // override its values, in order; a `.gotmpl` secret is rendered.
    assert!(
        ours.contains("user: \"from-secret\"") && ours.contains(&format!("dbpassword: \"{ENV_PASSWORD}\"")),
        "{ours}"
    );
    assert!(ours.contains(&format!("token: \"{RELEASE_TOKEN}\"")) && ours.contains("mode: \"off\""), "{ours}");
    assert!(ours.contains(&format!("release: \"app-{TEMPLATED}\"")), "{ours}");
}

#[test]
fn a_key_that_opens_nothing_is_named_with_the_file_and_how_to_provide_one() {
    let (ws, _key) = secrets_workspace("apps");
    let stranger = AgeKey::new(&ws.path().join("keys"), "stranger.txt");
    let out = ws.helmfire().env("SOPS_AGE_KEY_FILE", &stranger.file).args(["template"]).output().unwrap();
    assert_clean_failure!(
        out,
        "env-secrets.yaml",
        "helmfile.yaml.gotmpl",
        "environment `default`",
        "SOPS_AGE_KEY_FILE"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains(ENV_PASSWORD) && !stderr.contains(RELEASE_TOKEN), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing is rendered when a secret fails");

    // No key at all: the same sentence, naming the places keys come from.
    let out = ws.helmfire().env("HOME", ws.path()).env_remove("SOPS_AGE_KEY_FILE").args(["template"]).output().unwrap();
    assert_clean_failure!(out, "cannot decrypt", "env-secrets.yaml", "SOPS_AGE_KEY");
}

#[test]
fn a_release_secrets_file_that_is_not_encrypted_or_missing_is_refused() {
    let (ws, key) = secrets_workspace("apps");
    ws.write("release-secrets.yaml", "secret:\n  token: plain\n");
    let out = ws.helmfire().env("SOPS_AGE_KEY_FILE", &key.file).args(["template"]).output().unwrap();
    assert_clean_failure!(out, "release `app`", "release-secrets.yaml", "not encrypted with sops");

    std::fs::remove_file(ws.path().join("release-secrets.yaml")).unwrap();
    let out = ws.helmfire().env("SOPS_AGE_KEY_FILE", &key.file).args(["template"]).output().unwrap();
    assert_clean_failure!(out, "release `app`", "secrets file matching \"release-secrets.yaml\" does not exist");
}

/// Every file under `dir` whose bytes contain one of `markers`.
fn files_containing(dir: &Path, markers: &[&str], skip: &[&Path]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return found };
    for entry in entries.flatten() {
        let path = entry.path();
        if skip.iter().any(|s| path == *s) {
            continue;
        }
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            found.extend(files_containing(&path, markers, skip));
        } else if kind.is_file() {
            let bytes = std::fs::read(&path).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            if markers.iter().any(|m| text.contains(m)) {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn no_decrypted_value_reaches_the_disk_a_log_or_debug_output() {
    let (ws, key) = secrets_workspace("apps");
    let tmp = ws.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let run = |args: &[&str]| {
        ws.helmfire().env("SOPS_AGE_KEY_FILE", &key.file).env("TMPDIR", &tmp).args(args).output().unwrap()
    };
    let markers = [ENV_PASSWORD, RELEASE_TOKEN, TEMPLATED];

    let out = run(&["--debug", "template"]);
    assert_success!(out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!markers.iter().any(|m| stderr.contains(m)), "--debug shows a secret:\n{stderr}");
    let out = run(&["--debug", "lint"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!markers.iter().any(|m| stderr.contains(m)), "lint shows a secret:\n{stderr}");
    // `build --embed-values` shows release secrets as they are on disk:
    // encrypted, as helmfile does. The environment's secrets are
    // environment values once loaded: build shows them in `renderedvalues`
    // (and wherever the state's templates put them), as helmfile does.
    let built = assert_success!(run(&["build", "--embed-values"]));
    assert!(!built.contains(RELEASE_TOKEN) && !built.contains(TEMPLATED), "build decrypted a release secret:\n{built}");
    assert!(built.contains("ENC[") && built.contains(ENV_PASSWORD), "{built}");

    // write-values writes the decrypted values, as helmfile does, but
    // readable by the owner only.
    let out_dir = ws.path().join("written");
    let template = format!("{}/{{{{ .Release.Name }}}}.yaml", out_dir.display());
    assert_success!(run(&["write-values", "--output-file-template", &template]));
    let written = out_dir.join("app.yaml");
    let text = std::fs::read_to_string(&written).unwrap();
    assert!(text.contains(RELEASE_TOKEN) && text.contains(ENV_PASSWORD), "{text}");
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(std::fs::metadata(&written).unwrap().permissions().mode() & 0o777, 0o600);

    let leaked = files_containing(ws.path(), &markers, &[&out_dir]);
    assert!(leaked.is_empty(), "decrypted values on disk: {leaked:?}");
}

/// A workspace where references appear in every place helmfile resolves
/// them (and one where it does not: a values file without `ref+`, whose
/// `on` helm reads as a boolean).
fn references_workspace() -> (Workspace, AgeKey) {
    let ws = Workspace::new();
    let key = AgeKey::new(&ws.path().join("keys"), "age.txt");
    let kinds = chart("kinds");
    ws.write("creds.yaml", "db:\n  password: file-pass\n  port: 5432\n");
    encrypt(&ws, "sops-creds.yaml", "api:\n  token: sops-token\n", &key);
    ws.write(
        "with-ref.yaml",
        "password: ref+file://creds.yaml#/db/password\nport: ref+file://creds.yaml#/db/port\nflag: on\nquoted: \"on\"\n",
    );
    ws.write("without-ref.yaml", "flag: on\nquoted: \"on\"\n");
    ws.write(
        "values.yaml.gotmpl",
        "fetched: {{ fetchSecretValue \"ref+envsubst://$HELMFIRE_REF_A\" }}\n\
         {{ $refs := dict \"one\" \"ref+echo://expanded-one\" \"two\" \"ref+file://creds.yaml#/db/port\" }}\
         expanded: {{ expandSecretRefs $refs | toJson }}\n\
         later: ref+envsubst://$HELMFIRE_REF_B\n",
    );
    ws.write(
        "helmfile.yaml.gotmpl",
        &format!(
            "environments:\n  default:\n    values:\n    - envref: ref+envsubst://$HELMFIRE_REF_A\n---\n\
             releases:\n\
             - name: inline\n  chart: {c}\n  values:\n  - whole: ref+envsubst://$HELMFIRE_REF_A\n    embedded: \"user:ref+envsubst://$HELMFIRE_REF_B+@host\"\n    number: ref+file://creds.yaml#/db/port\n    viaenv: {{{{ .Values.envref }}}}\n    nested:\n      deep: ref+echo://deep-value\n    sops: ref+sops://sops-creds.yaml#/api/token\n\
             - name: files\n  chart: {c}\n  values:\n  - with-ref.yaml\n  - without-ref.yaml\n\
             - name: gotmpl\n  chart: {c}\n  values:\n  - values.yaml.gotmpl\n\
             - name: set\n  chart: {c}\n  set:\n  - name: a\n    value: ref+envsubst://$HELMFIRE_REF_A\n  - name: list\n    values: [ref+echo://item-one, two]\n  setString:\n  - name: port\n    value: ref+file://creds.yaml#/db/port\n",
            c = kinds.display()
        ),
    );
    (ws, key)
}

#[test]
fn references_resolve_where_and_as_helmfile_resolves_them() {
    let (ws, key) = references_workspace();
    let environment = |cmd: &mut Command| {
        cmd.env("HELMFIRE_REF_A", "env-a")
            .env("HELMFIRE_REF_B", "env-b")
            .env("SOPS_AGE_KEY_FILE", &key.file)
            .args(["template", "--skip-deps"]);
    };
    let mut ours = ws.helmfire();
    environment(&mut ours);
    let ours = assert_success!(ours.output().unwrap());
    let mut theirs = helmfile_command(ws.path());
    environment(&mut theirs);
    let theirs = assert_success!(theirs.output().unwrap());
    similar_asserts::assert_eq!(theirs, ours);
    for expected in [
        "whole: \"string=env-a\"",
        "embedded: \"string=user:env-b@host\"",
        "number: \"float64=5432\"",
        "viaenv: \"string=env-a\"",
        "sops: \"string=sops-token\"",
        "password: \"string=file-pass\"",
        "fetched: \"string=env-a\"",
        "later: \"string=env-b\"",
        "a: \"string=env-a\"",
        "port: \"string=5432\"",
    ] {
        assert!(ours.contains(expected), "{expected} missing:\n{ours}");
    }
    assert!(!ours.contains("ref+"), "a reference reached the chart:\n{ours}");
}

#[test]
fn a_reference_that_fails_names_the_reference_and_the_release_and_deploys_nothing() {
    let ws = Workspace::new();
    ws.write(
        "helmfile.yaml",
        &format!(
            "releases:\n- name: r\n  chart: {}\n  values:\n  - password: ref+file://absent-creds.yaml#/db/password\n",
            chart("kinds").display()
        ),
    );
    let out = ws.run(&["template", "--skip-deps"]);
    assert_clean_failure!(out, "release `r`", "absent-creds.yaml", "helmfile.yaml");
    assert!(out.stdout.is_empty());
}

#[test]
fn sync_and_diff_deploy_a_secret_backed_value_to_the_cluster() {
    let ns = cluster::namespace("secrets");
    let (ws, key) = secrets_workspace(&ns);
    let with_key = |args: &[&str]| {
        ws.helmfire()
            .env("KUBECONFIG", cluster::kubeconfig())
            .env("SOPS_AGE_KEY_FILE", &key.file)
            .args(args)
            .output()
            .unwrap()
    };
    // A wrong key deploys nothing.
    let stranger = AgeKey::new(&ws.path().join("keys"), "stranger.txt");
    let out = ws
        .helmfire()
        .env("KUBECONFIG", cluster::kubeconfig())
        .env("SOPS_AGE_KEY_FILE", &stranger.file)
        .args(["sync"])
        .output()
        .unwrap();
    assert_clean_failure!(out, "env-secrets.yaml");
    assert!(cluster::helm_list(&ws, &ns).is_empty(), "a release was deployed without its secrets");

    assert_success!(with_key(&["sync"]));
    let secret: serde_json::Value =
        serde_json::from_str(&cluster::api("GET", &format!("/api/v1/namespaces/{ns}/secrets/app"), "")).unwrap();
    let decode = |field: &str| {
        use base64::Engine as _;
        let encoded = secret["data"][field].as_str().unwrap_or_else(|| panic!("no {field} in {secret}"));
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded).unwrap()).unwrap()
    };
    assert_eq!(decode("dbpassword"), ENV_PASSWORD);
    assert_eq!(decode("token"), RELEASE_TOKEN);

    // Nothing changed: no diff. A changed secret: the diff says the Secret
    // changed without showing it.
    let diff = with_key(&["diff", "--detailed-exitcode"]);
    assert_eq!(diff.status.code(), Some(0), "{}", String::from_utf8_lossy(&diff.stdout));
    encrypt(&ws, "release-secrets.yaml", "secret:\n  token: rotated-token-0d1e\nconfig:\n  mode: \"off\"\n", &key);
    let diff = with_key(&["diff", "--detailed-exitcode"]);
    assert_eq!(diff.status.code(), Some(2));
    let shown = String::from_utf8_lossy(&diff.stdout);
    assert!(
        shown.contains("Secret") && !shown.contains("rotated-token-0d1e") && !shown.contains(RELEASE_TOKEN),
        "{shown}"
    );
}

#[test]
fn an_encrypted_document_written_inline_among_secrets_is_decrypted_in_memory() {
    let ws = Workspace::new();
    let key = AgeKey::new(&ws.path().join("keys"), "age.txt");
    // Keys out of alphabetical order: the document is handed to sops in the
    // order it was encrypted, or its MAC would not match.
    encrypt(&ws, "encrypted.yaml", &format!("secret:\n  token: {RELEASE_TOKEN}\nconfig:\n  mode: \"off\"\n"), &key);
    let encrypted = std::fs::read_to_string(ws.path().join("encrypted.yaml")).unwrap();
    std::fs::remove_file(ws.path().join("encrypted.yaml")).unwrap();
    let inline: String = encrypted.lines().map(|l| format!("    {l}\n")).collect();
    let state = |secrets: &str| {
        format!(
            "releases:\n- name: app\n  namespace: apps\n  chart: {}\n  values:\n  - secret: {{token: placeholder}}\n  secrets:\n{secrets}",
            chart("secret-values").display()
        )
    };
    ws.write("helmfile.yaml", &state(&format!("  - {}", inline.trim_start())));

    let ours = assert_success!(ws.helmfire().env("SOPS_AGE_KEY_FILE", &key.file).args(["template"]).output().unwrap());
    assert!(ours.contains(&format!("token: \"{RELEASE_TOKEN}\"")) && ours.contains("mode: \"off\""), "{ours}");

    // Without the key: one sentence naming the release and the entry.
    let other = AgeKey::new(&ws.path().join("other"), "age.txt");
    let refused = ws.helmfire().env("SOPS_AGE_KEY_FILE", &other.file).args(["template"]).output().unwrap();
    assert_clean_failure!(refused, "release `app`", "secrets[0] (an inline document)", "helmfile.yaml");
    assert!(!String::from_utf8_lossy(&refused.stderr).contains(RELEASE_TOKEN));
}

#[test]
fn hcl_environment_secrets_are_evaluated_with_the_hcl_values_in_memory() {
    let ws = Workspace::new();
    let key = AgeKey::new(&ws.path().join("keys"), "age.txt");
    encrypt_as(
        &ws,
        "secrets.hcl",
        &format!("values {{\n  user = \"admin\"\n  token = \"{RELEASE_TOKEN}\"\n}}\n"),
        &key,
        "binary",
    );
    ws.write("values.hcl", "values {\n  greeting = \"hello ${hv.user}\"\n}\n");
    ws.write(
        "helmfile.yaml.gotmpl",
        &format!(
            "environments:\n  default:\n    values:\n    - values.hcl\n    secrets:\n    - secrets.hcl\n---\nreleases:\n- name: app\n  namespace: apps\n  chart: {}\n  values:\n  - secret:\n      token: {{{{ .Values.token }}}}\n    config:\n      user: {{{{ .Values.greeting | quote }}}}\n",
            chart("secret-values").display()
        ),
    );
    let out = ws.helmfire().env("SOPS_AGE_KEY_FILE", &key.file).args(["template"]).output().unwrap();
    let stdout = assert_success!(out);
    // The secrets file is evaluated with the values file: each sees the other's names.
    assert!(stdout.contains(&format!("token: \"{RELEASE_TOKEN}\"")), "{stdout}");
    assert!(stdout.contains("user: \"hello admin\""), "{stdout}");
    // Nothing decrypted was written beside it.
    let mut written: Vec<_> =
        std::fs::read_dir(ws.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    written.sort();
    assert_eq!(written, ["helmfile.yaml.gotmpl", "keys", "secrets.hcl", "values.hcl"]);

    // Without the key: the file is named, no value is quoted.
    let other = AgeKey::new(&ws.path().join("other"), "age.txt");
    let refused = ws.helmfire().env("SOPS_AGE_KEY_FILE", &other.file).args(["template"]).output().unwrap();
    assert_clean_failure!(refused, "secrets.hcl");
    assert!(!String::from_utf8_lossy(&refused.stderr).contains(RELEASE_TOKEN));
}
