//! Whole files as distributions and guides ship them.

use super::*;

/// Debian's /etc/pptpd.conf (pptpd 1.4.0-12), verbatim.
const DEBIAN_CONF: &str = "\
###############################################################################
# $Id$
#
# Sample Poptop configuration file /etc/pptpd.conf
#
# Changes are effective when pptpd is restarted.
###############################################################################

# TAG: ppp
#\tPath to the pppd program, default '/usr/sbin/pppd' on Linux
#
#ppp /usr/sbin/pppd

# TAG: option
#\tSpecifies the location of the PPP options file.
#\tBy default PPP looks in '/etc/ppp/options'
#
option /etc/ppp/pptpd-options

# TAG: debug
#\tTurns on (more) debugging to syslog
#
#debug

# TAG: stimeout
#\tSpecifies timeout (in seconds) on starting ctrl connection
#
# stimeout 10

# TAG: noipparam
#       Suppress the passing of the client's IP address to PPP, which is
#       done by default otherwise.
#
#noipparam

# TAG: logwtmp
#\tUse wtmp(5) to record client connections and disconnections.
#
logwtmp

# TAG: bcrelay <if>
#\tTurns on broadcast relay to clients from interface <if>
#
#bcrelay eth1

# TAG: delegate
#\tDelegates the allocation of client IP addresses to pppd.
#
#       Without this option, which is the default, pptpd manages the list of
#       IP addresses for clients and passes the next free address to pppd.
#       With this option, pptpd does not pass an address, and so pppd may use
#       radius or chap-secrets to allocate an address.
#
#delegate

# TAG: connections
#       Limits the number of client connections that may be accepted.
#
#       If pptpd is allocating IP addresses (e.g. delegate is not
#       used) then the number of connections is also limited by the
#       remoteip option.  The default is 100.
#connections 100

# TAG: localip
# TAG: remoteip
#\tSpecifies the local and remote IP address ranges.
#
#\tThese options are ignored if delegate option is set.
#
#       Any addresses work as long as the local machine takes care of the
#       routing.  But if you want to use MS-Windows networking, you should
#       use IP addresses out of the LAN address space and use the proxyarp
#       option in the pppd options file, or run bcrelay.
#
#\tYou can specify single IP addresses seperated by commas or you can
#\tspecify ranges, or both. For example:
#
#\t\t192.168.0.234,192.168.0.245-249,192.168.0.254
#
#\tIMPORTANT RESTRICTIONS:
#
#\t1. No spaces are permitted between commas or within addresses.
#
#\t2. If you give more IP addresses than the value of connections,
#\t   it will start at the beginning of the list and go until it
#\t   gets connections IPs.  Others will be ignored.
#
#\t3. No shortcuts in ranges! ie. 234-8 does not mean 234 to 238,
#\t   you must type 234-238 if you mean this.
#
#\t4. If you give a single localIP, that's ok - all local IPs will
#\t   be set to the given one. You MUST still give at least one remote
#\t   IP for each simultaneous client.
#
# (Recommended)
#localip 192.168.0.1
#remoteip 192.168.0.234-238,192.168.0.245
# or
#localip 192.168.0.234-238,192.168.0.245
#remoteip 192.168.1.234-238,192.168.1.245
";

#[test]
fn debian_default_file_sets_option_and_logwtmp_only() {
    let (file, warnings) = parse(DEBIAN_CONF);
    assert_eq!(warnings, Vec::<String>::new());
    assert_eq!(
        file,
        FileSettings {
            option: Some(Located {
                value: "/etc/ppp/pptpd-options".into(),
                line: 18
            }),
            logwtmp: true,
            ..FileSettings::default()
        }
    );
    let (config, warnings) = merged_ok(&ServerOptions::default(), DEBIAN_CONF);
    assert_eq!(warnings, Vec::<String>::new());
    assert_eq!(
        config,
        ServerConfig {
            option_file: Some("/etc/ppp/pptpd-options".into()),
            logwtmp: true,
            ..defaults()
        }
    );
}

#[test]
fn arch_wiki_example() {
    let text = "option /etc/ppp/options.pptpd\n\
                logwtmp\n\
                localip 172.16.36.1\n\
                remoteip 172.16.36.2-254\n";
    let (config, warnings) = merged_ok(&ServerOptions::default(), text);
    assert_eq!(warnings, Vec::<String>::new());
    assert_eq!(
        config,
        ServerConfig {
            option_file: Some("/etc/ppp/options.pptpd".into()),
            logwtmp: true,
            local_ips: vec![ip(172, 16, 36, 1)],
            remote_ips: (2..=254).map(|d| ip(172, 16, 36, d)).collect(),
            ..defaults()
        }
    );
}
