//! What the command lines of the programs share: one option table each, parsed by GNU
//! `getopt_long`'s rules, which the reference programs use (where getopts differs:
//! unambiguous prefixes, GNU's wording for errors), integer values checked the same way,
//! the exit codes, and the error type.

use std::fmt;
use std::ops::RangeInclusive;

use getopts::Fail;

/// Exit code for a usage error: unknown or ambiguous option, missing argument.
pub const EXIT_USAGE: i32 = 1;
/// Exit code for an option value that does not parse or is out of range.
pub const EXIT_BAD_VALUE: i32 = 2;

/// Why the command line was refused, with the exit code to leave with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// The program's name, for [`Display`](fmt::Display).
    pub program: &'static str,
    /// [`EXIT_USAGE`] or [`EXIT_BAD_VALUE`].
    pub exit_code: i32,
    /// What is wrong, naming the option; without a program-name prefix.
    pub message: String,
}

impl CliError {
    /// A usage error of `program`.
    pub fn usage(program: &'static str, message: String) -> Self {
        CliError {
            program,
            exit_code: EXIT_USAGE,
            message,
        }
    }

    /// A bad option value of `program`.
    pub fn bad_value(program: &'static str, message: String) -> Self {
        CliError {
            program,
            exit_code: EXIT_BAD_VALUE,
            message,
        }
    }

    /// True when the reference program would also print its usage text (exit code 1).
    pub fn is_usage_error(&self) -> bool {
        self.exit_code == EXIT_USAGE
    }

    /// Tells the person at the terminal, with the usage text after a usage error, and
    /// returns the exit code.
    pub fn report(&self, usage: &str) -> i32 {
        eprintln!("{self}");
        if self.is_usage_error() {
            eprint!("{usage}");
        }
        self.exit_code
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.program, self.message)
    }
}

impl std::error::Error for CliError {}

/// Resolves a long option given in full or as a prefix among `names`; the error is the
/// usage message.
///
/// Deliberate difference from glibc, in both programs: glibc reports two prefix matches as
/// ambiguous only when their argument kinds differ, so for pptp-linux `--log 2` silently
/// means `--logstring 2` and for poptop `--con x` means `--conf x` (the first match in the
/// table). Every multiple match is reported here, so an abbreviation never picks an option
/// by table order.
pub fn resolve_long<'a>(name: &str, names: &[&'a str]) -> Result<&'a str, String> {
    if let Some(exact) = names.iter().find(|n| **n == name) {
        return Ok(exact);
    }
    let candidates: Vec<&str> = if name.is_empty() {
        Vec::new()
    } else {
        names
            .iter()
            .copied()
            .filter(|n| n.starts_with(name))
            .collect()
    };
    match candidates[..] {
        [one] => Ok(one),
        [] => Err(format!("unrecognized option '--{name}'")),
        _ => {
            let list: Vec<String> = candidates.iter().map(|n| format!("'--{n}'")).collect();
            Err(format!(
                "option '--{name}' is ambiguous; possibilities: {}",
                list.join(" ")
            ))
        }
    }
}

/// GNU's wording for the getopts failures a pre-pass leaves possible. getopts names a
/// short option by its letter and a long one by its name.
pub fn fail_message(fail: Fail) -> String {
    let dashed = |name: &str| {
        if name.chars().count() == 1 {
            format!("-{name}")
        } else {
            format!("--{name}")
        }
    };
    match fail {
        Fail::ArgumentMissing(name) => format!("option '{}' requires an argument", dashed(&name)),
        Fail::UnexpectedArgument(name) => {
            format!("option '{}' doesn't allow an argument", dashed(&name))
        }
        Fail::UnrecognizedOption(name) => format!("unrecognized option '{name}'"),
        Fail::OptionMissing(name) | Fail::OptionDuplicated(name) => {
            format!("unexpected use of option '{}'", dashed(&name))
        }
    }
}

/// The process's arguments after the program name, refused when one is not UTF-8.
pub fn utf8_args(program: &'static str) -> Result<Vec<String>, CliError> {
    std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect::<Result<_, _>>()
        .map_err(|bad| CliError::usage(program, format!("argument {bad:?} is not valid UTF-8")))
}

/// One option: its short letter (if it has one), long name, the name of its argument in
/// the usage text (`None` for a flag) and a one-line description.
#[derive(Debug)]
pub struct Spec {
    /// The short form (`-f`), if any.
    pub short: Option<char>,
    /// The long name, without `--`.
    pub name: &'static str,
    /// The argument's name in the usage text; None for a flag.
    pub arg: Option<&'static str>,
    /// What it does, in one line.
    pub help: &'static str,
}

/// A flag (no argument), long form only.
pub const fn flag(name: &'static str, help: &'static str) -> Spec {
    Spec {
        short: None,
        name,
        arg: None,
        help,
    }
}

