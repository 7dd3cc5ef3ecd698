//! `helmfire create`: a new helmfile project, laid out as `helmfile create`
//! lays it out (helmfile.yaml, environments/default.yaml, values/), with
//! the same rules for NAME, `--output-dir` and `--force`.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::ExitStatus;
use crate::pipeline::Context;

/// The files of the scaffold, relative to the project directory, in the
/// order they are written.
const SCAFFOLD: [(&str, &str); 3] = [
    ("helmfile.yaml", include_str!("create/helmfile.yaml")),
    ("environments/default.yaml", include_str!("create/default.yaml")),
    // Keeps the empty directory in git.
    ("values/.gitkeep", ""),
];

/// Creates the scaffold.
pub struct CreateCommand {
    /// The project's name: the directory to create, when no `--output-dir`.
    pub name: Option<String>,
    /// `--output-dir`.
    pub output_dir: Option<PathBuf>,
    /// `--force`: overwrite the scaffold's files when they exist.
    pub force: bool,
    /// Where relative paths start.
    pub cwd: PathBuf,
    /// Shared context.
    pub ctx: Context,
}

impl CreateCommand {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<ExitStatus> {
        if let Some(name) = &self.name {
            check_name(name)?;
        }
        let dir = match (&self.output_dir, &self.name) {
            (Some(dir), _) => self.cwd.join(dir),
            (None, Some(name)) => self.cwd.join(name),
            (None, None) => self.cwd.clone(),
        };
        let dir = std::path::absolute(&dir).with_context(|| format!("resolving {}", dir.display()))?;
        if !self.force {
            refuse_existing(&dir)?;
        }
        for (relative, content) in SCAFFOLD {
            let path = dir.join(relative);
            write(&path, content, self.force)?;
            self.ctx.printer.info(&format!("created {}", path.display()));
        }
        self.ctx.printer.info(&format!(
            "\nhelmfile project created in {dir}\n\nNext steps:\n  cd {dir}\n  # Edit helmfile.yaml to add your releases\n  helmfire apply",
            dir = dir.display()
        ));
        Ok(ExitStatus::Success)
    }
}

/// NAME names one new directory: no separators, not `.` or `..`, not blank.
fn check_name(name: &str) -> anyhow::Result<()> {
    if name.contains(['/', '\\']) {
        anyhow::bail!(
            "project name `{name}` must not contain path separators; give a plain name, or use --output-dir for a path"
        );
    }
    if name == "." || name == ".." {
        anyhow::bail!("project name `{name}` is not a name; give a plain name, or no name for the current directory");
    }
    if name.trim().is_empty() {
        anyhow::bail!("the project name is blank; give a plain name, or no name for the current directory");
    }
    Ok(())
}

/// Without `--force`, nothing is written when any scaffold file exists.
fn refuse_existing(dir: &Path) -> anyhow::Result<()> {
    let mut existing = Vec::new();
    for (relative, _) in SCAFFOLD {
        let path = dir.join(relative);
        match std::fs::symlink_metadata(&path) {
            Ok(_) => existing.push(path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("checking {}", path.display())),
        }
    }
    if !existing.is_empty() {
        anyhow::bail!(
            "these files exist already: {}; pass --force to overwrite them, or choose another directory",
            existing.join(", ")
        );
    }
    Ok(())
}

/// Writes one file, creating its directory; without `force` a file that
/// appeared since the check is not overwritten.
fn write(path: &Path, content: &str, force: bool) -> anyhow::Result<()> {
    use std::io::Write as _;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("creating the directory {}", parent.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options.open(path).with_context(|| format!("writing {}", path.display()))?;
    file.write_all(content.as_bytes()).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_are_not_one_directory_are_refused() {
        for bad in ["a/b", "a\\b", ".", "..", "  "] {
            assert!(check_name(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(check_name("my-project").is_ok());
    }

    #[test]
    fn the_scaffold_state_file_is_a_state_helmfire_loads() {
        let doc: crate::state::HelmfileDoc = crate::yaml::from_str(SCAFFOLD[0].1).unwrap();
        assert!(doc.releases.is_empty());
    }
}
