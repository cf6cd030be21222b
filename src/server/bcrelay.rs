//! pptpd's broadcast relay: `bcrelay IF` (`-b IF`) starts our bcrelay as poptop starts its
//! own (pptpd.c, launch_bcrelay): `bcrelay -i IF -o 'ppp[0-9].*'`, with `-n` (no line per
//! relayed broadcast) unless pptpd logs debug messages.

use std::path::{Path, PathBuf};

use crate::sys::process::{self, ChildProcess};

/// Where poptop and Debian install it.
pub const DEFAULT_BCRELAY: &str = "/usr/sbin/bcrelay";

/// The bcrelay to run: the one beside this pptpd (a build tree, a package installed
/// elsewhere), else /usr/sbin/bcrelay. Found before going into the background, so that a
/// missing one stops pptpd with a message (poptop logged it and went on without relay).
pub fn locate() -> Result<PathBuf, String> {
    let beside = std::env::current_exe()
        .ok()
        .map(|exe| exe.with_file_name("bcrelay"));
    let candidates = beside.into_iter().chain([PathBuf::from(DEFAULT_BCRELAY)]);
    for path in candidates {
        if is_executable(&path) {
            return Ok(path);
        }
    }
    Err(format!(
        "bcrelay is configured but {DEFAULT_BCRELAY} is missing or not executable \
         (install it, or remove bcrelay from pptpd.conf and -b from the command line)"
    ))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// poptop's argv for the relay.
pub fn args(interface: &str, debug: bool) -> Vec<&str> {
    let mut args = vec!["-i", interface, "-o", "ppp[0-9].*"];
    if !debug {
        args.push("-n");
    }
    args
}

/// Starts the relay.
pub fn start(program: &Path, interface: &str, debug: bool) -> Result<ChildProcess, String> {
    process::spawn(program, &args(interface, debug))
        .map_err(|e| format!("cannot start {}: {e}", program.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_as_poptop_passes_it() {
        assert_eq!(
            args("eth1", false),
            ["-i", "eth1", "-o", "ppp[0-9].*", "-n"]
        );
        assert_eq!(args("br0", true), ["-i", "br0", "-o", "ppp[0-9].*"]);
    }
}
