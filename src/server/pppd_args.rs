//! pppd's command line for one call, as poptop's pptpctrl builds it, so that ip-up scripts
//! (`ipparam`) and RADIUS (`remotenumber` as Calling-Station-Id) see the same values
//! (reference-behaviour.md §2.6):
//!
//! `local [file F] <speed> [<local>:<remote>] [ipparam <client>] remotenumber <client>`
//!
//! (pppd itself is `ppp` from pptpd.conf, /usr/sbin/pppd by default.)
//!
//! Deliberate difference: with `logwtmp`, poptop added `plugin
//! /usr/lib/pptpd/pptpd-logwtmp.so pptpd-original-ip <client>`. That plugin must match
//! pppd's exact version and broke at every ppp upgrade; pptpd writes the same login records
//! itself from pppd's ip-up and ip-down hooks (`pptpctl hook`), so the plugin is never
//! loaded.

use std::net::Ipv4Addr;
use std::path::Path;

/// What varies between calls.
#[derive(Debug, Clone, Copy)]
pub struct CallArgs<'a> {
    /// The `option` file, given to pppd as `file`.
    pub option_file: Option<&'a Path>,
    /// pptpd.conf's `speed`.
    pub speed: &'a str,
    /// Our end's address (None in delegate mode).
    pub local: Option<Ipv4Addr>,
    /// The client's tunnel address (None in delegate mode).
    pub remote: Option<Ipv4Addr>,
    /// The client's public address (behind NAT, the router's).
    pub client: Ipv4Addr,
    /// `noipparam` was given.
    pub noipparam: bool,
    /// The control socket, when it is not at the default path: pppd's hooks then need to
    /// be told where it is (`set PPTPD_CONTROL=PATH`, pppd 2.4.8 and later).
    pub control_socket: Option<&'a Path>,
}

/// The arguments after pppd's own name.
pub fn pppd_args(c: &CallArgs<'_>) -> Vec<String> {
    let client = c.client.to_string();
    let mut args = vec!["local".to_string()];
    if let Some(file) = c.option_file {
        args.push("file".into());
        args.push(file.display().to_string());
    }
    args.push(c.speed.to_string());
    // poptop writes "L:R" when either side is set; pppd takes an empty side as unset.
    if c.local.is_some() || c.remote.is_some() {
        let show = |a: Option<Ipv4Addr>| a.map(|a| a.to_string()).unwrap_or_default();
        args.push(format!("{}:{}", show(c.local), show(c.remote)));
    }
    if !c.noipparam {
        args.push("ipparam".into());
        args.push(client.clone());
    }
    args.push("remotenumber".into());
    args.push(client);
    if let Some(path) = c.control_socket {
        args.push("set".into());
        args.push(format!("PPTPD_CONTROL={}", path.display()));
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> CallArgs<'static> {
        CallArgs {
            option_file: Some(Path::new("/etc/ppp/pptpd-options")),
            speed: "115200",
            local: Some(Ipv4Addr::new(203, 0, 113, 1)),
            remote: Some(Ipv4Addr::new(203, 0, 113, 10)),
            client: Ipv4Addr::new(198, 51, 100, 11),
            noipparam: false,
            control_socket: None,
        }
    }

    #[test]
    fn debian_default_call() {
        assert_eq!(
            pppd_args(&base()).join(" "),
            "local file /etc/ppp/pptpd-options 115200 203.0.113.1:203.0.113.10 \
             ipparam 198.51.100.11 remotenumber 198.51.100.11"
        );
    }

    #[test]
    fn a_control_socket_elsewhere_is_told_to_the_hooks() {
        let c = CallArgs {
            control_socket: Some(Path::new("/run/other/ctl")),
            ..base()
        };
        assert!(
            pppd_args(&c)
                .join(" ")
                .ends_with("remotenumber 198.51.100.11 set PPTPD_CONTROL=/run/other/ctl")
        );
    }

    #[test]
    fn minimal_and_delegate() {
        let c = CallArgs {
            option_file: None,
            local: None,
            remote: None,
            noipparam: true,
            ..base()
        };
        assert_eq!(
            pppd_args(&c).join(" "),
            "local 115200 remotenumber 198.51.100.11"
        );
    }
}
