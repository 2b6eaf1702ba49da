//! `wechatpay-codegen --spec DIR --out CRATE_DIR [--check] [--deny-warnings]`: generate a crate
//! of typed operations from a spec folder (see [`wechatpay_generator::cli`]).

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    wechatpay_generator::cli::run(&args)
}
