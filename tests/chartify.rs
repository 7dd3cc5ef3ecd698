//! chartify's rewrites of a release's rendered manifests: `jsonPatches`,
//! `strategicMergePatches`, `transformers` and `forceNamespace`, compared
//! with helmfile v1.8.0 (which runs chartify with the kustomize CLI of the
//! kustomize library helmfire embeds).

use crate::chart_repo::ChartRepo;
use crate::util::{Workspace, chart, helm_cli, helmfile_command, kustomize_cli};

/// Two ConfigMaps from the `raw` chart, one with a namespace of its own.
const VALUES: &str = "  values:\n  - templates:\n    - |\n      apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: first\n        annotations:\n          drop: me\n      data:\n        a: one\n    - |\n      apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: second\n        namespace: elsewhere\n      data:\n        b: two\n";

fn workspace(release_keys: &str) -> Workspace {
    let ws = Workspace::new();
    let chart = ws.chart_copy("raw-0.1.0");
    ws.write("helmfile.yaml", &format!("releases:\n- name: app\n  chart: {}\n{VALUES}{release_keys}", chart.display()));
    ws
}

/// `template` by helmfire and by helmfile (with kustomize on its PATH),
/// both succeeding.
fn both(ws: &Workspace) -> (String, String) {
    let ours = assert_success!(ws.run(&["template", "--skip-deps"]));
    let theirs = assert_success!(
        helmfile_command(ws.path()).env("PATH", oracle_path()).args(["template", "--skip-deps"]).output().unwrap()
    );
    (ours, theirs)
}

/// A PATH with the kustomize and helm CLIs helmfile runs.
fn oracle_path() -> String {
    format!("{}:{}:/usr/bin:/bin", kustomize_cli().parent().unwrap().display(), helm_cli().parent().unwrap().display())
}

#[test]
fn json_patches_then_strategic_merge_patches_as_helmfile_applies_them() {
    let ws = workspace(
        "  jsonPatches:\n  - target:\n      version: v1\n      kind: ConfigMap\n      name: first\n    patch:\n    - op: remove\n      path: /metadata/annotations/drop\n    - op: add\n      path: /data/added\n      value: by-json\n\
         \x20 - jsonpatch.yaml\n\
         \x20 strategicMergePatches:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: first\n    data:\n      added: by-strategic-merge\n",
    );
    ws.write(
        "jsonpatch.yaml",
        "target:\n  kind: ConfigMap\n  name: second\npatch:\n- op: replace\n  path: /data/b\n  value: from-a-file\n",
    );
    let (ours, theirs) = both(&ws);
    similar_asserts::assert_eq!(theirs, ours);
    assert!(ours.contains("added: by-strategic-merge") && ours.contains("b: from-a-file"), "{ours}");
    assert!(!ours.contains("drop: me"), "{ours}");
}

#[test]
fn transformers_inline_and_from_files_as_helmfile_applies_them() {
    let ws = workspace(
        "  transformers:\n  - apiVersion: builtin\n    kind: AnnotationsTransformer\n    metadata:\n      name: notes\n    annotations:\n      team: platform\n    fieldSpecs:\n    - path: metadata/annotations\n      create: true\n\
         \x20 - labels.yaml\n",
    );
    ws.write(
        "labels.yaml",
        "apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: labels\nlabels:\n  tier: backend\nfieldSpecs:\n- path: metadata/labels\n  create: true\n",
    );
    let (ours, theirs) = both(&ws);
    similar_asserts::assert_eq!(theirs, ours);
    assert_eq!(ours.matches("team: platform").count(), 2, "{ours}");
    assert_eq!(ours.matches("tier: backend").count(), 2, "{ours}");
}

#[test]
fn force_namespace_fills_in_only_missing_namespaces_as_helmfile_does() {
    let ws = workspace("  forceNamespace: forced\n");
    let (ours, theirs) = both(&ws);
    similar_asserts::assert_eq!(theirs, ours);
    assert!(ours.contains("namespace: forced") && ours.contains("namespace: elsewhere"), "{ours}");
}

