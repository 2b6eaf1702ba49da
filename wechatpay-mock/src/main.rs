//! `cargo run -p wechatpay-mock -- --port N`: serves the mock platform until killed, and prints
//! the environment that points the quickstart (or any client) at it.

use std::process::ExitCode;

use wechatpay_mock::{Fault, MockPlatform, TrustMode};

const USAGE: &str = "usage: wechatpay-mock [--port N] [--spec DIR] [--trust public-key|certificates|both] [--fault NAME] [--credentials-dir DIR] [--max-body-bytes N] [--max-header-bytes N] [--idle-timeout-secs N]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}\n{USAGE}");
            ExitCode::FAILURE
        }
    }
}

/// A positive count for `flag`.
fn number(flag: &str, text: String) -> Result<usize, String> {
    text.parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or(format!("{flag} needs a positive number"))
}

fn run() -> Result<(), String> {
    let mut builder = MockPlatform::builder();
    let mut credentials_dir = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--port" => {
                builder = builder.port(value()?.parse().map_err(|_| "--port needs a number")?)
            }
            "--spec" => builder = builder.spec_dir(value()?),
            "--trust" => {
                builder = builder.trust(match value()?.as_str() {
                    "public-key" => TrustMode::PublicKey,
                    "certificates" => TrustMode::Certificates,
                    "both" => TrustMode::Both,
                    other => return Err(format!("unknown trust mode `{other}`")),
                })
            }
            "--fault" => {
                let name = value()?;
                builder = builder
                    .fault(Fault::from_name(&name).ok_or(format!("unknown fault `{name}`"))?);
            }
            "--credentials-dir" => credentials_dir = Some(std::path::PathBuf::from(value()?)),
            "--max-body-bytes" => builder = builder.max_body_bytes(number(&arg, value()?)?),
            "--max-header-bytes" => builder = builder.max_header_bytes(number(&arg, value()?)?),
            "--idle-timeout-secs" => {
                let secs = number(&arg, value()?)?;
                builder = builder.idle_timeout(std::time::Duration::from_secs(secs as u64));
            }
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    // Long runs (load benchmarks) would grow the request log without bound.
    let mock = builder
        .log_requests(false)
        .start()
        .map_err(|e| e.to_string())?;
    let creds = mock.credentials();
    let dir = credentials_dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("wechatpay-mock-{}", std::process::id()))
    });
    let profile = creds
        .write_profile(&dir, mock.base_url())
        .map_err(|e| format!("cannot write the credentials into {}: {e}", dir.display()))?;
    println!("# wechatpay-mock listening on {}", mock.base_url());
    println!("# test credentials, generated for this run only:");
    print!("{profile}");
    loop {
        std::thread::park();
    }
}
