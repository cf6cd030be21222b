use super::*;

/// The words of `input`, as (newline flag, text).
fn read(input: &[u8]) -> Vec<(bool, Vec<u8>)> {
    Words::new(input).map(|w| (w.newline, w.text)).collect()
}

fn texts(input: &[u8]) -> Vec<Vec<u8>> {
    Words::new(input).map(|w| w.text).collect()
}

/// The hostile values every writer must survive: each of getword()'s special bytes, alone,
/// doubled, first, last, and mixed.
fn hostile() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = [
        &b"secret"[..],
        b"",
        b" ",
        b"  leading and trailing  ",
        b"\\",
        b"\\\\",
        b"trailing backslash\\",
        b"\\leading backslash",
        b"a\\b\\n\\x41\\101\\s",
        b"\"",
        b"'",
        b"\"double\" and 'single'",
        b"it's",
        b"say \"hi\"",
        b"\"'\"'",
        b"#",
        b"#comment",
        b"pass#word",
        b"$",
        b"$HOME",
        b"${x}$(id)`id`",
        b"tab\there",
        b"\t",
        b"new\nline",
        b"\n",
        b"cr\r\n",
        b"\x01\x1f\x7f",
        b"\\\n",
        b"a\\\nb",
        b"@not/a/file",
        b"* - --",
        "pässwörd".as_bytes(),
        "пароль密码🔑".as_bytes(),
        b"\xff\xfe latin-1 \xe9",
        b"\xa0nbsp\x85nel",
        b"\\x",
        b"\\x4",
        b"\\xg",
        b"\\0",
        b"\\777",
        b"x\"y'z\\w#v$u t",
    ]
    .iter()
    .map(|s| s.to_vec())
    .collect();
    // Every byte but NUL, alone and between letters.
    for b in 1..=255u8 {
        v.push(vec![b]);
        v.push(vec![b'a', b, b'z']);
    }
    v
}

// ==== getword(), read from options.c ====

#[test]
fn words_are_split_by_white_space_and_newlines_are_reported() {
    assert_eq!(
        read(b"alice  vpn\t\"x\" *\n  bob\x0b\x0csrv\r\n"),
        vec![
            (false, b"alice".to_vec()),
            (false, b"vpn".to_vec()),
            (false, b"x".to_vec()),
            (false, b"*".to_vec()),
            (true, b"bob".to_vec()),
            (false, b"srv".to_vec()),
        ]
    );
}

#[test]
fn comments_run_to_the_end_of_the_line_and_end_a_bare_word() {
    assert_eq!(
        read(b"# a comment \\\nname alice#bob\n#\nx"),
        vec![
            (true, b"name".to_vec()),
            (false, b"alice".to_vec()),
            (true, b"x".to_vec()),
        ]
    );
    // A backslash inside a comment escapes nothing: the newline still ends it.
    assert_eq!(read(b"#\\\nword"), vec![(true, b"word".to_vec())]);
}

#[test]
fn escapes_are_c_escapes_plus_s() {
    assert_eq!(
        texts(b"\\a\\b\\f\\n\\r\\s\\t \\q\\\\\\\"\\'\\#"),
        vec![b"\x07\x08\x0c\n\r \t".to_vec(), b"q\\\"'#".to_vec()]
    );
}

#[test]
fn octal_escapes_take_at_most_three_digits_and_keep_the_low_byte() {
    assert_eq!(
        texts(b"\\101\\1012 \\0x \\7 \\777 \\8"),
        vec![
            b"AA2".to_vec(),
            // \0 is a NUL: C sees an empty word.
            b"".to_vec(),
            b"\x07".to_vec(),
            b"\xff".to_vec(),
            b"8".to_vec(),
        ]
    );
}

#[test]
fn hex_escapes_take_at_most_two_digits() {
    assert_eq!(
        texts(b"\\x41\\x414 \\x4g \\xaF\\xFa \\xg"),
        vec![
            b"AA4".to_vec(),
            b"\x04g".to_vec(),
            b"\xaf\xfa".to_vec(),
            // \x without a digit is a NUL, which ends the C string.
            b"".to_vec(),
        ]
    );
}

