//! What to do with the `needs` of selected releases, and which way to run
//! the batches.

/// How `needs` of the selected releases are treated: helmfile's
/// `--skip-needs`, `--include-needs` and `--include-transitive-needs`
/// (pkg/config/*.go `SkipNeeds()`, `IncludeNeeds()`).
///
/// Defaults per command in helmfile v1.7 (cmd/*.go, pkg/app/app.go):
/// - `apply`, `sync`, `diff`, `template`, `lint`, `unittest`: the flags
///   exist and `--skip-needs` defaults to true, so [`NeedsMode::Skip`];
///   `--include-needs` gives [`NeedsMode::Include`],
///   `--include-transitive-needs` [`NeedsMode::IncludeTransitive`], and
///   `--skip-needs=false` alone [`NeedsMode::Fail`]. `template`, `lint`,
///   `diff` and `unittest` go through helmfile's `withNeeds`, which selects
///   without the transitive step: use [`NeedsMode::for_with_needs`].
/// - `destroy`, `delete`, `status`: no flags; the selected releases only,
///   [`NeedsMode::Skip`] (`destroy` runs the batches in [`Order::Reverse`]).
/// - `show-dag`: every release left by the selectors, needs included; see
///   [`show_dag`](super::show_dag).
/// - `test`, `write-values`, `list`, `build`, `fetch`, `deps`, `repos`:
///   selection only, no ordering by needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NeedsMode {
    /// Leave out releases the selectors did not pick, even when a selected
    /// release needs them (`--skip-needs`, the default).
    #[default]
    Skip,
    /// Refuse to run when a selected release needs one the selectors did
    /// not pick (`--skip-needs=false` without an include flag).
    Fail,
    /// Add the releases that selected releases need, and what those need in
    /// turn (`--include-needs`; helmfile's graph makes this transitive too).
    Include,
    /// As [`NeedsMode::Include`], and also select the needs, transitively,
    /// before planning, even when their labels or `condition` exclude them
    /// (`--include-transitive-needs`).
    IncludeTransitive,
}

/// The three needs flags as given on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeedsFlags {
    /// `--skip-needs` (default true).
    pub skip_needs: bool,
    /// `--include-needs`.
    pub include_needs: bool,
    /// `--include-transitive-needs`.
    pub include_transitive_needs: bool,
}

/// Which way batches run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Needs first: install, upgrade, render.
    #[default]
    Forward,
    /// Dependents first: delete, destroy.
    Reverse,
}

impl Default for NeedsFlags {
    fn default() -> Self {
        NeedsFlags { skip_needs: true, include_needs: false, include_transitive_needs: false }
    }
}

impl NeedsFlags {
    /// The mode these flags select: an include flag wins over
    /// `--skip-needs`, as in helmfile's `SkipNeeds()`.
    pub fn mode(&self) -> NeedsMode {
        if self.include_transitive_needs {
            NeedsMode::IncludeTransitive
        } else if self.include_needs {
            NeedsMode::Include
        } else if self.skip_needs {
            NeedsMode::Skip
        } else {
            NeedsMode::Fail
        }
    }
}

impl NeedsMode {
    /// The mode as helmfile's `withNeeds` (template, lint, diff, unittest)
    /// applies it: it selects without the transitive step, so
    /// [`NeedsMode::IncludeTransitive`] acts as [`NeedsMode::Include`].
    pub fn for_with_needs(self) -> NeedsMode {
        match self {
            NeedsMode::IncludeTransitive => NeedsMode::Include,
            other => other,
        }
    }

    /// Whether needed releases are added to the batches.
    pub(crate) fn includes_needs(self) -> bool {
        matches!(self, NeedsMode::Include | NeedsMode::IncludeTransitive)
    }

    /// Whether needs are selected, transitively, before planning.
    pub(crate) fn selects_transitive_needs(self) -> bool {
        self == NeedsMode::IncludeTransitive
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_map_to_modes_as_helmfile_resolves_them() {
        let flags = |skip_needs, include_needs, include_transitive_needs| {
            NeedsFlags { skip_needs, include_needs, include_transitive_needs }.mode()
        };
        assert_eq!(NeedsFlags::default().mode(), NeedsMode::Skip);
        assert_eq!(flags(false, false, false), NeedsMode::Fail);
        assert_eq!(flags(true, true, false), NeedsMode::Include);
        assert_eq!(flags(true, false, true), NeedsMode::IncludeTransitive);
        assert_eq!(flags(false, true, true), NeedsMode::IncludeTransitive);
        assert_eq!(NeedsMode::IncludeTransitive.for_with_needs(), NeedsMode::Include);
        assert_eq!(NeedsMode::Fail.for_with_needs(), NeedsMode::Fail);
    }
}
