//! Which releases of the loaded state a command acts on: the plan layer
//! applied to every state file, and helmfile's exit code 3 when selectors
//! match nothing.

use std::collections::BTreeMap;

use super::ExitStatus;
use crate::cli::{GlobalSettings, NoMatch};
use crate::output::{Printer, report};
use crate::plan::{Criteria, NeedsMode, PlanError, Selectors, filter_releases, plan_with_needs};
use crate::state::{Release, SelectorScope, StateFile};

/// The selectors matched no release in any state file.
#[derive(Debug, thiserror::Error)]
#[error("no releases found that match the selectors `{selectors}` in environment `{environment}`, in any state file")]
pub(crate) struct NoMatchingRelease {
    pub selectors: String,
    pub environment: String,
}

/// The releases of one state file to act on, in the order to act.
pub(crate) struct Selected<'a> {
    pub file: &'a StateFile,
    pub releases: Vec<&'a Release>,
}

fn criteria<'a>(
    file: &'a StateFile,
    selectors: &'a Selectors,
    no_common: &'a BTreeMap<String, String>,
) -> Criteria<'a> {
    // commonLabels are already merged into each release's labels.
    Criteria { selectors, common_labels: no_common, values: &file.environment.values }
}

/// The selectors that pick a file's releases: the command line's, or the
/// `selectors:` of the `helmfiles:` entry that loaded it.
fn selectors_for(file: &StateFile, global: &GlobalSettings) -> Result<Selectors, PlanError> {
    match &file.selectors {
        SelectorScope::CommandLine => Ok(global.selectors.clone()),
        SelectorScope::Explicit(own) => Selectors::parse(own.iter().map(String::as_str)),
    }
}

/// Plans every state file with `needs`: releases in batch order.
pub(crate) fn plan<'a>(
    files: &'a [StateFile],
    global: &GlobalSettings,
    needs: NeedsMode,
) -> Result<Vec<Selected<'a>>, PlanError> {
    let no_common = BTreeMap::new();
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        let selectors = selectors_for(file, global)?;
        let plan = plan_with_needs(&file.releases, &criteria(file, &selectors, &no_common), needs)?;
        let releases = plan.batches.iter().flatten().map(|&i| &file.releases[i]).collect();
        out.push(Selected { file, releases });
    }
    Ok(out)
}

/// Filters every state file as helmfile's list-like commands do.
pub(crate) fn filter<'a>(files: &'a [StateFile], global: &GlobalSettings) -> Result<Vec<Selected<'a>>, PlanError> {
    let no_common = BTreeMap::new();
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        let selectors = selectors_for(file, global)?;
        let kept = filter_releases(&file.releases, &criteria(file, &selectors, &no_common))?;
        out.push(Selected { file, releases: kept.into_iter().map(|i| &file.releases[i]).collect() });
    }
    Ok(out)
}

/// helmfile's rule: selectors that match nothing anywhere are an error
/// (exit 3) unless `--allow-no-matching-release`. Reports it and returns
/// the exit status the command should end with, if it should end.
pub(crate) fn check_any_matched(
    selected: &[Selected<'_>],
    global: &GlobalSettings,
    printer: &Printer,
) -> Option<ExitStatus> {
    let none = selected.iter().all(|s| s.releases.is_empty());
    if none && !global.selectors.is_empty() && global.no_match == NoMatch::Error {
        let error =
            NoMatchingRelease { selectors: global.selectors.to_string(), environment: global.environment.clone() };
        report(printer, &anyhow::Error::new(error));
        return Some(ExitStatus::NoMatch);
    }
    None
}