#[test]
fn a_json_patch_without_operations_is_named() {
    let ws = workspace("  jsonPatches:\n  - target:\n      kind: ConfigMap\n    path: ops.yaml\n");
    assert_clean_failure!(ws.run(&["template", "--skip-deps"]), "jsonPatches", "`path`", "`patch`");
    let ws = workspace("  jsonPatches:\n  - patches.yaml.gotmpl\n");
    assert_clean_failure!(ws.run(&["list"]), "jsonPatches", "patches.yaml.gotmpl", "does not exist");
}

#[test]
fn a_kustomize_directory_is_a_chart_as_helmfile_makes_it() {
    let ws = Workspace::new();
    ws.write("app/kustomization.yaml", "resources:\n- deployment.yaml\n- service.yaml\ncommonLabels:\n  app: web\n");
    ws.write(
        "app/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n",
    );
    ws.write(
        "app/service.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n",
    );
    ws.write("kustomize-values.yaml", "images:\n- name: nginx\n  newTag: \"1.27\"\nnamePrefix: prod-\n");
    ws.write(
        "helmfile.yaml",
        "releases:\n- name: web\n  namespace: shop\n  chart: ./app\n  values:\n  - kustomize-values.yaml\n",
    );
    let (ours, theirs) = both(&ws);
    // helmfile's output starts with an empty line here: the kustomize CLI's
    // (empty) output leaking to stdout, which helmfire has no reason to copy.
    similar_asserts::assert_eq!(theirs.strip_prefix('\n').unwrap_or(&theirs), ours);
    assert!(ours.contains("name: prod-web") && ours.contains("image: nginx:1.27"), "{ours}");
    assert!(ours.contains("namespace: shop"), "{ours}");

    // `set` does not apply to a kustomize directory (helmfile refuses it too).
    ws.write("helmfile.yaml", "releases:\n- name: web\n  chart: ./app\n  set:\n  - name: namePrefix\n    value: x-\n");
    assert_clean_failure!(ws.run(&["template", "--skip-deps"]), "kustomize directory", "set");
}

#[test]
fn a_directory_of_manifests_is_a_chart_as_helmfile_makes_it() {
    let ws = Workspace::new();
    ws.write("manifests/config.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  k: v\n");
    ws.write(
        "manifests/nested/secret.yml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: kept\n  namespace: own\nstringData:\n  s: t\n",
    );
    ws.write(
        "manifests/templated.yaml.gotmpl",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-templated\ndata:\n  region: {{ .Values.region }}\n",
    );
    ws.write(
        "helmfile.yaml.gotmpl",
        "environments:\n  default:\n    values:\n    - region: eu\n---\nreleases:\n- name: app\n  namespace: team\n  chart: ./manifests\n",
    );
    let (ours, theirs) = both(&ws);
    similar_asserts::assert_eq!(theirs, ours);
    assert!(ours.contains("name: app-templated") && ours.contains("region: eu"), "{ours}");
    assert!(ours.contains("namespace: team") && ours.contains("namespace: own"), "{ours}");
}

#[test]
fn templated_patch_files_render_with_the_release_as_helmfile_renders_them() {
    let ws = workspace(
        "  jsonPatches:\n  - jsonpatch.yaml.gotmpl\n  strategicMergePatches:\n  - smp.yaml.gotmpl\n  transformers:\n  - labels.yaml.gotmpl\n",
    );
    ws.write(
        "labels.yaml.gotmpl",
        "apiVersion: builtin\nkind: LabelTransformer\nmetadata:\n  name: labels\nlabels:\n  owner: {{ .Release.Name }}\nfieldSpecs:\n- path: metadata/labels\n  create: true\n",
    );
    ws.write(
        "jsonpatch.yaml.gotmpl",
        "target:\n  kind: ConfigMap\n  name: second\npatch:\n- op: replace\n  path: /data/b\n  value: {{ .Release.Name }}-in-{{ .Environment.Name }}\n",
    );
    ws.write(
        "smp.yaml.gotmpl",
        // helmfile's patch data: .Values holds the release's own values too.
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: first\ndata:\n  release: {{ .Release.Name | quote }}\n  templates: {{ len .Values.templates | quote }}\n",
    );
    let (ours, theirs) = both(&ws);
    similar_asserts::assert_eq!(theirs, ours);
    assert!(ours.contains("-in-default"), "{ours}");
    assert!(ours.contains("templates: \"2\""), "{ours}");
    assert_eq!(ours.matches("owner: app").count(), 2, "{ours}");
}

