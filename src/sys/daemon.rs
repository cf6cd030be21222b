//! Daemon duties of both programs: going into the background and the pid file.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Detaches from the terminal as poptop does: `daemon(0, 0)` (new session, working
/// directory /, stdin, stdout and stderr on /dev/null).
pub fn daemonize() -> io::Result<()> {
    nix::unistd::daemon(false, false)?;
    Ok(())
}

/// A pid file: written when created, removed when dropped (poptop never removed it).
#[derive(Debug)]
pub struct PidFile(PathBuf);

impl PidFile {
    /// Writes this process's pid to `path`.
    pub fn create(path: &Path) -> io::Result<PidFile> {
        fs::write(path, format!("{}\n", std::process::id()))?;
        Ok(PidFile(path.to_path_buf()))
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}
