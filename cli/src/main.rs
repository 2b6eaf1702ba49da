//! `wechatpay`: the command line of the WeChat Pay APIv3 SDK. Every command is driven by the
//! spec it embeds (or `--spec DIR`): list and show operations, build one from JSON and print
//! what is signed and sent, call it, download the platform certificates, open a notification,
//! encrypt or decrypt a sensitive field, and serve the mock platform.

mod call;
mod commands;
mod config;
mod notification;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Shown after the top-level `--help`.
const EXAMPLES: &str = "\
Examples:
  wechatpay list --group pay-transactions
  wechatpay show queryOrderByOutTradeNo
  wechatpay serve --dir /tmp/mock &             # writes /tmp/mock/profile.env
  wechatpay --profile /tmp/mock/profile.env build closeOrder --json '{\"out_trade_no\":\"1217752501201407033233368018\",\"mchid\":\"1900000109\"}'
  wechatpay --profile /tmp/mock/profile.env call queryOrderByOutTradeNo --json '{\"out_trade_no\":\"1217752501201407033233368018\",\"mchid\":\"1900000109\"}'

Credentials come from the WECHATPAY_* environment variables (WECHATPAY_MCHID,
WECHATPAY_MERCHANT_SERIAL, WECHATPAY_PRIVATE_KEY_PATH, WECHATPAY_PUBLIC_KEY_ID,
WECHATPAY_PUBLIC_KEY_PATH, WECHATPAY_APIV3_KEY, WECHATPAY_BASE_URL) or from a --profile file of
the same NAME=value lines. They are never printed.";

#[derive(Debug, Parser)]
#[command(name = "wechatpay", version, about, after_help = EXAMPLES)]
struct Cli {
    /// Read the spec from this folder instead of the one built in.
    #[arg(long, global = true, value_name = "DIR")]
    spec: Option<PathBuf>,
    /// Read the WECHATPAY_* settings from this file (NAME=value lines, as `serve` writes)
    /// instead of the environment.
    #[arg(long, global = true, value_name = "FILE")]
    profile: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the operations, by product line (spec file).
    #[command(after_help = "Example:\n  wechatpay list --group refund-domestic --filter refund")]
    List {
        /// Only this product line (the spec file's name without `.yaml`, as in the cargo
        /// feature).
        #[arg(long)]
        group: Option<String>,
        /// Only operations whose id, path or summary contains this text.
        #[arg(long)]
        filter: Option<String>,
    },
    /// Show one operation: method, path, host, parameters, body members, sensitive fields, the
    /// answer, and an example input.
    #[command(after_help = "Example:\n  wechatpay show jsapiPrepay")]
    Show {
        /// The operation id, or `METHOD /path/{template}`.
        operation: String,
    },
    /// Build an operation from JSON and print the signed message, the Authorization header and
    /// the request, without sending it.
    #[command(
        after_help = "Example:\n  wechatpay build closeOrder --json '{\"out_trade_no\":\"1217752501201407033233368018\",\"mchid\":\"1900000109\"}'"
    )]
    Build {
        /// The operation id, or `METHOD /path/{template}`.
        operation: String,
        #[command(flatten)]
        input: Input,
    },
    /// Call an operation: the input checked against the schema, the answer verified, its
    /// sensitive fields decrypted, printed as JSON.
    #[command(
        after_help = "Example:\n  wechatpay call queryOrderByOutTradeNo --json '{\"out_trade_no\":\"1217752501201407033233368018\",\"mchid\":\"1900000109\"}'"
    )]
    Call {
        /// The operation id, or `METHOD /path/{template}`.
        operation: String,
        #[command(flatten)]
        input: Input,
        /// Write a download's bytes to this file (otherwise to standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Download the platform certificates, verify them (the first download included: the
    /// list is verified with the certificate in it that signed it) and print or save them.
    #[command(after_help = "Example:\n  wechatpay certificates --out certs/")]
    Certificates {
        /// Save each certificate as `<serial>.pem` in this folder.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Verify and decrypt a notification: an HTTP request as received (headers, an empty
    /// line, the body), from a file or standard input. Prints the notification as JSON.
    #[command(after_help = "Example:\n  wechatpay notify captured-request.txt")]
    Notify {
        /// The file; `-` or nothing for standard input.
        file: Option<PathBuf>,
    },
    /// Encrypt a sensitive field with the WeChat Pay public key (RSAES-OAEP), as a request
    /// carries it; prints the base64 ciphertext, and the key id on standard error.
    #[command(after_help = "Example:\n  wechatpay encrypt '张三'")]
    Encrypt {
        /// The plaintext; `-` for standard input.
        text: String,
    },
    /// Decrypt a sensitive field an answer carries, with the merchant private key.
    #[command(after_help = "Example:\n  wechatpay decrypt 'c2VjcmV0…'")]
    Decrypt {
        /// The base64 ciphertext; `-` for standard input.
        ciphertext: String,
    },
    /// Serve the mock platform until stopped, with test credentials made for this run; writes
    /// them and a profile (`profile.env`) into a folder and prints the profile.
    #[command(after_help = "Example:\n  wechatpay serve --port 8080 --dir /tmp/mock")]
    Serve {
        /// The port on loopback (any free one by default).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Where to write the keys and `profile.env` (a new temporary folder by default).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// An operation's input.
#[derive(Debug, Args)]
struct Input {
    /// The input, one JSON object: each parameter under its name, every other member into the
    /// JSON body.
    #[arg(long, value_name = "JSON", conflicts_with = "input")]
    json: Option<String>,
    /// Read the input JSON from this file (`-` for standard input).
    #[arg(long, short, value_name = "FILE")]
    input: Option<PathBuf>,
    /// The file an upload sends.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
}

/// Why a command failed: a usage problem (exit status 2) or a failed call (1). Its text never
/// holds a secret.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The input, the configuration or the spec is wrong.
    Usage(String),
    /// The call or the check failed.
    Failed(String),
}

impl Failure {
    pub(crate) fn usage(text: impl Into<String>) -> Self {
        Failure::Usage(text.into())
    }

    pub(crate) fn failed(text: impl Into<String>) -> Self {
        Failure::Failed(text.into())
    }
}

impl From<wechatpay_api::Error> for Failure {
    fn from(e: wechatpay_api::Error) -> Self {
        Failure::Failed(commands::describe(&e))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(text)) => {
            eprintln!("error: {text}");
            ExitCode::from(2)
        }
        Err(Failure::Failed(text)) => {
            eprintln!("error: {text}");
            ExitCode::FAILURE
        }
    }
}
