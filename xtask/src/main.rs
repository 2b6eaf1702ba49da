//! `cargo xtask codegen [--check] [--deny-warnings]`: regenerate `wechatpay-api` from `spec/`
//! (`wechatpay-codegen --spec spec --out wechatpay-api`), and the test that calls every operation
//! against the mock (`tests/tests/generated/every_operation.rs`, which
//! `tests/tests/every_operation.rs` includes).
//! `cargo xtask synth-spec --ops N --out DIR [--seed S]`: write a synthetic spec.
//! `cargo xtask compile-bench [--ops 100,1000] [--seed S] [--work DIR]`: the compile-time benchmark.

use std::path::PathBuf;
use std::process::ExitCode;

use wechatpay_generator::cli::Options;
use wechatpay_generator::Mode;
use xtask::bench::{compile_bench, write_spec};
use xtask::workspace_root;

const USAGE: &str = "usage: cargo xtask codegen [--check] [--deny-warnings]
       cargo xtask synth-spec --ops N --out DIR [--seed S]
       cargo xtask compile-bench [--ops 100,1000] [--seed S] [--work DIR]";

/// The seed of the synthetic spec when none is given.
const SEED: u64 = 1;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = args.get(1..).unwrap_or(&[]);
    let result = match args.first().map(String::as_str) {
        Some("codegen") => codegen(options),
        Some("synth-spec") => synth_spec(options),
        Some("compile-bench") => bench(options),
        _ => Err(Usage),
    };
    match result {
        Ok(code) => code,
        Err(Usage) => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The arguments do not fit [`USAGE`].
struct Usage;

fn codegen(options: &[String]) -> Result<ExitCode, Usage> {
    // Paths relative to the workspace root, so that what is printed reads `wechatpay-api`.
    let root = match std::env::set_current_dir(workspace_root()) {
        Ok(()) => PathBuf::new(),
        Err(_) => workspace_root(),
    };
    let mut run = Options {
        spec: root.join("spec"),
        out: root.join("wechatpay-api"),
        mode: Mode::Write,
        deny_warnings: false,
    };
    for option in options {
        match option.as_str() {
            "--check" => run.mode = Mode::Check,
            "--deny-warnings" => run.deny_warnings = true,
            _ => return Err(Usage),
        }
    }
    let code = wechatpay_generator::cli::run_with(&run);
    if code != ExitCode::SUCCESS {
        return Ok(code);
    }
    Ok(calls_test(&root, run.mode))
}

/// The operations whose spec example a platform that has seen nothing else refuses, with the
/// documented code it answers (the generated test checks that exact code), and why.
const STATE_ERRORS: &[(&str, &str, &str)] = &[
    (
        "applyTradeBill",
        "NO_STATEMENT_EXIST",
        "no transaction happened on the example's bill date",
    ),
    (
        "applyFundFlowBill",
        "NO_STATEMENT_EXIST",
        "no funds moved on the example's bill date",
    ),
];

/// The generated test that calls every operation against the mock
/// (`tests/tests/generated/every_operation.rs`, which `tests/tests/every_operation.rs` includes),
/// written, or with `--check` compared with the file on disk.
fn calls_test(root: &std::path::Path, mode: Mode) -> ExitCode {
    const FILE: &str = "tests/tests/generated/every_operation.rs";
    let api = match wechatpay_generator::load_dir(&root.join("spec")) {
        Ok(api) => api,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let text = wechatpay_generator::calls_test(&api, "wechatpay_api", STATE_ERRORS);
    let path = root.join(FILE);
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    match (mode, current == text) {
        (_, true) => ExitCode::SUCCESS,
        (Mode::Check, false) => {
            eprintln!("stale: {FILE} (run `cargo xtask codegen`)");
            ExitCode::FAILURE
        }
        (_, false) => match std::fs::write(&path, text) {
            Ok(()) => {
                println!("changed: {FILE}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {FILE}: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

/// `--name value` pairs, each name at most once and known.
fn named<'a>(options: &'a [String], known: &[&str]) -> Result<Vec<(&'a str, &'a str)>, Usage> {
    let pairs: Vec<(&str, &str)> = options
        .chunks(2)
        .map(|pair| match pair {
            [name, value] if known.contains(&name.as_str()) => Ok((name.as_str(), value.as_str())),
            _ => Err(Usage),
        })
        .collect::<Result<_, _>>()?;
    let mut names: Vec<&str> = pairs.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    names.dedup();
    if names.len() == pairs.len() {
        Ok(pairs)
    } else {
        Err(Usage)
    }
}

fn number<T: std::str::FromStr>(value: &str) -> Result<T, Usage> {
    value.parse().map_err(|_| Usage)
}

fn synth_spec(options: &[String]) -> Result<ExitCode, Usage> {
    let (mut ops, mut out, mut seed) = (None, None, SEED);
    for (name, value) in named(options, &["--ops", "--out", "--seed"])? {
        match name {
            "--ops" => ops = Some(number::<usize>(value)?),
            "--out" => out = Some(PathBuf::from(value)),
            _ => seed = number(value)?,
        }
    }
    let (Some(ops @ 1..), Some(out)) = (ops, out) else {
        return Err(Usage);
    };
    Ok(match write_spec(ops, seed, &out) {
        Ok(()) => {
            println!(
                "wrote {ops} synthetic operations (seed {seed}) to {}",
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => failure(&e),
    })
}

fn bench(options: &[String]) -> Result<ExitCode, Usage> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let (mut sizes, mut seed, mut work) = (vec![100, 1000], SEED, target.join("compile-bench"));
    for (name, value) in named(options, &["--ops", "--seed", "--work"])? {
        match name {
            "--ops" => sizes = value.split(',').map(number).collect::<Result<_, _>>()?,
            "--seed" => seed = number(value)?,
            _ => work = PathBuf::from(value),
        }
    }
    if sizes.contains(&0) {
        return Err(Usage);
    }
    for ops in sizes {
        match compile_bench(ops, seed, &work) {
            Ok(figures) => println!("{figures}"),
            Err(e) => return Ok(failure(&e)),
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn failure(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}
