//! `cargo xtask codegen [--check]`: regenerate `wechatpay-api` from `spec/`.

use std::process::ExitCode;

use xtask::{codegen, workspace_root, Mode};

const USAGE: &str = "usage: cargo xtask codegen [--check]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["codegen"] => Mode::Write,
        ["codegen", "--check"] => Mode::Check,
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let root = workspace_root();
    match codegen(&root.join("spec"), &root.join("wechatpay-api"), mode) {
        Ok(summary) if summary.is_empty() => {
            println!("wechatpay-api is up to date with spec/");
            ExitCode::SUCCESS
        }
        Ok(summary) if mode == Mode::Write => {
            print!("{summary}");
            ExitCode::SUCCESS
        }
        Ok(summary) => {
            eprint!("{summary}");
            eprintln!("generated code is out of date with spec/: run `cargo xtask codegen` and commit the result");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
