//! Reading the files a state names (state files, bases, values files,
//! patches) with limits: only regular files, and at most [`MAX_INPUT_BYTES`]
//! each. A device (`/dev/zero`) or a runaway generated file is refused with
//! a sentence saying so, instead of growing memory without bound.

use std::io::Read as _;
use std::path::Path;

/// The largest file helmfire reads as state or values: far above any real
/// values file, far below what would exhaust a CI runner.
pub const MAX_INPUT_BYTES: u64 = 32 << 20;

/// Why an input file was not read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// Reading failed (missing, unreadable...).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Not a regular file.
    #[error("{} is not a regular file; state and values must be files", .0.display())]
    NotAFile(std::path::PathBuf),
    /// Too large.
    #[error("{} is larger than helmfire reads ({} MiB); split it, or check it is the file you meant", .0.display(), MAX_INPUT_BYTES >> 20)]
    TooLarge(std::path::PathBuf),
}

/// The text of `path`, within the limits.
pub fn read_input(path: &Path) -> Result<String, InputError> {
    let file = fs_err::File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(InputError::NotAFile(path.to_path_buf()));
    }
    let mut text = String::new();
    // Read one byte past the limit to tell "exactly at" from "over".
    let read = file.take(MAX_INPUT_BYTES + 1).read_to_string(&mut text)?;
    if read as u64 > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge(path.to_path_buf()));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_directories_are_refused() {
        assert!(matches!(read_input(Path::new("/dev/zero")), Err(InputError::NotAFile(_))));
        assert!(matches!(read_input(Path::new("/")), Err(InputError::NotAFile(_))));
    }

    #[test]
    fn a_file_over_the_limit_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.yaml");
        let file = std::fs::File::create(&big).unwrap();
        file.set_len(MAX_INPUT_BYTES + 1).unwrap();
        assert!(matches!(read_input(&big), Err(InputError::TooLarge(_))));
        file.set_len(10).unwrap();
        assert!(read_input(&big).is_ok());
    }
}
