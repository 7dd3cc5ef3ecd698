//! Finds the state files and parses them into [`StateFile`]s.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::error::{Location, StateError};
use super::release::Release;
use super::schema::{HelmfileDoc, ReleaseSpec, SetValue};

/// Where to read the state from: helmfile's `-f`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateSource {
    /// helmfile's default search in a directory: helmfile.yaml, then
    /// helmfile.yaml.gotmpl, then helmfile.d/*.yaml[.gotmpl].
    Search(PathBuf),
    /// A file, or a directory of state files (`-f FILE|DIR`).
    Path(PathBuf),
    /// The state file is read from stdin (`-f -`).
    Stdin,
}

/// One loaded state file: its releases in declaration order.
#[derive(Debug, Clone)]
pub struct StateFile {
    /// The file, as found or given.
    pub path: PathBuf,
    /// The directory relative paths in the file are resolved against.
    pub base_dir: PathBuf,
    /// The releases, resolved.
    pub releases: Vec<Release>,
}

/// Loads every state file `source` designates, in helmfile's order.
pub fn load(source: &StateSource) -> Result<Vec<StateFile>, StateError> {
    match source {
        StateSource::Stdin => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)?;
            let cwd = std::env::current_dir()?;
            Ok(vec![parse_state(Path::new("-"), &cwd, &text)?])
        }
        StateSource::Path(path) => {
            if path.is_dir() {
                load_all(&files_in_dir(path)?)
            } else if path.exists() {
                load_all(std::slice::from_ref(path))
            } else {
                Err(StateError::Missing { path: path.clone() })
            }
        }
        StateSource::Search(dir) => load_all(&default_files(dir)?),
    }
}

fn load_all(files: &[PathBuf]) -> Result<Vec<StateFile>, StateError> {
    files.iter().map(|path| load_file(path)).collect()
}

/// helmfile's default search. In the current directory (`.`) the names stay
/// bare: `helmfile.yaml`, not `./helmfile.yaml`.
fn default_files(dir: &Path) -> Result<Vec<PathBuf>, StateError> {
    let in_dir = |name: &str| {
        if dir == Path::new(".") {
            PathBuf::from(name)
        } else {
            dir.join(name)
        }
    };
    let d = in_dir("helmfile.d");
    for name in ["helmfile.yaml", "helmfile.yaml.gotmpl"] {
        let file = in_dir(name);
        if file.is_file() {
            if d.is_dir() {
                return Err(StateError::Ambiguous { file, dir: d });
            }
            return Ok(vec![file]);
        }
    }
    if d.is_dir() {
        let files = files_in_dir(&d)?;
        if !files.is_empty() {
            return Ok(files);
        }
    }
    Err(StateError::NotFound {
        dir: std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf()),
    })
}

/// The `*.yaml` and `*.yaml.gotmpl` files of a directory, in name order.
fn files_in_dir(dir: &Path) -> Result<Vec<PathBuf>, StateError> {
    let mut files: Vec<PathBuf> = fs_err::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            p.is_file()
                && (name.ends_with(".yaml")
                    || name.ends_with(".yml")
                    || name.ends_with(".yaml.gotmpl"))
        })
        .collect();
    files.sort();
    Ok(files)
}

fn load_file(path: &Path) -> Result<StateFile, StateError> {
    let text = fs_err::read_to_string(path)?;
    let base_dir = path
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .unwrap_or(Path::new("."))
        .to_path_buf();
    parse_state(path, &base_dir, &text)
}

/// Parses one state file's text. Plain YAML only for now: `.gotmpl` files
/// need the Go template engine in the shim.
pub fn parse_state(path: &Path, base_dir: &Path, text: &str) -> Result<StateFile, StateError> {
    if path.to_string_lossy().ends_with(".gotmpl") {
        return Err(StateError::NotSupportedYet {
            location: Location {
                path: path.to_path_buf(),
                line: None,
                column: None,
            },
            key: ".gotmpl templating".into(),
            section: "state files".into(),
        });
    }
    let mut releases: Vec<(ReleaseSpec, Option<usize>)> = Vec::new();
    for document in serde_yaml_ng::Deserializer::from_str(text) {
        let doc = match HelmfileDoc::deserialize(document) {
            Ok(doc) => doc,
            Err(e) => return Err(yaml_error(path, e)),
        };
        if let Some(key) = doc.pending_keys().first() {
            return Err(not_supported(path, text, key, "the top level"));
        }
        // Layering as helmfile merges parts: a later non-empty list replaces.
        if !doc.releases.is_empty() {
            let lines = release_lines(text, doc.releases.len());
            releases = doc.releases.into_iter().zip(lines).collect();
        }
    }
    let mut resolved = Vec::with_capacity(releases.len());
    for (spec, line) in releases {
        let location = Location {
            path: path.to_path_buf(),
            line,
            column: None,
        };
        if let Some(key) = spec.pending_keys().first() {
            let section = format!("release `{}`", spec.name);
            return Err(StateError::NotSupportedYet {
                location: locate_key(path, text, key),
                key: key.to_string(),
                section,
            });
        }
        resolved.push(Release::resolve(spec, base_dir, location)?);
    }
    check_unique(&resolved)?;
    Ok(StateFile {
        path: path.to_path_buf(),
        base_dir: base_dir.to_path_buf(),
        releases: resolved,
    })
}

/// helmfile refuses two releases with the same name in one namespace.
fn check_unique(releases: &[Release]) -> Result<(), StateError> {
    for (i, release) in releases.iter().enumerate() {
        if let Some(earlier) = releases[..i]
            .iter()
            .find(|r| r.name == release.name && r.namespace == release.namespace)
        {
            return Err(StateError::Invalid {
                location: release.location.clone(),
                message: format!(
                    "release `{}` in namespace `{}` is declared twice (first at line {})",
                    release.name,
                    release.namespace,
                    earlier.location.line.unwrap_or(0)
                ),
            });
        }
    }
    Ok(())
}

