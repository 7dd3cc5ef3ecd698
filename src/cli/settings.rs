//! Settings: the command line resolved with the environment into the typed
//! values commands use. Parsing (args.rs) only checks syntax; this is where
//! defaults and environment variables are applied.

use std::path::PathBuf;

use crate::exec::Concurrency;
use crate::output::{ColorChoice, Verbosity};
use crate::state::StateSource;

use super::args::{GlobalArgs, TemplateArgs};

/// Output formats of commands that print data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// For people.
    Text,
    /// For programs.
    Json,
}

/// Settings every command uses.
#[derive(Debug, Clone)]
pub struct GlobalSettings {
    /// Where the state comes from.
    pub source: StateSource,
    /// `-n`: overrides every release's namespace.
    pub namespace_override: Option<String>,
    /// How much goes to stderr.
    pub verbosity: Verbosity,
    /// Colour.
    pub color: ColorChoice,
}

impl GlobalSettings {
    /// Resolves the global flags. The default search starts in the current
    /// directory, and found files keep relative names, as helmfile's do
    /// (they show in messages and in `--output-dir` paths).
    pub fn resolve(args: &GlobalArgs) -> Self {
        let source = match &args.file {
            None => StateSource::Search(PathBuf::from(".")),
            Some(path) if path.as_os_str() == "-" => StateSource::Stdin,
            Some(path) => StateSource::Path(path.clone()),
        };
        let verbosity = if args.debug {
            Verbosity::Debug
        } else if args.quiet {
            Verbosity::Quiet
        } else {
            Verbosity::Normal
        };
        let color = if args.no_color {
            ColorChoice::Never
        } else if args.color {
            ColorChoice::Always
        } else {
            ColorChoice::Auto
        };
        GlobalSettings {
            source,
            namespace_override: args.namespace.clone(),
            verbosity,
            color,
        }
    }
}

/// Settings of `template`.
#[derive(Debug, Clone, Default)]
pub struct TemplateSettings {
    /// `--set` for every release.
    pub set: Vec<String>,
    /// `--values` for every release, absolute.
    pub values: Vec<PathBuf>,
    /// `--output-dir`.
    pub output_dir: Option<PathBuf>,
    /// `--kube-version`.
    pub kube_version: Option<String>,
    /// `--api-versions`.
    pub api_versions: Vec<String>,
    /// `--include-crds`.
    pub include_crds: bool,
    /// `--skip-tests`.
    pub skip_tests: bool,
    /// `--show-only`.
    pub show_only: Vec<String>,
    /// `--concurrency`.
    pub concurrency: Concurrency,
}

impl TemplateSettings {
    /// Resolves `template`'s flags; relative paths are taken from `cwd`, as
    /// helm takes them.
    pub fn resolve(args: TemplateArgs, cwd: &std::path::Path) -> Self {
        TemplateSettings {
            set: args.set,
            values: args.values.into_iter().map(|v| cwd.join(v)).collect(),
            output_dir: args.output_dir,
            kube_version: args.kube_version,
            api_versions: args
                .api_versions
                .into_iter()
                .filter(|a| !a.is_empty())
                .collect(),
            include_crds: args.include_crds,
            skip_tests: args.skip_tests,
            show_only: args.show_only,
            concurrency: Concurrency::from_flag(args.concurrency),
        }
    }
}
