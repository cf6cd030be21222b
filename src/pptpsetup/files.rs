//! Writing the two files, with the permissions each must have.
//!
//! pptp-linux sets `umask 0027` and so creates both files with mode 0640; pppd then warns
//! that chap-secrets "has world and/or group access" (`auth.c: check_access()`). Here the
//! peers file is still created 0640 (it holds no secret), but chap-secrets is created 0600,
//! and a rewrite or an append never leaves it, or its backup, more open than 0600: the
//! group and other bits of an existing file are dropped, and nothing is ever added.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt, fchown};
use std::path::{Path, PathBuf};

/// Mode of a new peers file: pptp-linux's 0666 under its umask 0027.
pub const PEERS_MODE: u32 = 0o640;

/// Mode of a new chap-secrets file, and the most any rewrite leaves.
pub const SECRETS_MODE: u32 = 0o600;

/// A file's content and metadata, or `None` when it does not exist.
pub fn read_optional(path: &Path) -> io::Result<Option<(Vec<u8>, Metadata)>> {
    match File::open(path) {
        Ok(mut file) => {
            let meta = file.metadata()?;
            let mut bytes = Vec::new();
            io::Read::read_to_end(&mut file, &mut bytes)?;
            Ok(Some((bytes, meta)))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes the peers file: a new one with mode 0640 whatever the umask, an existing one
/// truncated in place with its mode kept (pptp-linux's `open(FILE, ">$tunnel_file")`).
pub fn write_peers(path: &Path, text: &[u8]) -> io::Result<()> {
    let mut file = match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(PEERS_MODE)
        .open(path)
    {
        Ok(file) => {
            file.set_permissions(fs::Permissions::from_mode(PEERS_MODE))?;
            file
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            OpenOptions::new().write(true).truncate(true).open(path)?
        }
        Err(e) => return Err(e),
    };
    file.write_all(text)?;
    file.sync_all()
}

/// The mode a rewritten secrets file gets: at most 0600, and never more than `old` had.
pub fn narrowed(old: u32) -> u32 {
    old & SECRETS_MODE
}

/// Appends `text` to the secrets file, which is created with mode 0600 if it is missing
/// (whatever the umask); an existing file loses its group and other permissions.
pub fn append_secrets(path: &Path, text: &[u8]) -> io::Result<()> {
    let (mut file, mode) = match OpenOptions::new()
        .append(true)
        .create_new(true)
        .mode(SECRETS_MODE)
        .open(path)
    {
        Ok(file) => (file, SECRETS_MODE),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let file = OpenOptions::new().append(true).open(path)?;
            let mode = file.metadata()?.permissions().mode() & 0o7777;
            (file, narrowed(mode))
        }
        Err(e) => return Err(e),
    };
    file.set_permissions(fs::Permissions::from_mode(mode))?;
    file.write_all(text)?;
    file.sync_all()
}

/// A failed step of [`replace_secrets`]: the file it was writing, and why.
#[derive(Debug)]
pub struct WriteError {
    /// The file that could not be written.
    pub path: PathBuf,
    /// Why.
    pub error: io::Error,
}

/// Replaces the secrets file's content `old` (with metadata `meta`) by `new`, after saving
/// `old` in `backup`, as pptp-linux's `--delete` keeps `chap-secrets.bkp`.
///
/// Both are written to a temporary file in the same directory and renamed into place, so
/// that a crash or a full disk never leaves a half-written secrets file (pptp-linux renames
/// the old file away first and then writes the new one). Both get [`narrowed`] permissions
/// and keep the old file's owner and group.
pub fn replace_secrets(
    path: &Path,
    backup: &Path,
    old: &[u8],
    new: &[u8],
    meta: &Metadata,
) -> Result<(), WriteError> {
    let mode = narrowed(meta.permissions().mode() & 0o7777);
    let owner = (meta.uid(), meta.gid());
    for (target, bytes) in [(backup, old), (path, new)] {
        write_atomically(target, bytes, mode, owner).map_err(|error| WriteError {
            path: target.to_path_buf(),
            error,
        })?;
    }
    Ok(())
}

fn write_atomically(path: &Path, bytes: &[u8], mode: u32, owner: (u32, u32)) -> io::Result<()> {
    let name = path
        .file_name()
        .map_or_else(Default::default, |n| n.to_os_string());
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(&name);
    tmp_name.push(format!(".pptpsetup-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(SECRETS_MODE)
            .open(&tmp)?;
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        // Keeping the owner only matters when root rewrites someone else's file, and it can;
        // a user rewriting their own test file owns the new one anyway, so a failure is not
        // an error.
        let _ = fchown(&file, Some(owner.0), Some(owner.1));
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrowing_never_widens() {
        assert_eq!(narrowed(0o600), 0o600);
        assert_eq!(narrowed(0o640), 0o600);
        assert_eq!(narrowed(0o644), 0o600);
        assert_eq!(narrowed(0o400), 0o400);
        assert_eq!(narrowed(0o000), 0o000);
        assert_eq!(narrowed(0o4755), 0o600);
    }
}
