//! The command line of `wechatpay-codegen` (and of `cargo xtask codegen`, which runs it on this
//! repository's `spec/` and `wechatpay-api/`).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::codegen::{codegen_with, Mode};

/// The usage line.
pub const USAGE: &str =
    "usage: wechatpay-codegen --spec DIR --out CRATE_DIR [--check] [--deny-warnings]";

/// The options of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The spec folder (`--spec`).
    pub spec: PathBuf,
    /// The crate to write (`--out`); a folder without a `Cargo.toml` gets a new crate.
    pub out: PathBuf,
    /// `--check`: write nothing, fail if anything is out of date.
    pub mode: Mode,
    /// `--deny-warnings`: every warning about the spec is an error.
    pub deny_warnings: bool,
}

impl Options {
    /// Reads the arguments (without the program name); `None` if they do not fit [`USAGE`].
    pub fn parse(args: &[String]) -> Option<Options> {
        let (mut spec, mut out) = (None, None);
        let (mut mode, mut deny_warnings) = (Mode::Write, false);
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--spec" if spec.is_none() => spec = Some(PathBuf::from(args.next()?)),
                "--out" if out.is_none() => out = Some(PathBuf::from(args.next()?)),
                "--check" => mode = Mode::Check,
                "--deny-warnings" => deny_warnings = true,
                _ => return None,
            }
        }
        Some(Options {
            spec: spec?,
            out: out?,
            mode,
            deny_warnings,
        })
    }
}

/// Runs the generator: prints the spec's warnings and what changed, and returns success, or
/// failure when the spec has errors or, with `--check`, when anything is out of date (the
/// stale files are listed). Bad arguments print [`USAGE`] and give exit code 2.
pub fn run(args: &[String]) -> ExitCode {
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    match Options::parse(args) {
        Some(options) => run_with(&options),
        None => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// [`run`] with options already read.
pub fn run_with(options: &Options) -> ExitCode {
    let (spec, out) = (options.spec.display(), options.out.display());
    let summary = match codegen_with(
        &options.spec,
        &options.out,
        options.mode,
        options.deny_warnings,
    ) {
        Ok(summary) => summary,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    for warning in &summary.warnings {
        eprintln!("warning: {warning}");
    }
    if summary.is_empty() {
        println!("{out} is up to date with {spec}");
        ExitCode::SUCCESS
    } else if options.mode == Mode::Write {
        print!("{summary}");
        ExitCode::SUCCESS
    } else {
        eprint!("{summary}");
        eprintln!(
            "{out} is out of date with {spec}: regenerate (without --check) and commit the result"
        );
        ExitCode::FAILURE
    }
}