#[test]
fn backslash_newline_is_dropped_between_and_inside_words() {
    assert_eq!(
        read(b"a\\\nb \\\nc\n"),
        vec![(false, b"ab".to_vec()), (false, b"c".to_vec())]
    );
    // Escaped, the newline starts no new line for scan_authfile().
    assert_eq!(
        read(b"one \\\n two"),
        vec![(false, b"one".to_vec()), (false, b"two".to_vec())]
    );
}

#[test]
fn quotes_protect_white_space_and_comments_but_not_escapes() {
    assert_eq!(
        texts(b"\"a b#c\" 'd \"e' \"f'g\" \"h\\\"i\\\\\" \"\\x41\\s\""),
        vec![
            b"a b#c".to_vec(),
            b"d \"e".to_vec(),
            b"f'g".to_vec(),
            b"h\"i\\".to_vec(),
            b"A ".to_vec(),
        ]
    );
    // Quoted and bare parts join into one word; a quoted newline is kept.
    assert_eq!(texts(b"a\"b c\"d'e'\"\n\""), vec![b"ab cde\n".to_vec()]);
}

#[test]
fn an_empty_quoted_word_is_a_word_except_at_the_very_end() {
    assert_eq!(texts(b"\"\" x"), vec![b"".to_vec(), b"x".to_vec()]);
    assert_eq!(texts(b"x ''\n"), vec![b"x".to_vec(), b"".to_vec()]);
    // getword() returns 0 at EOF when it stored nothing, quotes or not.
    assert_eq!(texts(b"x \"\""), vec![b"x".to_vec()]);
    assert_eq!(texts(b"x \\"), vec![b"x".to_vec()]);
    assert_eq!(texts(b""), Vec::<Vec<u8>>::new());
}

#[test]
fn a_quote_left_open_runs_to_the_end_of_the_file() {
    assert_eq!(texts(b"\"a b\nc"), vec![b"a b\nc".to_vec()]);
}

#[test]
fn long_words_keep_1023_bytes() {
    let long = vec![b'x'; 2000];
    assert_eq!(texts(&long), vec![vec![b'x'; MAXWORDLEN - 1]]);
    let exact = vec![b'y'; MAXWORDLEN - 1];
    assert_eq!(texts(&exact), vec![exact.clone()]);
}

#[test]
fn spans_cover_each_word_from_its_quote_or_backslash() {
    let input = b"  ab \"c d\"\t\\e#x\n";
    let spans: Vec<_> = Words::new(input).map(|w| w.span).collect();
    assert_eq!(spans, vec![2..4, 5..10, 11..13]);
    assert_eq!(&input[5..10], b"\"c d\"");
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The outputs of pppd's own getword(): options.c :1133-1369 compiled with a harness that
/// prints every word (tests/vectors/pptpsetup/README). Each line is an input in hex, then
/// for each word its newline flag and its C string in hex; `rt VALUE` lines are entry lines
/// that pptpsetup writes for VALUE (checked here to be what [`quote`] and [`quoted`] give),
/// and on each of them the real getword() gave VALUE back.
#[test]
fn matches_pppds_own_getword_and_round_trips_through_it() {
    let vectors = include_str!("../../../tests/vectors/pptpsetup/getword.txt");
    let (mut raw, mut round_trips) = (0, 0);
    for line in vectors
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let mut fields = line.split(' ');
        let mut first = fields.next().unwrap();
        let value = (first == "rt").then(|| {
            let value = unhex(fields.next().unwrap());
            first = fields.next().unwrap();
            value
        });
        let input = unhex(first);
        let pppd: Vec<(bool, Vec<u8>)> = fields
            .map(|f| {
                let (flag, hex) = f.split_once(':').unwrap();
                (flag == "1", unhex(hex))
            })
            .collect();
        let shown = input.escape_ascii().to_string();
        assert_eq!(read(&input), pppd, "input {shown}");
        match value {
            None => raw += 1,
            Some(value) => {
                let mut ours = quote(&value);
                ours.extend_from_slice(b" vpn ");
                ours.extend(quoted(&value));
                ours.extend_from_slice(b" *\n");
                assert_eq!(
                    ours, input,
                    "the writer changed since the vectors were made"
                );
                let words: Vec<Vec<u8>> = pppd.into_iter().map(|(_, w)| w).collect();
                assert_eq!(words, [&value[..], b"vpn", &value, b"*"], "input {shown}");
                round_trips += 1;
            }
        }
    }
    assert!(
        raw > 300 && round_trips > 700,
        "{raw} raw, {round_trips} round trips"
    );
}

