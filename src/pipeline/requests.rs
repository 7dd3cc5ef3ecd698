//! Turns a release of the state into the request helm would get from
//! helmfile: the same values order and the same `--set` escaping, so the
//! merged values are the ones `helm template` computes from helmfile's flags.

use super::kube::kube_target;
use super::prepare::Prepared;
use super::release_options::{defaults_args, upgrade_options};
use super::session::Session;
use super::values::ReleaseValues;
use crate::cli::{DeploySettings, TemplateSettings};
use crate::helm::{ImageSubstitution, TemplateRequest, UpgradeRequest, ValueOverrides, ValueSource};
use crate::state::{ChartSource, HelmDefaults, Release, SetValue};

/// The `helm template` request for a prepared `release`: its resolved
/// values, the chart preparation put in place of its own, the image
/// substitutions in force.
pub(crate) fn template_request(
    session: &Session,
    prepared: &Prepared,
    release: &Release,
    settings: &TemplateSettings,
) -> TemplateRequest {
    let with_defaults = session.file_of(release).and_then(|file| with_default_args(settings, &file.doc.helm_defaults));
    let mut request = render_request(
        release,
        prepared.charts.values_for(release),
        session.global.namespace_override.as_deref(),
        with_defaults.as_ref().unwrap_or(settings),
        &session.image_substitutions(),
    );
    request.repository_config = prepared.repository_config();
    if settings.validate {
        let mut kube = kube_target(&session.global, release);
        kube.namespace = super::kube::namespace_of(&session.global, release);
        request.validate_against = Some(kube);
        request.validate = true;
    }
    if let Some(chart) = prepared.charts.chart_for(release) {
        request.chart = chart.to_string();
        // A cached archive or a wrapper chart: its version is its own.
        request.chart_version.clear();
    }
    request
}

/// `settings` with the state file's `helmDefaults.templateArgs` (unless the
/// command line gave `--template-args`) and `helmDefaults.args` applied,
/// as helmfile appends them to every helm command line; None when the
/// file sets neither.
fn with_default_args(settings: &TemplateSettings, defaults: &HelmDefaults) -> Option<TemplateSettings> {
    let use_template_args = !settings.template_args_given && !defaults.template_args.is_empty();
    if !use_template_args && defaults.args.is_empty() {
        return None;
    }
    let (template_args, args) = defaults_args(defaults);
    let mut settings = settings.clone();
    if use_template_args {
        settings.apply(&template_args);
    }
    settings.apply(&args);
    Some(settings)
}

/// The `helm upgrade --install` of a prepared `release`, as sync runs it
/// and diff previews it.
pub(crate) fn upgrade_request(
    session: &Session,
    prepared: &Prepared,
    release: &Release,
    settings: &DeploySettings,
) -> UpgradeRequest {
    let mut render = template_request(session, prepared, release, &settings.render);
    // Capabilities come from the cluster when deploying.
    render.kube_version.clear();
    render.api_versions.clear();
    render.skip_tests = false;
    render.show_only.clear();
    // An upgrade is validated by the API server anyway.
    render.validate = false;
    render.validate_against = None;
    let defaults = session.file_of(release).map(|f| f.doc.helm_defaults.clone()).unwrap_or_default();
    // A local chart archive is verified against its .prov when deploying,
    // as helm upgrade --verify does (a remote chart was verified when it
    // was pulled).
    if release.chart_options.verify && matches!(release.chart, ChartSource::Local(_)) {
        render.verify = true;
        render.keyring = release.chart_options.keyring.clone();
    }
    UpgradeRequest {
        render,
        kube: kube_target(&session.global, release),
        options: upgrade_options(settings, release, &defaults),
        cache_home: std::path::absolute(&session.global.cache_dir)
            .map(|dir| dir.display().to_string())
            .unwrap_or_default(),
    }
}