#[test]
fn templated_patch_files_are_rendered_only_by_commands_that_build_charts() {
    let ws = workspace("  strategicMergePatches:\n  - smp.yaml.gotmpl\n");
    ws.write("smp.yaml.gotmpl", "{{ fail \"rendered too early\" }}\n");
    // helmfile's list and build do not render them either.
    assert_success!(ws.run(&["list"]));
    assert_success!(ws.run(&["build"]));
    assert_clean_failure!(ws.run(&["template", "--skip-deps"]), "rendered too early");
}

#[test]
fn a_kustomization_inflating_helm_charts_renders_as_helmfile_with_helm_renders_it() {
    // kustomize pulls and renders `helmCharts:` with a helm command; helmfire
    // is that command itself (no helm binary), helmfile runs the helm CLI.
    let repo = ChartRepo::serve(&[chart("raw-0.1.0")], None);
    let ws = Workspace::new();
    ws.write(
        "base/kustomization.yaml",
        &format!(
            "helmCharts:\n- name: raw\n  repo: {}\n  version: 0.1.0\n  releaseName: inflated\n  valuesInline:\n    templates:\n    - |\n      apiVersion: v1\n      kind: ConfigMap\n      metadata:\n        name: {{{{ .Release.Name }}}}-in-{{{{ .Release.Namespace }}}}\n      data:\n        chart: {{{{ .Chart.Name }}}}\nresources:\n- extra.yaml\n",
            repo.url
        ),
    );
    ws.write("base/extra.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: beside\n");
    ws.write("overlay/kustomization.yaml", "resources: [../base]\ncommonLabels:\n  tier: web\n");
    ws.write("helmfile.yaml", "releases:\n- name: app\n  namespace: shop\n  chart: ./overlay\n");

    let ours = assert_success!(ws.run(&["template", "--skip-deps"]));
    // kustomize untars the chart beside the kustomization, as helm pull does
    // for it; removed so that helmfile's run pulls it too.
    let pulled = ws.path().join("base/charts/raw-0.1.0/raw");
    assert!(pulled.join("Chart.yaml").is_file(), "{}", pulled.display());
    std::fs::remove_dir_all(ws.path().join("base/charts")).unwrap();
    let theirs = assert_success!(
        helmfile_command(ws.path()).env("PATH", oracle_path()).args(["template", "--skip-deps"]).output().unwrap()
    );
    similar_asserts::assert_eq!(theirs.strip_prefix('\n').unwrap_or(&theirs), ours);
    assert!(ours.contains("name: inflated-in-shop") && ours.contains("chart: raw"), "{ours}");
    assert!(ours.contains("name: beside") && ours.contains("tier: web"), "{ours}");

    // Run again, the chart is already beside the kustomization: no pull.
    drop(repo);
    assert_eq!(assert_success!(ws.run(&["template", "--skip-deps"])), ours);
}

#[test]
fn a_helm_chart_kustomize_cannot_pull_is_one_error_naming_it() {
    let ws = Workspace::new();
    ws.write("base/kustomization.yaml", "helmCharts:\n- name: x\n  repo: http://127.0.0.1:1\n  version: 1.0.0\n");
    ws.write("overlay/kustomization.yaml", "resources: [../base]\n");
    ws.write("helmfile.yaml", "releases:\n- name: app\n  chart: ./overlay\n");
    let out = ws.run(&["template", "--skip-deps"]);
    assert_clean_failure!(out, "release app", "helmCharts", "pulling chart x", "127.0.0.1:1");
}