/// An option with an argument, long form only.
pub const fn opt(name: &'static str, arg: &'static str, help: &'static str) -> Spec {
    Spec {
        short: None,
        name,
        arg: Some(arg),
        help,
    }
}

/// A flag with a short form too.
pub const fn short_flag(short: char, name: &'static str, help: &'static str) -> Spec {
    Spec {
        short: Some(short),
        ..flag(name, help)
    }
}

/// An option with an argument and a short form too.
pub const fn short_opt(
    short: char,
    name: &'static str,
    arg: &'static str,
    help: &'static str,
) -> Spec {
    Spec {
        short: Some(short),
        ..opt(name, arg, help)
    }
}

/// A program's options, by section of its usage text. Prefix matching, the short-option
/// walk, getopts and the usage text all read this one table, so they cannot disagree.
#[derive(Debug)]
pub struct OptionTable {
    /// The program's name in messages.
    pub program: &'static str,
    /// (section title, its options), in usage order.
    pub sections: &'static [(&'static str, &'static [Spec])],
}

/// What [`OptionTable::parse`] found.
#[derive(Debug)]
pub struct Parsed {
    /// The options and free arguments, as getopts matched them.
    pub matches: getopts::Matches,
    /// The options given, in the order they first appear.
    pub given: Vec<&'static str>,
}

impl OptionTable {
    /// Every option, in usage order.
    pub fn specs(&self) -> impl Iterator<Item = &'static Spec> + use<> {
        self.sections.iter().flat_map(|(_, specs)| specs.iter())
    }

    /// A usage error of this program.
    pub fn usage_error(&self, message: String) -> CliError {
        CliError::usage(self.program, message)
    }

    /// A bad option value of this program.
    pub fn bad_value(&self, message: String) -> CliError {
        CliError::bad_value(self.program, message)
    }

    /// Parses `args` (without argv\[0\]) by GNU `getopt_long` rules: long options by any
    /// unambiguous prefix, `--opt=value`, bundled short flags (`-fd`) and attached values
    /// (`-ofile`), `--` ending the options, the last of a repeated option winning.
    ///
    /// getopts matches whole names only and words its errors its own way, so a pre-pass
    /// rewrites every long option to its full name and reports unknown ones with GNU's
    /// wording. The pre-pass mirrors getopt_long: the argument after an option taking a
    /// value is that value whatever it looks like (`--phone --debug` sets the phone to
    /// "--debug"), so it is never expanded.
    pub fn parse(&self, args: &[String]) -> Result<Parsed, CliError> {
        let mut out = Vec::with_capacity(args.len());
        let mut given: Vec<&'static str> = Vec::new();
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            if arg == "--" {
                out.push(arg.clone());
                out.extend(rest.cloned());
                break;
            }
            let takes_next = if let Some(body) = arg.strip_prefix("--") {
                let (name, value) = match body.split_once('=') {
                    Some((name, value)) => (name, Some(value)),
                    None => (body, None),
                };
                let spec = self.resolve(name)?;
                out.push(match value {
                    Some(value) => format!("--{}={value}", spec.name),
                    None => format!("--{}", spec.name),
                });
                note(&mut given, spec);
                spec.arg.is_some() && value.is_none()
            } else {
                out.push(arg.clone());
                self.short_cluster(arg, &mut given)?
            };
            if takes_next {
                out.extend(rest.next().cloned());
            }
        }
        let mut table = getopts::Options::new();
        for spec in self.specs() {
            let short = spec.short.map(String::from).unwrap_or_default();
            match spec.arg {
                Some(hint) => table.optmulti(&short, spec.name, spec.help, hint),
                None => table.optflagmulti(&short, spec.name, spec.help),
            };
        }
        let matches = table
            .parse(&out)
            .map_err(|f| self.usage_error(fail_message(f)))?;
        Ok(Parsed { given, matches })
    }

    /// Finds the option `name` stands for: itself, or the only option it is a prefix of.
    ///
    /// Deliberate difference from glibc, in both programs: see [`resolve_long`].
    pub fn resolve(&self, name: &str) -> Result<&'static Spec, CliError> {
        let names: Vec<&str> = self.specs().map(|s| s.name).collect();
        let full = resolve_long(name, &names).map_err(|m| self.usage_error(m))?;
        self.specs()
            .find(|s| s.name == full)
            .ok_or_else(|| self.usage_error(format!("unrecognized option '--{name}'")))
    }

    /// For `-abc`: checks each letter (noting it in `given`); true when the next argument is
    /// the value of the last letter. A lone `-` is an ordinary (positional) argument, as for
    /// getopt.
    fn short_cluster(&self, arg: &str, given: &mut Vec<&'static str>) -> Result<bool, CliError> {
        let Some(letters) = arg.strip_prefix('-') else {
            return Ok(false);
        };
        let mut chars = letters.chars();
        while let Some(c) = chars.next() {
            let Some(spec) = self.specs().find(|s| s.short == Some(c)) else {
                return Err(self.usage_error(format!("invalid option -- '{c}'")));
            };
            note(given, spec);
            if spec.arg.is_some() {
                // The rest of the bundle is the value; without one, the next argument is.
                return Ok(chars.as_str().is_empty());
            }
        }
        Ok(false)
    }

    /// The option lines of the usage text, each section under its title (a section with
    /// an empty title has none).
    pub fn usage_lines(&self) -> String {
        let mut text = String::new();
        for (title, specs) in self.sections {
            if !title.is_empty() {
                text.push_str(&format!("\n{title}:\n"));
            }
            for spec in specs.iter() {
                let names = match spec.short {
                    Some(c) => format!("-{c}, --{}", spec.name),
                    None => format!("--{}", spec.name),
                };
                let left = match spec.arg {
                    Some(arg) => format!("{names} {arg}"),
                    None => names,
                };
                text.push_str(&format!("  {left:<24} {}\n", spec.help));
            }
        }
        text
    }
}

