//! How `pptpctl` shows pptpd's answers: a table that fits 80 columns (every column with
//! `--wide`), or JSON; `match FIELD REGEX` keeps the matching rows.

use std::fmt::Write;

use super::cli::View;
use crate::wire::ctl::{Record, Request};

/// The session columns of the default table: (field, heading, width).
const NARROW: &[(&str, &str, usize)] = &[
    ("call_id", "CALL", 5),
    ("user", "USER", 8),
    ("client", "CLIENT", 15),
    ("tunnel", "TUNNEL", 15),
    ("ifname", "IF", 5),
    ("uptime", "UPTIME", 6),
    ("encryption", "ENC", 6),
    ("rx_bytes", "RX", 6),
    ("tx_bytes", "TX", 6),
];

/// The session columns of `--wide`.
const WIDE: &[(&str, &str, usize)] = &[
    ("call_id", "CALL", 5),
    ("user", "USER", 16),
    ("client", "CLIENT", 15),
    ("client_before_nat", "BEFORE-NAT", 15),
    ("tunnel", "TUNNEL", 15),
    ("ifname", "IF", 6),
    ("uptime", "UPTIME", 8),
    ("encryption", "ENCRYPTION", 18),
    ("rx_bytes", "RX", 7),
    ("tx_bytes", "TX", 7),
    ("rx_packets", "RXPKT", 8),
    ("tx_packets", "TXPKT", 8),
    ("lost", "LOST", 6),
    ("reordered", "REORD", 6),
    ("late", "LATE", 6),
    ("state", "STATE", 11),
];

/// The text to print for `request`'s answer, or why the view cannot be made.
pub fn show(request: &Request, records: Vec<Record>, view: &View) -> Result<String, String> {
    let records = match &view.matching {
        Some((field, pattern)) => {
            let regex = regex_lite::Regex::new(pattern)
                .map_err(|e| format!("match {field}: bad regular expression: {e}"))?;
            if !records.is_empty() && records.iter().all(|r| r.get(field).is_none()) {
                return Err(format!("match: sessions have no field '{field}'"));
            }
            records
                .into_iter()
                .filter(|r| r.get(field).is_some_and(|v| regex.is_match(v)))
                .collect()
        }
        None => records,
    };
    if view.json {
        let single = matches!(request, Request::ShowStats);
        return Ok(json(&records, single));
    }
    Ok(match request {
        Request::ShowSessions => sessions(&records, if view.wide { WIDE } else { NARROW }),
        _ => key_values(&records),
    })
}

fn sessions(records: &[Record], columns: &[(&str, &str, usize)]) -> String {
    let mut out = String::new();
    let row = |out: &mut String, cells: Vec<String>| {
        let line: Vec<String> = cells
            .iter()
            .zip(columns)
            .map(|(c, (_, _, w))| format!("{:<w$}", fit(c, *w), w = *w))
            .collect();
        let _ = writeln!(out, "{}", line.join(" ").trim_end());
    };
    row(
        &mut out,
        columns.iter().map(|(_, h, _)| (*h).to_owned()).collect(),
    );
    for r in records {
        let wide = columns.len() > NARROW.len();
        row(
            &mut out,
            columns
                .iter()
                .map(|(field, _, _)| cell(r, field, wide))
                .collect(),
        );
    }
    if records.is_empty() {
        out.push_str("(no sessions)\n");
    }
    out
}

/// One value as the table shows it: sizes and times short, encryption abbreviated in the
/// narrow table ("128sl" for MPPE-128 stateless).
fn cell(r: &Record, field: &str, wide: bool) -> String {
    let value = r.get(field).unwrap_or("-");
    match field {
        "rx_bytes" | "tx_bytes" => value.parse().map_or(value.to_owned(), human_bytes),
        "uptime" => value.parse().map_or(value.to_owned(), human_time),
        "encryption" if !wide => value
            .strip_prefix("MPPE-")
            .map(|v| v.replace(" stateless", "sl").replace(" stateful", "sf"))
            .unwrap_or_else(|| value.to_owned()),
        _ => value.to_owned(),
    }
}

/// `text` cut to `width` characters, the cut marked with `~`.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('~');
        cut
    }
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["", "K", "M", "G", "T"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        n.to_string()
    } else if v < 10.0 {
        format!("{v:.1}{}", UNITS[unit])
    } else {
        format!("{v:.0}{}", UNITS[unit])
    }
}

fn human_time(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s if s < 86400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        s => format!("{}d{:02}h", s / 86400, s % 86400 / 3600),
    }
}

fn key_values(records: &[Record]) -> String {
    let mut out = String::new();
    for r in records {
        let width = r.0.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (k, v) in &r.0 {
            let _ = writeln!(out, "{k:<width$}  {v}");
        }
    }
    out
}

/// Records as JSON: an array of objects, or one object when `single`; numbers stay
/// numbers.
fn json(records: &[Record], single: bool) -> String {
    let object = |r: &Record| {
        let fields: Vec<String> =
            r.0.iter()
                .map(|(k, v)| {
                    let value = if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
                        v.clone()
                    } else {
                        json_string(v)
                    };
                    format!("{}: {value}", json_string(k))
                })
                .collect();
        format!("{{{}}}", fields.join(", "))
    };
    if single {
        return format!("{}\n", records.first().map_or("{}".into(), object));
    }
    let rows: Vec<String> = records.iter().map(object).collect();
    format!("[{}]\n", rows.join(",\n "))
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(call: u16, user: &str) -> Record {
        Record::new()
            .with("call_id", call)
            .with("user", user)
            .with("client", "198.51.100.11")
            .with("tunnel", "203.0.113.10")
            .with("ifname", "ppp0")
            .with("uptime", 3725)
            .with("encryption", "MPPE-128 stateless")
            .with("rx_bytes", 1_234_567)
            .with("tx_bytes", 12)
            .with("state", "up")
    }

    #[test]
    fn the_default_table_fits_80_columns() {
        let text = show(
            &Request::ShowSessions,
            vec![session(54120, "a-very-long-user-name"), session(7, "bob")],
            &View::default(),
        )
        .unwrap();
        for line in text.lines() {
            assert!(line.len() <= 80, "{} columns: {line}", line.len());
        }
        assert!(text.contains("a-very-~"), "{text}");
        assert!(text.contains("1h02m") && text.contains("1.2M") && text.contains("128sl"));
    }

    #[test]
    fn match_keeps_the_matching_rows_and_refuses_bad_input() {
        let view = View {
            matching: Some(("user".into(), "^bo".into())),
            ..View::default()
        };
        let records = vec![session(1, "alice"), session(2, "bob")];
        let text = show(&Request::ShowSessions, records.clone(), &view).unwrap();
        assert!(text.contains("bob") && !text.contains("alice"), "{text}");
        let bad = View {
            matching: Some(("user".into(), "(".into())),
            ..View::default()
        };
        assert!(show(&Request::ShowSessions, records.clone(), &bad).is_err());
        let field = View {
            matching: Some(("colour".into(), "x".into())),
            ..View::default()
        };
        assert!(show(&Request::ShowSessions, records, &field).is_err());
    }

    #[test]
    fn json_is_valid_for_hostile_values() {
        let view = View {
            json: true,
            ..View::default()
        };
        let text = show(&Request::ShowSessions, vec![session(1, "a\"b\\c\n")], &view).unwrap();
        assert!(
            text.starts_with('[') && text.contains(r#""user": "a\"b\\c\u000a""#),
            "{text}"
        );
        assert!(text.contains(r#""call_id": 1"#), "{text}");
    }
}