/// Turns a serde_yaml_ng error into a located error, recognising unknown keys
/// to suggest the closest valid one.
fn yaml_error(path: &Path, e: serde_yaml_ng::Error) -> StateError {
    let (line, column) = e
        .location()
        .map(|l| (Some(l.line()), Some(l.column())))
        .unwrap_or((None, None));
    let location = Location {
        path: path.to_path_buf(),
        line,
        column,
    };
    let message = e.to_string();
    if let Some(key) = unknown_field(&message) {
        let (section, keys): (&'static str, &[&'static str]) = if message.starts_with("releases[") {
            if message.contains("].set") {
                ("a set entry", SetValue::KEYS)
            } else {
                ("a release", ReleaseSpec::KEYS)
            }
        } else {
            ("the top level", HelmfileDoc::KEYS)
        };
        return StateError::UnknownKey {
            location,
            suggestion: closest(&key, keys),
            key,
            section,
        };
    }
    // Drop serde_yaml_ng's trailing " at line X column Y": the location says it.
    let message = match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message,
    };
    StateError::Yaml { location, message }
}

fn unknown_field(message: &str) -> Option<String> {
    let rest = message.split_once("unknown field `")?.1;
    Some(rest.split_once('`')?.0.to_string())
}

/// The valid key closest to `key`, if any is close enough to be a typo.
pub(crate) fn closest(key: &str, keys: &[&'static str]) -> Option<&'static str> {
    keys.iter()
        .map(|k| {
            (
                strsim::jaro_winkler(&key.to_lowercase(), &k.to_lowercase()),
                *k,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

fn not_supported(path: &Path, text: &str, key: &str, section: &str) -> StateError {
    StateError::NotSupportedYet {
        location: locate_key(path, text, key),
        key: key.to_string(),
        section: section.to_string(),
    }
}

/// The first line that sets `key`, for errors about keys serde accepted.
fn locate_key(path: &Path, text: &str, key: &str) -> Location {
    let line = text.lines().position(|l| {
        let t = l.trim_start().trim_start_matches("- ").trim_start();
        t.strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
    });
    Location {
        path: path.to_path_buf(),
        line: line.map(|l| l + 1),
        column: None,
    }
}

/// Best-effort line numbers of the releases, for messages about a release:
/// the lines of `- name:` items, when there are as many as releases.
fn release_lines(text: &str, count: usize) -> Vec<Option<usize>> {
    let lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("- name:"))
        .map(|(i, _)| i + 1)
        .collect();
    if lines.len() == count {
        lines.into_iter().map(Some).collect()
    } else {
        vec![None; count]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<StateFile, StateError> {
        parse_state(Path::new("helmfile.yaml"), Path::new("/base"), text)
    }

    #[test]
    fn releases_resolve_paths_against_the_state_directory() {
        let state =
            parse("releases:\n- name: a\n  chart: ./charts/a\n  values:\n  - v.yaml\n  - {x: 1}\n")
                .unwrap();
        let release = &state.releases[0];
        assert_eq!(
            release.chart,
            crate::state::ChartSource::Local("/base/charts/a".into())
        );
        assert_eq!(
            release.values[0],
            crate::state::ValuesInput::File("/base/v.yaml".into())
        );
        assert_eq!(
            release.values[1],
            crate::state::ValuesInput::Inline("x: 1\n".into())
        );
        assert_eq!(release.location.line, Some(2));
    }

    #[test]
    fn set_values_keep_the_literal_text_of_yaml_scalars() {
        let state = parse("releases:\n- name: a\n  chart: ./c\n  set:\n  - name: v\n    value: 1.50\n  - name: b\n    value: true\n").unwrap();
        let values: Vec<_> = state.releases[0]
            .set
            .iter()
            .map(|s| s.value.clone().unwrap())
            .collect();
        assert_eq!(values, vec!["1.50", "true"]);
    }

    #[test]
    fn unknown_keys_are_located_and_get_a_suggestion() {
        let err = parse("releases:\n- name: a\n  chart: ./c\n  namespce: x\n").unwrap_err();
        match err {
            StateError::UnknownKey {
                location,
                key,
                suggestion,
                section,
            } => {
                assert_eq!((location.line, location.column), (Some(4), Some(3)));
                assert_eq!(key, "namespce");
                assert_eq!(suggestion, Some("namespace"));
                assert_eq!(section, "a release");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_far_off_unknown_key_gets_no_suggestion() {
        let err = parse("zzzqqq: 1\n").unwrap_err();
        assert!(
            matches!(
                err,
                StateError::UnknownKey {
                    suggestion: None,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn pending_helmfile_keys_are_reported_not_ignored() {
        let err = parse("environments:\n  default: {}\n---\nreleases: []\n").unwrap_err();
        match err {
            StateError::NotSupportedYet { key, location, .. } => {
                assert_eq!(key, "environments");
                assert_eq!(location.line, Some(1));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_release_without_chart_is_invalid() {
        let err = parse("releases:\n- name: a\n").unwrap_err();
        assert!(
            err.to_string().contains("release `a` has no `chart`"),
            "{err}"
        );
    }

    #[test]
    fn gotmpl_files_say_templating_is_not_supported_yet() {
        let err = parse_state(
            Path::new("helmfile.yaml.gotmpl"),
            Path::new("/"),
            "releases: []",
        )
        .unwrap_err();
        assert!(matches!(err, StateError::NotSupportedYet { .. }));
    }
}
