use super::*;

/// A file of tests/vectors/pptpsetup/perl: what pptp-linux's pptpsetup wrote.
macro_rules! perl {
    ($path:literal) => {
        &include_bytes!(concat!("../../../tests/vectors/pptpsetup/perl/", $path))[..]
    };
}

fn texts(input: &[u8]) -> Vec<Vec<u8>> {
    Words::new(input).map(|w| w.text).collect()
}

/// `file` after removing tunnel `tunnel`'s lines for `users`.
fn without(file: &[u8], tunnel: &str, users: &[&[u8]]) -> Vec<u8> {
    let users: Vec<Vec<u8>> = users.iter().map(|u| u.to_vec()).collect();
    remove(file, &tunnel_lines(file, tunnel, &users))
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

// ==== the entry, against pptp-linux ====

#[test]
fn the_entry_is_pptp_linuxs_for_ordinary_values() {
    assert_eq!(
        entry("vpn", b"alice", b"secret"),
        perl!("basic/chap-secrets")
    );
    assert_eq!(
        entry("office", b"bob", b"p@ss w0rd"),
        perl!("encrypt/chap-secrets")
    );
    assert_eq!(
        entry("vpn", b"al$ice", b"a#b$c d'e"),
        perl!("special/chap-secrets")
    );
}

#[test]
fn two_entries_append_as_pptp_linuxs_do() {
    let two = cat(&[
        &entry("vpn", b"alice", b"secret"),
        &entry("office", b"bob", b"p@ss w0rd"),
    ]);
    assert_eq!(two, perl!("two/chap-secrets"));
}

/// pptp-linux writes `CORP\alice`, which pppd reads as "CORP", BEL, "lice"; ours keeps the
/// backslash, and is otherwise the same text.
#[test]
fn a_domain_keeps_its_backslash() {
    let perl = perl!("domain/chap-secrets");
    let ours = entry("corp", b"CORP\\alice", b"secret");
    let fixed = String::from_utf8_lossy(perl).replace("CORP\\alice", "\"CORP\\\\alice\"");
    assert_eq!(ours, fixed.as_bytes());
    assert_eq!(texts(perl)[0], b"CORP\x07lice");
    assert_eq!(texts(&ours)[0], b"CORP\\alice");
}

/// A typed password: pptp-linux keeps the newline (`\x0a`) and escapes `"` and non-ASCII as
/// `\xHH`; ours has no newline and writes `\"` and the UTF-8 bytes. Apart from the newline,
/// pppd reads the same secret from both.
#[test]
fn a_typed_password_loses_only_its_newline() {
    let ours = entry("vpn", b"alice", b"secret");
    let perl = perl!("typed/chap-secrets");
    assert_eq!(
        String::from_utf8_lossy(perl).replace("\\x0a", ""),
        String::from_utf8_lossy(&ours)
    );

    let ours = entry("vpn", b"alice", "sé\"c".as_bytes());
    let perl = perl!("typed-special/chap-secrets");
    assert_eq!(
        ours,
        "\n# added by pptpsetup for vpn\nalice vpn \"sé\\\"c\" *\n".as_bytes()
    );
    assert_eq!(texts(perl)[2], "sé\"c\n".as_bytes());
    assert_eq!(texts(&ours)[2], "sé\"c".as_bytes());
}

/// With `"` or `\` in `--password`, pptp-linux's entry is no longer the secret it was
/// given; ours is.
#[test]
fn quotes_and_backslashes_in_a_password_survive() {
    for secret in [
        &b"a\"b c"[..],
        b"back\\slash",
        b"end\\",
        b"\"",
        b"x\" *\nroot * \"y",
    ] {
        let line = entry("vpn", b"alice", secret);
        assert_eq!(
            texts(&line),
            [&b"alice"[..], b"vpn", secret, b"*"],
            "{secret:?}"
        );
    }
}

// ==== which secrets pppd can read back ====

#[test]
fn secrets_pppd_cannot_read_back_are_refused() {
    assert!(check_secret(b"").is_ok());
    assert!(check_secret(b"secret").is_ok());
    assert!(check_secret(&[b'x'; MAXSECRETLEN]).is_ok());
    assert!(check_secret(b"@home").is_ok());
    assert!(check_secret(b"x@/y").is_ok());
    assert!(
        check_secret(&[b'x'; MAXSECRETLEN + 1])
            .unwrap_err()
            .contains("257 bytes")
    );
    assert!(check_secret(b"a\0b").unwrap_err().contains("NUL"));
    assert!(check_secret(b"@/etc/shadow").unwrap_err().contains("'@/'"));
}

// ==== the tunnel's lines ====

#[test]
fn deleting_the_first_of_two_tunnels_leaves_the_second_as_if_alone() {
    // pptp-linux leaves the blank line that came before the deleted block.
    let perl = perl!("two-delete-vpn/chap-secrets");
    let ours = without(perl!("two/chap-secrets"), "vpn", &[b"alice"]);
    assert_eq!(ours, perl!("encrypt/chap-secrets"));
    assert_eq!(cat(&[b"\n", &ours]), perl);
}

#[test]
fn deleting_the_second_of_two_tunnels_leaves_the_first() {
    let ours = without(perl!("two/chap-secrets"), "office", &[b"bob"]);
    assert_eq!(ours, perl!("basic/chap-secrets"));
}

#[test]
fn create_then_delete_gives_back_the_file() {
    let seeded = &perl!("seeded-create/chap-secrets")
        [..perl!("seeded-create/chap-secrets").len() - perl!("basic/chap-secrets").len()];
    assert!(seeded.starts_with(b"# Secrets for authentication using CHAP\n"));
    assert_eq!(
        without(perl!("seeded-create/chap-secrets"), "vpn", &[b"alice"]),
        seeded
    );
    // Without a final newline, the file only gains one.
    let no_newline = b"carol office \"x\" *";
    let file = cat(&[no_newline, &entry("vpn", b"alice", b"secret")]);
    assert_eq!(
        without(&file, "vpn", &[b"alice"]),
        cat(&[no_newline, b"\n"])
    );
}

/// pptp-linux's `/\bvpn\b/` also deletes carol's `vpn-2`, the user called `vpn` and bob's
/// entry, whose password is "my vpn"; ours deletes only tunnel vpn's block.
#[test]
fn other_tunnels_and_users_are_kept() {
    let before = perl!("seeded-two/chap-secrets");
    let perl = perl!("seeded-delete-vpn/chap-secrets");
    assert!(!perl.windows(5).any(|w| w == b"carol"));
    assert!(!perl.windows(3).any(|w| w == b"bob"));
    let ours = without(before, "vpn", &[b"alice"]);
    let block = entry("vpn", b"alice", b"secret");
    let at = before
        .windows(block.len())
        .position(|w| w == block)
        .unwrap();
    assert_eq!(ours, cat(&[&before[..at], &before[at + block.len()..]]));
    for kept in [
        &b"carol\tvpn-2"[..],
        b"vpn\tremote",
        b"bob office \"my vpn\" *",
    ] {
        assert!(ours.windows(kept.len()).any(|w| w == kept), "{kept:?}");
    }
}

#[test]
fn every_entry_of_the_tunnels_user_goes_and_no_other() {
    let file = b"alice vpn \"old\" *\n\
                 dave vpn \"his\" *\n\
                 * vpn \"any\" *\n\
                 alice office \"x\" *\n\
                 alice vpn-2 \"y\" *\n\
                 \"alice\" 'vpn' new 10.0.0.1 -- mtu 1400\n\
                 # alice vpn in a comment\n";
    let ours = without(file, "vpn", &[b"alice"]);
    assert_eq!(
        ours,
        &b"dave vpn \"his\" *\n\
           * vpn \"any\" *\n\
           alice office \"x\" *\n\
           alice vpn-2 \"y\" *\n\
           # alice vpn in a comment\n"[..]
    );
}

#[test]
fn entries_written_by_pptp_linux_with_a_domain_are_found() {
    // pptp-linux's unescaped `CORP\alice`, in both files, reads as the same bytes.
    let peers = perl!("domain/peers/corp");
    let user = super::super::peers::user_name(peers).unwrap();
    assert_eq!(without(perl!("domain/chap-secrets"), "corp", &[&user]), b"");
}

#[test]
fn the_block_entry_goes_even_for_another_user_but_not_another_tunnel() {
    // The peers file's name was edited after pptpsetup wrote the block.
    let file = cat(&[&entry("vpn", b"alice", b"secret"), b"keep me\n"]);
    assert_eq!(without(&file, "vpn", &[b"bob"]), b"keep me\n");
    // A block comment followed by another tunnel's entry: only the comment and its blank.
    let file = b"a b c\n\n# added by pptpsetup for vpn\nbob office \"x\" *\n";
    assert_eq!(without(file, "vpn", &[]), b"a b c\nbob office \"x\" *\n");
    // A comment with a different name, or with more after it, is not the block's.
    let file = b"# added by pptpsetup for vpn-2\n# added by pptpsetup for vpn and more\n";
    assert_eq!(without(file, "vpn", &[]), &file[..]);
}

#[test]
fn lines_are_read_as_pppd_reads_them() {
    // An entry continued by backslash-newline goes whole.
    let file = b"alice vpn \\\n  \"pw\" *\nnext one\n";
    assert_eq!(without(file, "vpn", &[b"alice"]), b"next one\n");
    // After a backslash-newline, "alice" does not start an entry: it is bob's address.
    let file = b"bob office \"x\" \\\nalice vpn \"y\" *\n";
    assert_eq!(without(file, "vpn", &[b"alice"]), &file[..]);
    // A comment-like line inside a quoted secret is part of that secret.
    let file = b"bob office \"a\n# added by pptpsetup for vpn\nb\" *\n";
    assert_eq!(without(file, "vpn", &[]), &file[..]);
    // A comment after the entry goes with its line.
    let file = b"alice vpn pw * # mine\nbob x y\n";
    assert_eq!(without(file, "vpn", &[b"alice"]), b"bob x y\n");
    // The file's first word is an entry's client even on the first line.
    assert_eq!(without(b"alice vpn pw", "vpn", &[b"alice"]), b"");
}

/// (Another user's entry under a block comment for the tunnel would go too, as the block's.)
#[test]
fn hostile_user_names_are_matched_exactly() {
    for user in [
        &b"CORP\\alice"[..],
        b"a b",
        b"#x",
        b"'q'",
        b"\"",
        b"x\\",
        "é".as_bytes(),
    ] {
        let file = cat(&[
            &entry("office", user, b"keep"),
            &entry("vpn", user, b"go"),
            b"other vpn \"keep\" *\n",
        ]);
        let users = vec![user.to_vec()];
        let left = remove(&file, &tunnel_lines(&file, "vpn", &users));
        assert_eq!(
            left,
            cat(&[&entry("office", user, b"keep"), b"other vpn \"keep\" *\n"]),
            "{user:?}"
        );
    }
}

#[test]
fn nothing_of_the_tunnel_means_no_ranges() {
    assert!(tunnel_lines(b"", "vpn", &[b"alice".to_vec()]).is_empty());
    assert!(tunnel_lines(perl!("encrypt/chap-secrets"), "vpn", &[b"bob".to_vec()]).is_empty());
}
