//! Where per-release output goes: helmfile's `--output-dir-template` and
//! `--output-file-template`, Go templates over the state, the release and
//! the environment.

use std::path::{Path, PathBuf};

use serde_yaml_ng::{Mapping, Value};

use crate::state::{Release, RenderRequest, StateFile, TemplateEngine, TextSource};

/// helmfile's default `--output-dir-template` (`template --output-dir`).
pub(crate) const DEFAULT_OUTPUT_DIR_TEMPLATE: &str =
    "{{ .OutputDir }}/{{ .State.BaseName }}-{{ .State.AbsPathSHA1 }}-{{ .Release.Name}}";

/// helmfile's default `--output-file-template` (`write-values`).
pub(crate) const DEFAULT_OUTPUT_FILE_TEMPLATE: &str =
    "{{ .State.BaseName }}-{{ .State.AbsPathSHA1 }}/{{ .Release.Name }}.yaml";

/// helmfile's default `fetch --output-dir-template`:
/// OutputDir[/namespace][/kube context]/release/chart/version.
pub(crate) const DEFAULT_FETCH_OUTPUT_DIR_TEMPLATE: &str = concat!(
    "{{ .OutputDir }}{{ if .Release.Namespace }}/{{ .Release.Namespace }}{{ end }}",
    "{{ if .Release.KubeContext }}/{{ .Release.KubeContext }}{{ end }}",
    "/{{ .Release.Name }}/{{ .ChartName }}/{{ or .Release.Version \"latest\" }}"
);

/// Renders an output path template for one release.
pub(crate) fn render_output_path(
    engine: &dyn TemplateEngine,
    template: &str,
    output_dir: &str,
    file: &StateFile,
    release: &Release,
) -> Result<PathBuf, String> {
    render_with(engine, template, data(output_dir, file, release), file)
}

/// Renders `fetch`'s output directory template, which also has `.ChartName`.
pub(crate) fn render_fetch_path(
    engine: &dyn TemplateEngine,
    template: &str,
    output_dir: &str,
    chart_name: &str,
    file: &StateFile,
    release: &Release,
) -> Result<PathBuf, String> {
    let mut data = data(output_dir, file, release);
    if let Value::Mapping(map) = &mut data {
        map.insert("ChartName".into(), chart_name.into());
    }
    render_with(engine, template, data, file)
}

fn render_with(engine: &dyn TemplateEngine, template: &str, data: Value, file: &StateFile) -> Result<PathBuf, String> {
    let rendered = engine.render(RenderRequest {
        name: Path::new("output path template"),
        text: template,
        data: &data,
        base_dir: &file.base_dir,
        source: TextSource::Derived,
    })?;
    Ok(PathBuf::from(rendered))
}

/// The data helmfile gives these templates: `.OutputDir`, `.State`
/// (BaseName: the state path as given without its extension; Path; AbsPath;
/// AbsPathSHA1: the first 8 hex digits of the SHA-1 of the absolute path),
/// `.Release` and `.Environment`.
fn data(output_dir: &str, file: &StateFile, release: &Release) -> Value {
    let as_given = file.path.to_string_lossy().into_owned();
    let base = match file.path.extension() {
        Some(ext) => as_given[..as_given.len() - ext.len() - 1].to_string(),
        None => as_given.clone(),
    };
    let absolute = std::path::absolute(&file.path).unwrap_or_else(|_| file.path.clone()).to_string_lossy().into_owned();
    let digest = sha1_smol::Sha1::from(absolute.as_bytes()).digest().to_string();
    let mut state = Mapping::new();
    state.insert("BaseName".into(), base.into());
    state.insert("Path".into(), as_given.into());
    state.insert("AbsPath".into(), absolute.into());
    state.insert("AbsPathSHA1".into(), digest[..8].to_string().into());

    let mut env = Mapping::new();
    env.insert("Name".into(), file.environment.name.clone().into());
    env.insert("KubeContext".into(), file.environment.kube_context.clone().into());
    env.insert("Values".into(), file.environment.values.clone());

    let mut data = Mapping::new();
    data.insert("OutputDir".into(), output_dir.into());
    data.insert("State".into(), Value::Mapping(state));
    data.insert("Release".into(), super::template_data::release_data(release));
    data.insert("Environment".into(), Value::Mapping(env));
    Value::Mapping(data)
}
