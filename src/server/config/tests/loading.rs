//! Loading from disk: the conf file and the files it names.

use super::*;

/// An executable stand-in for pppd and a readable options file in `dir`.
fn ppp_and_options(dir: &Scratch) -> (PathBuf, PathBuf) {
    let ppp = dir.file("pppd", "#!/bin/sh\n");
    fs::set_permissions(&ppp, fs::Permissions::from_mode(0o755)).expect("chmod");
    (ppp, dir.file("options", "lock\n"))
}

#[test]
fn load_reads_the_conf_file_and_checks_the_named_files() {
    let dir = Scratch::new("load");
    let (ppp, options) = ppp_and_options(&dir);
    let text = format!(
        "option {}\nppp {}\nremoteip 10.0.0.2-3\nlocalip localhost\n",
        options.display(),
        ppp.display()
    );
    let conf = dir.file("pptpd.conf", &text);
    let opts = ServerOptions {
        conf: Some(conf.clone()),
        ..Default::default()
    };
    let (config, warnings) = load(&opts).expect("load");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.conf_file, conf);
    assert_eq!(config.option_file, Some(options));
    assert_eq!(config.ppp, ppp);
    // The system resolver, through /etc/hosts.
    assert_eq!(config.local_ips, [Ipv4Addr::LOCALHOST]);
}

#[test]
fn missing_default_file_warns_and_uses_the_defaults() {
    let dir = Scratch::new("nodefault");
    let missing = dir.0.join("pptpd.conf");
    let (config, warnings) =
        load_with(&ServerOptions::default(), &missing, &fake_resolve, false).expect("load");
    assert_eq!(
        config,
        ServerConfig {
            conf_file: missing.clone(),
            ..defaults()
        }
    );
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].starts_with(&format!("pptpd: {}: No such file", missing.display())),
        "{warnings:?}"
    );
    assert!(warnings[0].ends_with("; using the built-in defaults"));
}

#[test]
fn missing_or_unreadable_conf_file_is_an_error() {
    let dir = Scratch::new("noconf");
    let missing = dir.0.join("nope.conf");
    let opts = ServerOptions {
        conf: Some(missing.clone()),
        ..Default::default()
    };
    let e = load(&opts).unwrap_err();
    assert_eq!((e.file.as_deref(), e.line), (Some(missing.as_path()), None));
    assert!(
        e.message
            .starts_with("cannot read the config file: No such file"),
        "{e}"
    );
    // A directory where the default file should be is not "missing".
    let e = load_with(&ServerOptions::default(), &dir.0, &fake_resolve, false).unwrap_err();
    assert!(e.message.starts_with("cannot read the config file"), "{e}");
    // Not UTF-8.
    let bad = dir.0.join("latin1.conf");
    fs::write(&bad, b"speed 9600 \xe9\n").expect("write");
    let opts = ServerOptions {
        conf: Some(bad),
        ..Default::default()
    };
    assert!(
        load(&opts)
            .unwrap_err()
            .message
            .starts_with("not valid UTF-8")
    );
}

#[test]
fn ppp_and_option_file_checks_blame_their_origin() {
    let dir = Scratch::new("checks");
    let (ppp, options) = ppp_and_options(&dir);
    let missing = dir.0.join("missing");
    let plain = dir.file("plain", "");
    fs::set_permissions(&plain, fs::Permissions::from_mode(0o644)).expect("chmod");

    // From the file: file and line.
    let conf = dir.file(
        "a.conf",
        &format!("\noption {}\nppp {}\n", missing.display(), ppp.display()),
    );
    let opts = ServerOptions {
        conf: Some(conf.clone()),
        ..Default::default()
    };
    let e = load(&opts).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "pptpd: {}:2: PPP options file {} is not readable: No such file or directory (os error 2)",
            conf.display(),
            missing.display()
        )
    );
    let conf = dir.file("b.conf", &format!("ppp {}\n", plain.display()));
    let opts = ServerOptions {
        conf: Some(conf.clone()),
        ..Default::default()
    };
    let e = load(&opts).unwrap_err();
    assert_eq!((e.line, e.file.as_deref()), (Some(1), Some(conf.as_path())));
    assert!(
        e.message
            .starts_with(&format!("PPP binary {} is not executable", plain.display())),
        "{e}"
    );

    // From the command line: the option, which overrides the file's good values.
    let conf = dir.file(
        "c.conf",
        &format!("option {}\nppp {}\n", options.display(), ppp.display()),
    );
    let opts = ServerOptions {
        conf: Some(conf.clone()),
        ppp: Some(dir.0.clone()),
        ..Default::default()
    };
    let e = load(&opts).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "pptpd: --ppp: PPP binary {} is not executable: it is a directory",
            dir.0.display()
        )
    );
    let opts = ServerOptions {
        conf: Some(conf),
        option: Some(missing.clone()),
        ..Default::default()
    };
    let e = load(&opts).unwrap_err();
    assert!(
        e.to_string().starts_with(&format!(
            "pptpd: --option: PPP options file {}",
            missing.display()
        )),
        "{e}"
    );
}

#[test]
fn config_error_display_forms() {
    let e = ConfigError {
        file: Some(CONF.into()),
        line: Some(12),
        message: "bad remoteip item '10.0.0.300': octet 300 > 255".into(),
    };
    assert_eq!(
        e.to_string(),
        "pptpd: /etc/pptpd.conf:12: bad remoteip item '10.0.0.300': octet 300 > 255"
    );
    let e = ConfigError { line: None, ..e };
    assert_eq!(
        e.to_string(),
        "pptpd: /etc/pptpd.conf: bad remoteip item '10.0.0.300': octet 300 > 255"
    );
    let e = ConfigError { file: None, ..e };
    assert_eq!(
        e.to_string(),
        "pptpd: bad remoteip item '10.0.0.300': octet 300 > 255"
    );
}
