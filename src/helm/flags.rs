//! Helm command-line flags, as helmfile users pass them (`--args`,
//! `--sync-args`, `--template-args`, `--diff-args`, `helmDefaults.args`,
//! `helmDefaults.templateArgs`), read into the SDK options they stand for.
//!
//! helmfile appends these strings to the helm command lines it runs;
//! helmfire has no command line to append to, so each flag is mapped onto
//! the option the SDK call takes. A flag with no such option is an error
//! naming it, never silently dropped.

use std::collections::BTreeMap;

/// The flags of one string, parsed. `None` and empty lists are flags not
/// given; later flags win over earlier ones, as with cobra.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HelmFlags {
    /// `--set`.
    pub set: Vec<String>,
    /// `--set-string`.
    pub set_string: Vec<String>,
    /// `--set-file`.
    pub set_file: Vec<String>,
    /// `--values`/`-f`.
    pub values: Vec<String>,
    /// `--wait` (`--wait=false` turns it off).
    pub wait: Option<bool>,
    /// `--wait-for-jobs`.
    pub wait_for_jobs: Option<bool>,
    /// `--timeout`, in seconds.
    pub timeout_seconds: Option<u64>,
    /// `--atomic`, `--rollback-on-failure`.
    pub atomic: Option<bool>,
    /// `--force`, `--force-replace`.
    pub force: Option<bool>,
    /// `--history-max`.
    pub history_max: Option<u32>,
    /// `--cleanup-on-fail`.
    pub cleanup_on_fail: Option<bool>,
    /// `--reuse-values`.
    pub reuse_values: Option<bool>,
    /// `--reset-values`.
    pub reset_values: Option<bool>,
    /// `--create-namespace`.
    pub create_namespace: Option<bool>,
    /// `--disable-openapi-validation`, helm-diff's `--disable-validation`.
    pub disable_validation: Option<bool>,
    /// `--take-ownership`.
    pub take_ownership: Option<bool>,
    /// `--server-side`: true, false or auto.
    pub server_side: Option<String>,
    /// `--force-conflicts`.
    pub force_conflicts: Option<bool>,
    /// `--skip-crds`.
    pub skip_crds: Option<bool>,
    /// `--description`.
    pub description: Option<String>,
    /// `--labels`.
    pub labels: BTreeMap<String, String>,
    /// `--kube-version`.
    pub kube_version: Option<String>,
    /// `--api-versions`/`-a`.
    pub api_versions: Vec<String>,
    /// `--include-crds`.
    pub include_crds: Option<bool>,
    /// `--skip-tests`.
    pub skip_tests: Option<bool>,
    /// `--skip-schema-validation`.
    pub skip_schema_validation: Option<bool>,
    /// `--enable-dns`.
    pub enable_dns: Option<bool>,
    /// `--no-hooks`.
    pub no_hooks: Option<bool>,
    /// `--show-only`/`-s`.
    pub show_only: Vec<String>,
    /// helm-diff's `--context`.
    pub context: Option<i32>,
    /// helm-diff's `--show-secrets`.
    pub show_secrets: Option<bool>,
    /// helm-diff's `--suppress-secrets`.
    pub suppress_secrets: Option<bool>,
    /// helm-diff's `--suppress KIND`.
    pub suppress: Vec<String>,
    /// helm-diff's `--suppress-output-line-regex`.
    pub suppress_output_line_regex: Vec<String>,
    /// helm-diff's `--strip-trailing-cr`.
    pub strip_trailing_cr: Option<bool>,
    /// helm-diff's `--include-tests`.
    pub include_tests: Option<bool>,
    /// helm-diff's `--detailed-exitcode`.
    pub detailed_exitcode: Option<bool>,
}

/// What a flag needs after its name.
#[derive(Clone, Copy)]
enum Shape {
    /// `--flag` or `--flag=true|false`.
    Switch,
    /// `--flag VALUE` or `--flag=VALUE`.
    Value,
}

