//! The daemon's files, one directory per state (under the chart cache
//! directory, which watch mode ignores): `pid`, `address`, `token` (mode
//! 0600: it grants control of the cluster releases) and `log`.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

/// The files of the daemon of one state.
#[derive(Debug, Clone)]
pub struct DaemonFiles {
    /// Their directory.
    pub dir: PathBuf,
}

/// A daemon that is running.
#[derive(Debug, Clone)]
pub struct Running {
    /// Its process id.
    pub pid: u32,
    /// `http(s)://host:port`.
    pub address: String,
    /// Its bearer token.
    pub token: String,
}

impl DaemonFiles {
    /// The directory for the state in `state_dir`: `<cache>/daemon/<hash>`,
    /// the hash of the state directory's absolute path.
    pub fn for_state(cache_dir: &Path, state_dir: &Path) -> DaemonFiles {
        let absolute = std::path::absolute(state_dir).unwrap_or_else(|_| state_dir.to_path_buf());
        let digest = sha1_smol::Sha1::from(absolute.to_string_lossy().as_bytes()).digest().to_string();
        DaemonFiles { dir: cache_dir.join("daemon").join(&digest[..12]) }
    }

    /// The pid file.
    pub fn pid(&self) -> PathBuf {
        self.dir.join("pid")
    }
    /// Where the API listens.
    pub fn address(&self) -> PathBuf {
        self.dir.join("address")
    }
    /// The bearer token (0600).
    pub fn token(&self) -> PathBuf {
        self.dir.join("token")
    }
    /// The log of a daemon started with `daemon start`.
    pub fn log(&self) -> PathBuf {
        self.dir.join("log")
    }

    /// Generates a new token (32 random bytes, hex) and stores it 0600.
    pub fn create_token(&self) -> std::io::Result<String> {
        let mut bytes = [0u8; 32];
        std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)?;
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        self.store_token(token)
    }

    /// Stores a given token (`--token-file`, a mounted Secret) 0600, for
    /// the local CLI to find as it finds a generated one.
    pub fn store_token(&self, token: String) -> std::io::Result<String> {
        std::fs::create_dir_all(&self.dir)?;
        let _ = std::fs::remove_file(self.token());
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(self.token())?;
        file.write_all(token.as_bytes())?;
        Ok(token)
    }

    /// Records the running daemon's pid and address.
    pub fn record(&self, address: &str) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        std::fs::write(self.address(), address)?;
        std::fs::write(self.pid(), std::process::id().to_string())
    }

    /// Removes pid, address and token (the log stays).
    pub fn clear(&self) {
        for file in [self.pid(), self.address(), self.token()] {
            let _ = std::fs::remove_file(file);
        }
    }

    /// The daemon running for this state, if one is.
    pub fn running(&self) -> Option<Running> {
        let pid: u32 = std::fs::read_to_string(self.pid()).ok()?.trim().parse().ok()?;
        if !Path::new(&format!("/proc/{pid}")).exists() || pid == std::process::id() {
            return None;
        }
        let address = std::fs::read_to_string(self.address()).ok()?.trim().to_string();
        let token = std::fs::read_to_string(self.token()).ok()?.trim().to_string();
        Some(Running { pid, address, token })
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn the_token_is_private_and_fresh_each_time() {
        let dir = tempfile::tempdir().unwrap();
        let files = DaemonFiles::for_state(dir.path(), Path::new("/some/state"));
        let first = files.create_token().unwrap();
        let mode = std::fs::metadata(files.token()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(first.len(), 64);
        assert_ne!(files.create_token().unwrap(), first);
    }

    #[test]
    fn a_dead_pid_is_not_a_running_daemon() {
        let dir = tempfile::tempdir().unwrap();
        let files = DaemonFiles::for_state(dir.path(), Path::new("/some/state"));
        files.create_token().unwrap();
        std::fs::write(files.address(), "http://127.0.0.1:1").unwrap();
        std::fs::write(files.pid(), "999999999").unwrap();
        assert!(files.running().is_none());
    }
}