/// The render request of `release` from its parts (the chartify render of
/// strategicMergePatches needs one before preparation is done).
pub(crate) fn render_request(
    release: &Release,
    values: ReleaseValues,
    namespace_override: Option<&str>,
    settings: &TemplateSettings,
    image_substitutions: &[(String, String)],
) -> TemplateRequest {
    let chart = match &release.chart {
        ChartSource::Local(path) => path.display().to_string(),
        ChartSource::Remote(reference) | ChartSource::Fetched(reference) => reference.clone(),
    };
    // helmfile appends the command line's --values after the release's own.
    let mut documents = values.documents;
    documents.extend(settings.values.iter().map(|file| ValueSource::File { file: file.clone() }));

    let mut overrides = ValueOverrides::default();
    for set in &values.set {
        push_set(&mut overrides.set, &mut overrides.set_file, set);
    }
    for set in &values.set_string {
        push_set(&mut overrides.set_string, &mut Vec::new(), set);
    }
    // The command line's (and helm flags') after the release's own, as
    // helmfile appends them.
    overrides.set.extend(settings.set.iter().cloned());
    overrides.set_string.extend(settings.set_string.iter().cloned());
    overrides.set_file.extend(settings.set_file.iter().map(|entry| absolute_set_file(entry, &settings.cwd)));

    TemplateRequest {
        release_name: release.name.clone(),
        namespace: namespace_override.map_or_else(|| release.namespace.clone(), str::to_string),
        chart,
        chart_version: release.version.clone(),
        values: documents,
        overrides,
        // The command line wins over the release, which wins over the state.
        kube_version: settings.kube_version.clone().unwrap_or_else(|| release.kube_version.clone()),
        api_versions: release.api_versions.iter().chain(&settings.api_versions).cloned().collect(),
        include_crds: settings.include_crds,
        skip_tests: settings.skip_tests,
        is_upgrade: false,
        show_only: settings.show_only.clone(),
        output_dir: String::new(),
        repository_config: String::new(),
        // The command line wins over the release (and helmDefaults).
        post_renderer: settings.post_renderer.clone().unwrap_or_else(|| release.post_renderer.clone()),
        post_renderer_args: if settings.post_renderer.is_some() {
            settings.post_renderer_args.clone()
        } else {
            release.post_renderer_args.clone()
        },
        // Any of the command line, the release and helmDefaults.
        skip_schema_validation: settings.skip_schema_validation || release.chart_options.skip_schema_validation,
        verify: false,
        keyring: String::new(),
        enable_dns: settings.enable_dns.unwrap_or(release.chart_options.enable_dns),
        disable_hooks: settings.no_hooks,
        validate_against: None,
        validate: false,
        image_substitutions: image_substitutions
            .iter()
            .map(|(original, replacement)| ImageSubstitution {
                original: original.clone(),
                replacement: replacement.clone(),
            })
            .collect(),
    }
}

/// helmfile's flag for one set entry (pkg/state `setFlags`): a value, a
/// file, or a list, with `{`, `}` and `,` escaped.
fn push_set(set: &mut Vec<String>, set_file: &mut Vec<String>, entry: &SetValue) {
    let name = escape(&entry.name);
    if let Some(value) = entry.value.as_deref().filter(|v| !v.is_empty()) {
        set.push(format!("{name}={}", escape(value)));
    } else if let Some(file) = entry.file.as_deref().filter(|f| !f.is_empty()) {
        set_file.push(format!("{name}={file}"));
    } else if let Some(values) = entry.values.as_ref().filter(|v| !v.is_empty()) {
        let items: Vec<String> = values.iter().map(|v| escape(v)).collect();
        set.push(format!("{name}={{{}}}", items.join(",")));
    }
}

/// A `--set-file key=path` with the path made absolute from `cwd`, as helm
/// reads it from the directory it runs in.
fn absolute_set_file(entry: &str, cwd: &std::path::Path) -> String {
    match entry.split_once('=') {
        Some((key, path)) if !path.is_empty() => format!("{key}={}", cwd.join(path).display()),
        _ => entry.to_string(),
    }
}

/// helmfile's `escape`: strvals would split on these.
fn escape(value: &str) -> String {
    value.replace('{', "\\{").replace('}', "\\}").replace(',', "\\,")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, value: Option<&str>, values: Option<&[&str]>) -> SetValue {
        SetValue {
            name: name.into(),
            value: value.map(str::to_string),
            file: None,
            values: values.map(|v| v.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn set_values_are_escaped_like_helmfile() {
        let mut set = Vec::new();
        push_set(&mut set, &mut Vec::new(), &entry("a.b", Some("x,y{z}"), None));
        push_set(&mut set, &mut Vec::new(), &entry("list", None, Some(&["1", "2,3"])));
        assert_eq!(set, vec![r"a.b=x\,y\{z\}".to_string(), r"list={1,2\,3}".to_string()]);
    }

    #[test]
    fn an_entry_with_only_a_name_sets_nothing() {
        let mut set = Vec::new();
        push_set(&mut set, &mut Vec::new(), &entry("a", None, None));
        assert!(set.is_empty());
    }
}