/// Flags helm and helm-diff take that change nothing in-process: the
/// output helmfire produces is already what they ask for.
const NO_EFFECT: &[(&str, Shape, &str)] = &[
    ("--debug", Shape::Switch, "helmfire's own --debug shows the SDK's debug lines"),
    ("--hide-notes", Shape::Switch, "helmfire never prints chart NOTES"),
    ("--three-way-merge", Shape::Switch, "helmfire always diffs against the live objects"),
    ("--normalize-manifests", Shape::Switch, "helmfire compares parsed objects, not text"),
    ("--allow-unreleased", Shape::Switch, "helmfire diffs releases not installed yet against nothing"),
    ("--install", Shape::Switch, "helmfire installs releases that do not exist"),
    ("--dependency-update", Shape::Switch, "helmfire builds local charts' dependencies unless --skip-deps"),
    ("--color", Shape::Switch, "use helmfire's global --color"),
    ("--no-color", Shape::Switch, "use helmfire's global --no-color"),
];

impl HelmFlags {
    /// Parses `text` (flags separated by whitespace, as helmfile splits
    /// them). `origin` names where the text came from, for errors.
    pub fn parse(text: &str, origin: &str) -> Result<HelmFlags, String> {
        let mut flags = HelmFlags::default();
        let mut words = text.split_whitespace().peekable();
        while let Some(word) = words.next() {
            let (name, inline) = match word.split_once('=') {
                Some((name, value)) if name.starts_with('-') => (name, Some(value.to_string())),
                _ => (word, None),
            };
            if !name.starts_with('-') {
                return Err(format!(
                    "{origin}: `{word}` is not a flag; helmfire takes helm flags there (`--name value` or `--name=value`), not arguments"
                ));
            }
            let shape = shape_of(name).ok_or_else(|| {
                format!(
                    "{origin}: helm flag `{name}` has no meaning in helmfire, which calls the Helm SDK directly; remove it, or use helmfire's own flag or state key for what it does"
                )
            })?;
            let value = match (shape, inline) {
                (_, Some(value)) => value,
                (Shape::Switch, None) => "true".to_string(),
                (Shape::Value, None) => words
                    .next()
                    .map(str::to_string)
                    .ok_or_else(|| format!("{origin}: helm flag `{name}` needs a value"))?,
            };
            flags.take(name, value, origin)?;
        }
        Ok(flags)
    }

    /// Records one flag.
    fn take(&mut self, name: &str, value: String, origin: &str) -> Result<(), String> {
        let switch = || parse_switch(name, &value, origin);
        match name {
            "--set" => self.set.push(value),
            "--set-string" => self.set_string.push(value),
            "--set-file" => self.set_file.push(value),
            "--values" | "-f" => self.values.push(value),
            "--wait" => self.wait = Some(switch()?),
            "--wait-for-jobs" => self.wait_for_jobs = Some(switch()?),
            "--timeout" => self.timeout_seconds = Some(parse_duration(&value).map_err(|e| format!("{origin}: {e}"))?),
            "--atomic" | "--rollback-on-failure" => self.atomic = Some(switch()?),
            "--force" | "--force-replace" => self.force = Some(switch()?),
            "--history-max" => {
                self.history_max = Some(value.parse().map_err(|_| {
                    format!("{origin}: `--history-max {value}` is not a number of revisions; write a whole number")
                })?)
            }
            "--cleanup-on-fail" => self.cleanup_on_fail = Some(switch()?),
            "--reuse-values" => self.reuse_values = Some(switch()?),
            "--reset-values" => self.reset_values = Some(switch()?),
            "--create-namespace" => self.create_namespace = Some(switch()?),
            "--disable-openapi-validation" | "--disable-validation" => self.disable_validation = Some(switch()?),
            "--take-ownership" => self.take_ownership = Some(switch()?),
            "--server-side" => {
                if !["true", "false", "auto"].contains(&value.as_str()) {
                    return Err(format!("{origin}: `--server-side={value}`: write true, false or auto"));
                }
                self.server_side = Some(value);
            }
            "--force-conflicts" => self.force_conflicts = Some(switch()?),
            "--skip-crds" => self.skip_crds = Some(switch()?),
            "--description" => self.description = Some(value),
            "--labels" => {
                for pair in value.split(',').filter(|p| !p.is_empty()) {
                    let (key, label) = pair.split_once('=').ok_or_else(|| {
                        format!("{origin}: `--labels {value}`: write key=value pairs, comma-separated")
                    })?;
                    self.labels.insert(key.to_string(), label.to_string());
                }
            }
            "--kube-version" => self.kube_version = Some(value),
            "--api-versions" | "-a" => self.api_versions.extend(value.split(',').map(str::to_string)),
            "--include-crds" => self.include_crds = Some(switch()?),
            "--skip-tests" => self.skip_tests = Some(switch()?),
            "--skip-schema-validation" => self.skip_schema_validation = Some(switch()?),
            "--enable-dns" => self.enable_dns = Some(switch()?),
            "--no-hooks" => self.no_hooks = Some(switch()?),
            "--show-only" | "-s" => self.show_only.push(value),
            "--context" | "-C" => {
                self.context = Some(value.parse().map_err(|_| {
                    format!("{origin}: `--context {value}` is not a number of lines; write a whole number")
                })?)
            }
            "--show-secrets" => self.show_secrets = Some(switch()?),
            "--suppress-secrets" => self.suppress_secrets = Some(switch()?),
            "--suppress" => self.suppress.push(value),
            "--suppress-output-line-regex" => self.suppress_output_line_regex.push(value),
            "--strip-trailing-cr" => self.strip_trailing_cr = Some(switch()?),
            "--include-tests" => self.include_tests = Some(switch()?),
            "--detailed-exitcode" => self.detailed_exitcode = Some(switch()?),
            _ => {
                // NO_EFFECT flags: checked for a valid value, then dropped.
                switch()?;
            }
        }
        Ok(())
    }