/// Notes that `spec` was given, unless it was already.
fn note(given: &mut Vec<&'static str>, spec: &'static Spec) {
    if !given.contains(&spec.name) {
        given.push(spec.name);
    }
}

/// The value of the last occurrence of option `name`: GNU lets a repeated option
/// overwrite the earlier ones.
pub fn last(m: &getopts::Matches, name: &str) -> Option<String> {
    m.opt_strs(name).pop()
}

/// Parses a decimal integer and checks its range; the error says what is wrong with it
/// (the caller names the option).
///
/// Stricter than the references' `atoi()`, which reads "abc" as 0 and "5s" as 5: a typo
/// must not turn into 0 (for pptp's `--idle-wait` that switches the keepalive off, for
/// pptpd's `-C` it meant no slot at all).
pub fn int_in(value: &str, range: RangeInclusive<i64>) -> Result<i64, String> {
    let (lo, hi) = (*range.start(), *range.end());
    let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{value}' is not an integer"));
    }
    let negative = value.starts_with('-');
    // Too many digits for an i64 is still a number, just far too big (or too small).
    let n = match digits.parse::<i64>() {
        Ok(n) if negative => -n,
        Ok(n) => n,
        Err(_) if negative => i64::MIN,
        Err(_) => i64::MAX,
    };
    if n < lo {
        let why = match lo {
            0 => "must not be negative".to_owned(),
            1 => "must be positive".to_owned(),
            _ => format!("must be at least {lo}"),
        };
        Err(format!("{value} is out of range: {why}"))
    } else if n > hi {
        Err(format!("{value} is out of range: must be at most {hi}"))
    } else {
        Ok(n)
    }
}

/// What a program's parsed options say about the two options every program answers
/// before doing anything else.
pub trait StandardOptions {
    /// `--help` was given.
    fn help(&self) -> bool;
    /// `--version` was given.
    fn version(&self) -> bool;
}

/// Implements [`StandardOptions`] for options structs with `help` and `version` fields,
/// as every program's are.
macro_rules! standard_options {
    ($($options:ty),+) => {$(
        impl $crate::getopt::StandardOptions for $options {
            fn help(&self) -> bool {
                self.help
            }
            fn version(&self) -> bool {
                self.version
            }
        }
    )+};
}
pub(crate) use standard_options;

/// The start every program makes: its arguments read and parsed (a usage error reported
/// with the usage text, and its exit code returned as `Err`), `--help` and `--version`
/// answered on stdout (Err(0)). Ok holds the options to run with.
pub fn start<T: StandardOptions>(
    program: &'static str,
    parse: impl FnOnce(&[String]) -> Result<T, CliError>,
    usage: impl Fn() -> String,
    version: &str,
) -> Result<T, i32> {
    let opts = match utf8_args(program).and_then(|args| parse(&args)) {
        Ok(opts) => opts,
        Err(e) => return Err(e.report(&usage())),
    };
    if opts.help() {
        print!("{}", usage());
        return Err(0);
    }
    if opts.version() {
        println!("{version}");
        return Err(0);
    }
    Ok(opts)
}

/// What both programs' command-line tests need: a parse that must succeed or must fail.
#[cfg(test)]
pub(crate) mod testing {
    use std::fmt::Debug;

    pub fn argv(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    /// The options `parse` made of `args`, or a panic naming them.
    pub fn parsed<T>(args: &[&str], parse: impl Fn(&[String]) -> Result<T, super::CliError>) -> T {
        parse(&argv(args)).unwrap_or_else(|e| panic!("{args:?} failed: {e}"))
    }

    /// The error `parse` gave for `args`, or a panic showing what it made of them.
    pub fn refused<T: Debug>(
        args: &[&str],
        parse: impl Fn(&[String]) -> Result<T, super::CliError>,
    ) -> super::CliError {
        match parse(&argv(args)) {
            Ok(o) => panic!("{args:?} parsed: {o:?}"),
            Err(e) => e,
        }
    }
}
