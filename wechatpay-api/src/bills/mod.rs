//! 账单 (trade and fund-flow bills): the generated operations of `spec/bills.yaml`, a one-call
//! download, and a typed parser of the bill files.
//!
//! The operations ([`ApplyTradeBill`], [`ApplyFundFlowBill`], [`DownloadBill`], …) are generated
//! like every other group. Two hand-written pieces sit beside them:
//!
//! - [`download_bill`] (and `blocking::download_bill`, feature `blocking`) does the whole
//!   download in one call: it applies for the bill, checks the answer's `download_url` (this
//!   client's own host, or WeChat Pay's over https; the bill download path; a `token`), sends
//!   the signed download request to the client's own host, streams the unsigned file into your
//!   writer, un-gzips it when the apply asked for `tar_type=GZIP`, and checks `hash_value` (SHA-1,
//!   or SM3) over the bill as written. The un-gzipped bill is bounded by the client's
//!   [`Limits::download`](crate::Limits::download) (default 256 MiB), like a plain one.
//! - [`TradeBill::parse`] and [`FundFlowBill::parse`] read the file into typed rows: amounts in
//!   integer fen (never floating point), times as [`OffsetDateTime`](time::OffsetDateTime) at
//!   `+08:00`, every column also kept by name ([`Fields`]). Columns are found by their header
//!   names, so the ALL, SUCCESS and REFUND variants, and older column sets, all parse.
//!   [`TradeBill::reader`] and [`FundFlowBill::reader`] give the same rows one at a time from
//!   any [`BufRead`](std::io::BufRead) (a file), in memory bounded by one line.
//!
//! ```no_run
//! use wechatpay_api::bills::{download_bill, ApplyTradeBill, TarType, TradeBill};
//!
//! # async fn run(client: &wechatpay_api::Client) -> Result<(), Box<dyn std::error::Error>> {
//! let apply = ApplyTradeBill::new("2026-11-30").with_tar_type(TarType::Gzip);
//! let mut file = Vec::new(); // or a `tokio::fs::File`: on an error, discard what was written
//! let done = download_bill(client, &apply, &mut file).await?;
//! let bill = TradeBill::parse(&file)?;
//! println!("{} bytes, {} rows, {} orders", done.len, bill.rows.len(), bill.summary.count);
//! # Ok(()) }
//! ```
//!
//! The sub-merchant fund-flow bill ([`ApplySubMerchantFundFlowBill`]) is not covered by the
//! one-call download: its files come in parts, encrypted with a per-file key.

mod download;
mod parse;

// Globs on both sides: a generated name equal to a hand-written one is an
// `ambiguous_glob_reexports` error (denied at the crate root), never a silent shadowing.
pub use crate::generated::bills::*;
pub use download::*;
pub use parse::*;