// ==== the writer ====

#[test]
fn ordinary_values_stay_bare_as_pptp_linux_writes_them() {
    for v in [
        "alice",
        "al$ice",
        "user@example.com",
        "a-b_c.d",
        "*",
        "--",
        "x=y,z",
    ] {
        assert_eq!(quote(v.as_bytes()), v.as_bytes(), "{v}");
    }
}

#[test]
fn special_values_are_quoted() {
    assert_eq!(quote(b""), b"\"\"");
    assert_eq!(quote(b"CORP\\alice"), b"\"CORP\\\\alice\"");
    assert_eq!(quote(b"a b"), b"\"a b\"");
    assert_eq!(quote(b"a#b"), b"\"a#b\"");
    assert_eq!(quote(b"it's"), b"\"it's\"");
    assert_eq!(quote("é".as_bytes()), "\"é\"".as_bytes());
    assert_eq!(quoted(b"say \"hi\"\\"), b"\"say \\\"hi\\\"\\\\\"");
    assert_eq!(quoted(b"t\tn\n\x7f"), b"\"t\\x09n\\x0a\\x7f\"");
    assert_eq!(quoted(b"secret"), b"\"secret\"");
}

#[test]
fn every_hostile_value_round_trips_through_getword() {
    for value in hostile() {
        for written in [quote(&value), quoted(&value)] {
            // As the client of a chap-secrets entry, as its secret, and as the value of an
            // option: at the start, in the middle and at the end of a line, and at EOF.
            let mut file = written.clone();
            file.extend_from_slice(b" vpn ");
            file.extend_from_slice(&written);
            file.extend_from_slice(b" *\nname ");
            file.extend_from_slice(&written);
            file.push(b'\n');
            file.extend_from_slice(&written);
            file.extend_from_slice(b"#comment");
            let got = read(&file);
            let want = vec![
                (false, value.clone()),
                (false, b"vpn".to_vec()),
                (false, value.clone()),
                (false, b"*".to_vec()),
                (true, b"name".to_vec()),
                (false, value.clone()),
                (true, value.clone()),
            ];
            assert_eq!(got, want, "value {:?} written as {:?}", value, written);
        }
    }
}

/// A small deterministic generator (xorshift), so that the test needs no crate and fails
/// the same way every time.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_values_round_trip_through_getword() {
    // Biased towards getword()'s special bytes, so that they meet each other often.
    const SPECIAL: &[u8] = b"\\\"'# \t\n\r$xX0178aAfnst\x01\x7f\x80\xff";
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let len = (rng.next() % 40) as usize;
        let value: Vec<u8> = (0..len)
            .map(|_| match rng.next() % 3 {
                0 => (rng.next() % 255) as u8 + 1,
                _ => SPECIAL[(rng.next() % SPECIAL.len() as u64) as usize],
            })
            .collect();
        let mut file = quote(&value);
        file.extend_from_slice(b" vpn ");
        file.extend(quoted(&value));
        file.extend_from_slice(b" *\n");
        assert_eq!(
            texts(&file),
            vec![value.clone(), b"vpn".to_vec(), value.clone(), b"*".to_vec()],
            "value {value:?}"
        );
    }
}

#[test]
fn the_longest_values_pppd_keeps_round_trip() {
    // 255 bytes of name and 256 of secret (the pppd limits), each byte escaped or quoted.
    let name: Vec<u8> = (0..255).map(|i| b"\\\" #\x01"[i % 5]).collect();
    let secret: Vec<u8> = (0..256).map(|i| b"\\\"'\t"[i % 4]).collect();
    let mut file = quote(&name);
    file.push(b' ');
    file.extend(quoted(&secret));
    assert_eq!(texts(&file), vec![name, secret]);
}
