//! `cargo xtask codegen [--check] [--deny-warnings]`: regenerate `wechatpay-api` from `spec/`.

use std::process::ExitCode;

use xtask::{codegen_with, workspace_root, Mode};

const USAGE: &str = "usage: cargo xtask codegen [--check] [--deny-warnings]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some("codegen"), options) = (
        args.first().map(String::as_str),
        args.get(1..).unwrap_or(&[]),
    ) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let mut mode = Mode::Write;
    let mut deny_warnings = false;
    for option in options {
        match option.as_str() {
            "--check" => mode = Mode::Check,
            "--deny-warnings" => deny_warnings = true,
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let root = workspace_root();
    let result = codegen_with(
        &root.join("spec"),
        &root.join("wechatpay-api"),
        mode,
        deny_warnings,
    );
    if let Ok(summary) = &result {
        for warning in &summary.warnings {
            eprintln!("warning: {warning}");
        }
    }
    match result {
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
