//! What the command lines of `pptp` and `pptpd` share: where getopts differs from GNU
//! `getopt_long`, which both reference programs use (unambiguous prefixes, GNU's wording
//! for errors), the exit codes, and the error type.

use std::fmt;

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