    /// Sets the install and upgrade options these flags stand for; flags
    /// not given leave `options` as they are.
    pub fn apply_to_upgrade(&self, options: &mut crate::helm::UpgradeOptions) {
        let set = |field: &mut bool, flag: Option<bool>| {
            if let Some(value) = flag {
                *field = value;
            }
        };
        set(&mut options.wait, self.wait);
        set(&mut options.wait_for_jobs, self.wait_for_jobs);
        if self.wait_for_jobs == Some(true) {
            options.wait = true;
        }
        if let Some(seconds) = self.timeout_seconds {
            options.timeout_seconds = seconds;
        }
        set(&mut options.atomic, self.atomic);
        set(&mut options.force, self.force);
        if self.history_max.is_some() {
            options.history_max = self.history_max;
        }
        set(&mut options.cleanup_on_fail, self.cleanup_on_fail);
        set(&mut options.reuse_values, self.reuse_values);
        set(&mut options.reset_values, self.reset_values);
        set(&mut options.create_namespace, self.create_namespace);
        set(&mut options.disable_validation, self.disable_validation);
        set(&mut options.take_ownership, self.take_ownership);
        if let Some(mode) = &self.server_side {
            options.server_side.clone_from(mode);
        }
        set(&mut options.force_conflicts, self.force_conflicts);
        set(&mut options.skip_crds, self.skip_crds);
        set(&mut options.disable_hooks, self.no_hooks);
        if let Some(description) = &self.description {
            options.description.clone_from(description);
        }
        options.labels.extend(self.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    }

    /// The flags given that change nothing in-process, each with why.
    pub fn without_effect(text: &str) -> Vec<String> {
        text.split_whitespace()
            .filter_map(|word| {
                let name = word.split_once('=').map_or(word, |(name, _)| name);
                NO_EFFECT
                    .iter()
                    .find(|(flag, _, _)| *flag == name)
                    .map(|(flag, _, why)| format!("helm flag `{flag}` has no effect: {why}"))
            })
            .collect()
    }
}

/// The shape of a flag helmfire maps, or `None` for one it does not know.
fn shape_of(name: &str) -> Option<Shape> {
    const VALUES: &[&str] = &[
        "--set",
        "--set-string",
        "--set-file",
        "--values",
        "-f",
        "--timeout",
        "--history-max",
        "--server-side",
        "--description",
        "--labels",
        "--kube-version",
        "--api-versions",
        "-a",
        "--show-only",
        "-s",
        "--context",
        "-C",
        "--suppress",
        "--suppress-output-line-regex",
    ];
    const SWITCHES: &[&str] = &[
        "--wait",
        "--wait-for-jobs",
        "--atomic",
        "--rollback-on-failure",
        "--force",
        "--force-replace",
        "--cleanup-on-fail",
        "--reuse-values",
        "--reset-values",
        "--create-namespace",
        "--disable-openapi-validation",
        "--disable-validation",
        "--take-ownership",
        "--force-conflicts",
        "--skip-crds",
        "--include-crds",
        "--skip-tests",
        "--skip-schema-validation",
        "--enable-dns",
        "--no-hooks",
        "--show-secrets",
        "--suppress-secrets",
        "--strip-trailing-cr",
        "--include-tests",
        "--detailed-exitcode",
    ];
    if VALUES.contains(&name) {
        return Some(Shape::Value);
    }
    if SWITCHES.contains(&name) {
        return Some(Shape::Switch);
    }
    NO_EFFECT.iter().find(|(flag, _, _)| *flag == name).map(|(_, shape, _)| *shape)
}

fn parse_switch(name: &str, value: &str, origin: &str) -> Result<bool, String> {
    match value {
        "true" | "1" | "t" | "T" | "TRUE" | "True" => Ok(true),
        "false" | "0" | "f" | "F" | "FALSE" | "False" => Ok(false),
        _ => Err(format!("{origin}: `{name}={value}`: write true or false")),
    }
}

/// A Go duration (`300s`, `5m`, `1h30m`, `1.5h`) in whole seconds, rounded up.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let bad = || format!("`{text}` is not a duration; write a number and a unit, like 300s, 5m or 1h30m");
    let mut rest = text;
    let mut nanos: f64 = 0.0;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let split = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
        let (number, tail) = rest.split_at(split);
        let number: f64 = number.parse().map_err(|_| bad())?;
        let unit_len = tail.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(tail.len());
        let (unit, next) = tail.split_at(unit_len);
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        nanos += number * scale;
        rest = next;
    }
    Ok((nanos / 1e9).ceil() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_map_onto_options_with_either_spelling_of_a_value() {
        let flags = HelmFlags::parse(
            "--wait --timeout 10m --set a=1 --set=b=2 --history-max=5 --server-side auto -f x.yaml --labels team=a,tier=b",
            "--args",
        )
        .unwrap();
        assert_eq!(flags.wait, Some(true));
        assert_eq!(flags.timeout_seconds, Some(600));
        assert_eq!(flags.set, ["a=1", "b=2"]);
        assert_eq!(flags.history_max, Some(5));
        assert_eq!(flags.server_side.as_deref(), Some("auto"));
        assert_eq!(flags.values, ["x.yaml"]);
        assert_eq!(flags.labels.get("tier").map(String::as_str), Some("b"));
    }

    #[test]
    fn a_switch_takes_an_explicit_false() {
        let flags = HelmFlags::parse("--wait=false --atomic", "--args").unwrap();
        assert_eq!(flags.wait, Some(false));
        assert_eq!(flags.atomic, Some(true));
        assert!(HelmFlags::parse("--wait=maybe", "--args").unwrap_err().contains("true or false"));
    }

    #[test]
    fn a_flag_without_an_sdk_meaning_is_an_error_naming_it() {
        let err = HelmFlags::parse("--wait --kubeconfig /x", "helmDefaults.args").unwrap_err();
        assert!(err.starts_with("helmDefaults.args: helm flag `--kubeconfig`"), "{err}");
        let err = HelmFlags::parse("stray", "--args").unwrap_err();
        assert!(err.contains("`stray` is not a flag"), "{err}");
        let err = HelmFlags::parse("--timeout", "--args").unwrap_err();
        assert!(err.contains("needs a value"), "{err}");
    }

    #[test]
    fn flags_without_effect_are_accepted_and_named() {
        let flags = HelmFlags::parse("--debug --three-way-merge --hide-notes", "--diff-args").unwrap();
        assert_eq!(flags, HelmFlags::default());
        assert_eq!(HelmFlags::without_effect("--debug --wait").len(), 1);
    }

    #[test]
    fn go_durations_become_seconds() {
        assert_eq!(parse_duration("300s"), Ok(300));
        assert_eq!(parse_duration("1h30m"), Ok(5400));
        assert_eq!(parse_duration("1.5m"), Ok(90));
        assert_eq!(parse_duration("500ms"), Ok(1));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("").is_err());
    }
}
