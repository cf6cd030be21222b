//! The file merged with the command line.

use super::*;

#[test]
fn command_line_overrides_the_file_for_every_setting() {
    let text = "option /etc/ppp/file-opts\nstimeout 3\nbcrelay eth1\nconnections 7\n\
                listen 192.0.2.1\npidfile /run/file.pid\nspeed 9600\nppp /opt/file-pppd\n\
                vrf blue\n";
    let opts = ServerOptions {
        option: Some("/etc/ppp/cli-opts".into()),
        stimeout: Some(Duration::from_secs(20)),
        bcrelay: Some("eth2".into()),
        connections: Some(5),
        listen: Some("192.0.2.2".into()),
        pidfile: Some("/run/cli.pid".into()),
        speed: Some("38400".into()),
        ppp: Some("/opt/cli-pppd".into()),
        vrf: Some("red".into()),
        ..Default::default()
    };
    let (config, _) = merged_ok(&opts, text);
    assert_eq!(config.option_file, Some("/etc/ppp/cli-opts".into()));
    // poptop: the file's connections beat -C, and the file's stimeout was never read.
    assert_eq!(config.connections, 5);
    assert_eq!(config.stimeout, Duration::from_secs(20));
    assert_eq!(config.bcrelay, Some("eth2".into()));
    assert_eq!(config.listen, Some(ip(192, 0, 2, 2)));
    assert_eq!(config.pidfile, PathBuf::from("/run/cli.pid"));
    assert_eq!(config.speed, "38400");
    assert_eq!(config.ppp, PathBuf::from("/opt/cli-pppd"));
    assert_eq!(config.vrf, Some("red".into()));
}

#[test]
fn the_file_applies_where_the_command_line_is_silent() {
    let (config, _) = merged_ok(&ServerOptions::default(), "connections 7\nstimeout 3\n");
    assert_eq!(config.connections, 7);
    assert_eq!(config.stimeout, Duration::from_secs(3));
}

#[test]
fn flags_from_either_source() {
    let opts = ServerOptions {
        debug: true,
        logwtmp: true,
        ..Default::default()
    };
    let (config, _) = merged_ok(&opts, "noipparam\n");
    assert!(config.debug && config.logwtmp && config.noipparam && !config.delegate);
}

#[test]
fn bcrelay_from_the_file_and_the_command_line_which_wins() {
    let (config, warnings) = merged_ok(&ServerOptions::default(), "bcrelay eth1\n");
    assert_eq!(config.bcrelay, Some("eth1".into()));
    assert!(warnings.is_empty(), "{warnings:?}");
    let opts = ServerOptions {
        bcrelay: Some("br0".into()),
        ..Default::default()
    };
    let (config, _) = merged_ok(&opts, "bcrelay eth1\n");
    assert_eq!(config.bcrelay, Some("br0".into()));
}

#[test]
fn vrf_from_the_file_and_the_command_line_which_wins() {
    let (config, warnings) = merged_ok(&ServerOptions::default(), "vrf blue\n");
    assert_eq!(config.vrf, Some("blue".into()));
    assert!(warnings.is_empty(), "{warnings:?}");
    let opts = ServerOptions {
        vrf: Some("red".into()),
        ..Default::default()
    };
    let (config, _) = merged_ok(&opts, "vrf blue\n");
    assert_eq!(config.vrf, Some("red".into()));
}

#[test]
fn command_line_listen_that_does_not_resolve_names_the_option() {
    let opts = ServerOptions {
        listen: Some("nowhere".into()),
        ..Default::default()
    };
    let e = merged(&opts, "").unwrap_err();
    assert_eq!((e.file.clone(), e.line), (None, None));
    assert_eq!(
        e.to_string(),
        "pptpd: --listen: invalid listening address 'nowhere': cannot resolve host name: no \
         such host 'nowhere'"
    );
}

#[test]
fn session_features_without_the_control_socket_are_refused() {
    let opts = ServerOptions {
        logwtmp: true,
        ..Default::default()
    };
    let e = merged(&opts, "control-socket none\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "pptpd: /etc/pptpd.conf: logwtmp (-w) needs the control socket, through which pppd's \
         ip-up and ip-down hooks report each session: remove 'control-socket none' or \
         logwtmp (-w)"
    );
    let e = merged(
        &ServerOptions::default(),
        "control-socket none\nsingle-session deny\n",
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("single-session needs the control socket"),
        "{e}"
    );
    // With the socket, or without these, the file is good.
    merged_ok(
        &opts,
        "control-socket /run/x/control\nsingle-session replace\n",
    );
    merged_ok(&ServerOptions::default(), "control-socket none\n");
}
