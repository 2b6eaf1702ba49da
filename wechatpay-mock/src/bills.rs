//! Bills from the ledger: applying for a trade or fund-flow bill makes its file from the day's
//! payments and refunds (the resources named `order` and `refund`, see `flows.rs`), in the
//! platform's format, keeps it under a fresh token,
//! and answers a `download_url` on the mock itself with the file's real SHA-1. The download
//! (`GET /v3/billdownload/file?token=…`) serves that file, gzip-compressed when the apply asked
//! for `tar_type=GZIP`. A day without any payment or refund has no bill: 400
//! `NO_STATEMENT_EXIST`, as the platform answers.
//!
//! The digest is that of the bill itself, before compression, as the platform documents
//! `hash_value` ("原始账单(gzip需要解压缩)的摘要值").

use std::collections::VecDeque;
use std::io::Write as _;
use std::sync::Mutex;

use percent_encoding::percent_decode_str;
use serde_json::Value;
use sha1::{Digest as _, Sha1};
use time::macros::{format_description, offset};
use time::OffsetDateTime;

use crate::flows::{Ledger, Refused, View};
use wechatpay_spec::ir::{Api, MockBehaviour};

/// Bill files kept for download, the oldest dropped first.
pub(crate) const MAX_BILL_FILES: usize = 64;

/// The fee the mock's merchant pays: 0.6 %, rounded half up to the fen.
const FEE_RATE: &str = "0.60%";

fn fee(fen: i64) -> i64 {
    (fen * 6 + 500).div_euclid(1000)
}

/// Which bill an operation applies for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Trade,
    FundFlow,
}

/// A bill ready for download.
#[derive(Debug)]
struct BillFile {
    csv: Vec<u8>,
    gzip: bool,
}

/// The bill files handed out, by token, and where the mock serves them.
#[derive(Debug)]
pub(crate) struct Bills {
    /// The mock's own base URL, for `download_url`.
    base_url: String,
    files: Mutex<VecDeque<(String, BillFile)>>,
}

/// The query pairs, decoded.
fn pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            (decode(k), decode(v))
        })
        .collect()
}

impl Bills {
    /// Forgets every bill file handed out.
    pub(crate) fn clear(&self) {
        self.files.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    pub(crate) fn new(base_url: String) -> Self {
        Self {
            base_url,
            files: Mutex::default(),
        }
    }

    /// Applies for a bill: makes its file, keeps it, and lays `download_url`, `hash_type` and
    /// `hash_value` over the answer. `foreign`: the URL names another host (the fault
    /// `ForeignDownloadUrl`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn apply(
        &self,
        api: &Api,
        kind: Kind,
        ledger: &Ledger,
        query: &str,
        mchid: &str,
        foreign: bool,
        answer: &mut Value,
    ) -> Result<(), Refused> {
        let query = pairs(query);
        let param = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let date = param("bill_date")
            .and_then(|d| time::Date::parse(d, format_description!("[year]-[month]-[day]")).ok())
            .ok_or((
                400,
                "PARAM_ERROR".to_owned(),
                "bill_date 格式错误,应为 yyyy-MM-DD".to_owned(),
            ))?;
        let (payments, refunds) = day(api, ledger, date);
        let csv = match kind {
            Kind::Trade => {
                let sub_mchid = param("sub_mchid");
                let mine = |p: &Payment| sub_mchid.is_none_or(|s| p.sub_mchid == s);
                let payments: Vec<Payment> = payments.into_iter().filter(mine).collect();
                let refunds: Vec<RefundEntry> =
                    refunds.into_iter().filter(|r| mine(&r.payment)).collect();
                trade_bill(param("bill_type").unwrap_or("ALL"), &payments, &refunds)
            }
            Kind::FundFlow => match param("account_type").unwrap_or("BASIC") {
                "BASIC" => fund_flow_bill(mchid, date, &payments, &refunds),
                _ => None,
            },
        }
        .ok_or((
            400,
            "NO_STATEMENT_EXIST".to_owned(),
            "请求的账单文件不存在".to_owned(),
        ))?;
        let gzip = param("tar_type") == Some("GZIP");
        let digest = hex::encode(Sha1::digest(&csv));
        let token = wechatpay_core::__private::nonce();
        let base = if foreign {
            "https://download.example.invalid"
        } else {
            self.base_url.as_str()
        };
        // Where the spec serves bill files (`x-wechatpay-mock: bill-file`).
        let download = (api.operations())
            .find(|op| op.mock == Some(MockBehaviour::BillFile))
            .ok_or((
                500,
                "SYSTEM_ERROR".to_owned(),
                "the spec declares no bill file download (x-wechatpay-mock: bill-file)".to_owned(),
            ))?;
        let mut url = format!("{base}{}?token={token}", download.path);
        if gzip {
            // As the platform's URLs for gzip bills have been seen to carry.
            url.push_str("&tartype=gzip");
        }
        {
            let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
            if files.len() == MAX_BILL_FILES {
                files.pop_front();
            }
            files.push_back((token, BillFile { csv, gzip }));
        }
        if let Value::Object(members) = answer {
            members.insert("download_url".into(), url.into());
            members.insert("hash_type".into(), "SHA1".into());
            members.insert("hash_value".into(), digest.into());
        }
        Ok(())
    }

    /// The file of the download request's token, gzip-compressed if it was asked so; `None`
    /// for a token the mock did not hand out. `corrupt`: the bill's last digit is changed
    /// (before compression), so that it no longer matches its digest (the fault
    /// `CorruptedDownload`).
    pub(crate) fn file(&self, query: &str, corrupt: bool) -> Option<Vec<u8>> {
        let token = pairs(query).into_iter().find(|(k, _)| k == "token")?.1;
        let files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        let (_, file) = files.iter().find(|(t, _)| *t == token)?;
        let mut csv = file.csv.clone();
        if corrupt {
            if let Some(digit) = csv.iter_mut().rev().find(|b| b.is_ascii_digit()) {
                *digit = if *digit == b'0' { b'1' } else { b'0' };
            }
        }
        if !file.gzip {
            return Some(csv);
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&csv).ok()?;
        gz.finish().ok()
    }
}

/// A paid order, as a bill lists it.
#[derive(Debug, Clone)]
pub(crate) struct Payment {
    pub(crate) time: OffsetDateTime,
    pub(crate) out_trade_no: String,
    pub(crate) transaction_id: String,
    pub(crate) trade_type: String,
    pub(crate) appid: String,
    pub(crate) mchid: String,
    /// Empty for a direct merchant's order.
    pub(crate) sub_mchid: String,
    pub(crate) openid: String,
    pub(crate) description: String,
    pub(crate) attach: String,
    pub(crate) currency: String,
    /// Fen.
    pub(crate) total: i64,
}

/// A refund accepted, as a bill lists it, with the payment it refunds.
#[derive(Debug, Clone)]
pub(crate) struct RefundEntry {
    /// When it was accepted.
    pub(crate) time: OffsetDateTime,
    pub(crate) success_time: Option<OffsetDateTime>,
    pub(crate) out_refund_no: String,
    pub(crate) refund_id: String,
    pub(crate) status: String,
    /// Fen.
    pub(crate) refund: i64,
    pub(crate) payment: Payment,
}

/// When a resource entered `state` (the last time).
fn entered(view: &View, state: &str) -> Option<OffsetDateTime> {
    view.entered
        .iter()
        .rev()
        .find(|(s, _)| s == state)
        .map(|(_, t)| *t)
}

/// The payments and the refunds accepted on `date` (Beijing time), by time.
fn day(api: &Api, ledger: &Ledger, date: time::Date) -> (Vec<Payment>, Vec<RefundEntry>) {
    let on_day = |t: OffsetDateTime| t.to_offset(offset!(+8)).date() == date;
    let orders = ledger.all(api, "order");
    let paid: Vec<(OffsetDateTime, Payment)> = (orders.iter())
        .filter_map(|o| {
            let time = entered(o, "SUCCESS")?;
            Some((time, payment(o, time)))
        })
        .collect();
    let mut payments: Vec<Payment> = (paid.iter())
        .filter(|(t, _)| on_day(*t))
        .map(|(_, p)| p.clone())
        .collect();
    let mut refunds: Vec<RefundEntry> = (ledger.all(api, "refund").iter())
        .filter(|r| on_day(r.created))
        .filter_map(|r| {
            let text = |key: &str| {
                r.facts
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let out_trade_no = text("out_trade_no");
            let (_, payment) = paid.iter().find(|(_, p)| p.out_trade_no == out_trade_no)?;
            Some(RefundEntry {
                time: r.created,
                success_time: entered(r, "SUCCESS"),
                out_refund_no: text("out_refund_no"),
                refund_id: text("refund_id"),
                status: r.state.clone(),
                refund: (r.facts.pointer("/amount/refund"))
                    .and_then(Value::as_i64)
                    .unwrap_or(0),
                payment: payment.clone(),
            })
        })
        .collect();
    payments.sort_by(|a, b| (a.time, &a.out_trade_no).cmp(&(b.time, &b.out_trade_no)));
    refunds.sort_by(|a, b| (a.time, &a.out_refund_no).cmp(&(b.time, &b.out_refund_no)));
    (payments, refunds)
}

/// An order as a bill lists it.
fn payment(order: &View, time: OffsetDateTime) -> Payment {
    let f = &order.facts;
    let text = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| f.pointer(k).and_then(Value::as_str))
            .unwrap_or_default()
            .to_owned()
    };
    Payment {
        time,
        out_trade_no: text(&["/out_trade_no"]),
        transaction_id: text(&["/transaction_id"]),
        trade_type: text(&["/trade_type"]),
        appid: text(&["/appid", "/sp_appid"]),
        mchid: text(&["/mchid", "/sp_mchid"]),
        sub_mchid: text(&["/sub_mchid"]),
        openid: text(&["/payer/openid", "/payer/sp_openid", "/payer/sub_openid"]),
        description: text(&["/description"]),
        attach: text(&["/attach"]),
        currency: match text(&["/amount/currency"]) {
            c if c.is_empty() => "CNY".to_owned(),
            c => c,
        },
        total: f
            .pointer("/amount/total")
            .and_then(Value::as_i64)
            .unwrap_or(0),
    }
}

/// `yyyy-MM-dd HH:mm:ss`, Beijing time.
fn bill_time(time: OffsetDateTime) -> String {
    time.to_offset(offset!(+8))
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default()
}

/// Fen as yuan with two decimals.
fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A value as the file holds it. The platform's rule for commas and line breaks inside trade
/// bill values is not documented; the fund-flow bill writes `\r` and `\n` as `\\r` and `\\n`.
/// The mock does that, and writes a comma as `，`, so that its files stay well-formed.
fn clean(value: &str) -> String {
    value
        .replace('\r', "\\r")
        .replace('\n', "\\n")
        .replace(',', "，")
}

/// The bill text: a header, backtick-prefixed rows, a summary header and a summary row.
fn render(
    header: &[&str],
    rows: &[Vec<String>],
    summary_header: &[&str],
    summary: &[String],
) -> Vec<u8> {
    let data = |row: &[String]| {
        row.iter()
            .map(|v| format!("`{}", clean(v)))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut text = header.join(",") + "\n";
    for row in rows {
        text.push_str(&data(row));
        text.push('\n');
    }
    text.push_str(&summary_header.join(","));
    text.push('\n');
    text.push_str(&data(summary));
    text.push('\n');
    text.into_bytes()
}

/// A line of a trade bill: a payment, or a refund of one.
enum Line<'a> {
    Payment(&'a Payment),
    Refund(&'a RefundEntry),
}

impl Line<'_> {
    fn payment(&self) -> &Payment {
        match self {
            Line::Payment(p) => p,
            Line::Refund(r) => &r.payment,
        }
    }

    fn refund(&self) -> Option<&RefundEntry> {
        match self {
            Line::Payment(_) => None,
            Line::Refund(r) => Some(r),
        }
    }

    /// When it was paid, or when the refund was accepted.
    fn time(&self) -> OffsetDateTime {
        self.refund().map_or(self.payment().time, |r| r.time)
    }

    /// 应结订单金额, 退款金额, 手续费, 订单金额, 申请退款金额, in fen (a refund's fee comes back).
    fn amounts(&self) -> [i64; 5] {
        match self {
            Line::Payment(p) => [p.total, 0, fee(p.total), p.total, 0],
            Line::Refund(r) => [0, r.refund, -fee(r.refund), 0, r.refund],
        }
    }

    /// A refund's value, or what a payment's line holds there.
    fn of_refund(&self, value: impl Fn(&RefundEntry) -> String, payment: &str) -> String {
        self.refund().map_or_else(|| payment.to_owned(), value)
    }
}

/// Which trade bills (`bill_type`) carry a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Carried {
    /// Every bill.
    Always,
    /// `ALL` and `REFUND`.
    WithRefunds,
    /// `REFUND` only.
    RefundBill,
}

impl Carried {
    fn by(self, bill_type: &str) -> bool {
        match self {
            Carried::Always => true,
            Carried::WithRefunds => bill_type != "SUCCESS",
            Carried::RefundBill => bill_type == "REFUND",
        }
    }
}

/// A trade bill column: its header, the bills that carry it, its value for a line.
type TradeColumn = (&'static str, Carried, fn(&Line<'_>) -> String);

/// The trade bill's columns, in the file's order, each written once for every bill type.
const TRADE_COLUMNS: &[TradeColumn] = &[
    ("交易时间", Carried::Always, |l| bill_time(l.time())),
    ("公众账号ID", Carried::Always, |l| {
        l.payment().appid.clone()
    }),
    ("商户号", Carried::Always, |l| l.payment().mchid.clone()),
    ("特约商户号", Carried::Always, |l| {
        match l.payment().sub_mchid.as_str() {
            "" => "0".into(),
            sub => sub.to_owned(),
        }
    }),
    ("设备号", Carried::Always, |_| String::new()),
    ("微信订单号", Carried::Always, |l| {
        l.payment().transaction_id.clone()
    }),
    ("商户订单号", Carried::Always, |l| {
        l.payment().out_trade_no.clone()
    }),
    ("用户标识", Carried::Always, |l| {
        l.payment().openid.clone()
    }),
    ("交易类型", Carried::Always, |l| {
        l.payment().trade_type.clone()
    }),
    ("交易状态", Carried::Always, |l| match l {
        Line::Payment(_) => "SUCCESS".into(),
        Line::Refund(_) => "REFUND".into(),
    }),
    ("付款银行", Carried::Always, |_| "OTHERS".into()),
    ("货币种类", Carried::Always, |l| {
        l.payment().currency.clone()
    }),
    ("应结订单金额", Carried::Always, |l| {
        yuan(l.amounts()[0])
    }),
    ("代金券金额", Carried::Always, |_| yuan(0)),
    ("退款申请时间", Carried::RefundBill, |l| {
        l.of_refund(|r| bill_time(r.time), "")
    }),
    ("退款成功时间", Carried::RefundBill, |l| {
        l.of_refund(|r| r.success_time.map(bill_time).unwrap_or_default(), "")
    }),
    ("微信退款单号", Carried::WithRefunds, |l| {
        l.of_refund(|r| r.refund_id.clone(), "0")
    }),
    ("商户退款单号", Carried::WithRefunds, |l| {
        l.of_refund(|r| r.out_refund_no.clone(), "0")
    }),
    ("退款金额", Carried::WithRefunds, |l| {
        yuan(l.amounts()[1])
    }),
    ("充值券退款金额", Carried::WithRefunds, |_| yuan(0)),
    ("退款类型", Carried::WithRefunds, |l| {
        l.of_refund(|_| "ORIGINAL".into(), "")
    }),
    ("退款状态", Carried::WithRefunds, |l| {
        l.of_refund(|r| r.status.clone(), "")
    }),
    ("商品名称", Carried::Always, |l| {
        l.payment().description.clone()
    }),
    ("商户数据包", Carried::Always, |l| {
        l.payment().attach.clone()
    }),
    ("手续费", Carried::Always, |l| {
        format!("{}000", yuan(l.amounts()[2]))
    }),
    ("费率", Carried::Always, |_| FEE_RATE.to_owned()),
    ("订单金额", Carried::Always, |l| yuan(l.amounts()[3])),
    ("申请退款金额", Carried::WithRefunds, |l| {
        yuan(l.amounts()[4])
    }),
    ("费率备注", Carried::Always, |_| String::new()),
];

/// What a summary column totals.
#[derive(Debug, Clone, Copy)]
enum Total {
    /// The number of lines.
    Lines,
    /// The sum of one of [`Line::amounts`], in yuan.
    Sum(usize),
    /// The sum of the fees, in yuan with five decimals.
    Fees,
    /// Nothing the mock pays out (recharge coupons): zero.
    Zero,
}

/// The summary's columns: its header, the bills that carry it, what it totals.
const TRADE_SUMMARY: &[(&str, Carried, Total)] = &[
    ("总交易单数", Carried::Always, Total::Lines),
    ("应结订单总金额", Carried::Always, Total::Sum(0)),
    ("退款总金额", Carried::WithRefunds, Total::Sum(1)),
    ("充值券退款总金额", Carried::WithRefunds, Total::Zero),
    ("手续费总金额", Carried::Always, Total::Fees),
    ("订单总金额", Carried::Always, Total::Sum(3)),
    ("申请退款总金额", Carried::WithRefunds, Total::Sum(4)),
];

/// A trade bill of `bill_type` (`ALL`, `SUCCESS`, `REFUND`), or `None` if it has no rows.
fn trade_bill(bill_type: &str, payments: &[Payment], refunds: &[RefundEntry]) -> Option<Vec<u8>> {
    let (payments, refunds) = match bill_type {
        "SUCCESS" => (payments, &[][..]),
        "REFUND" => (&[][..], refunds),
        _ => (payments, refunds),
    };
    let lines: Vec<Line<'_>> = (payments.iter().map(Line::Payment))
        .chain(refunds.iter().map(Line::Refund))
        .collect();
    if lines.is_empty() {
        return None;
    }
    let columns: Vec<&TradeColumn> = (TRADE_COLUMNS.iter())
        .filter(|(_, carried, _)| carried.by(bill_type))
        .collect();
    let header: Vec<&str> = columns.iter().map(|(name, _, _)| *name).collect();
    let rows: Vec<Vec<String>> = (lines.iter())
        .map(|line| columns.iter().map(|(_, _, value)| value(line)).collect())
        .collect();
    let mut sums = [0i64; 5];
    for line in &lines {
        add(&mut sums, line.amounts());
    }
    let summary: Vec<&(&str, Carried, Total)> = (TRADE_SUMMARY.iter())
        .filter(|(_, carried, _)| carried.by(bill_type))
        .collect();
    let summary_header: Vec<&str> = summary.iter().map(|(name, _, _)| *name).collect();
    let totals: Vec<String> = (summary.iter())
        .map(|(_, _, total)| match total {
            Total::Lines => lines.len().to_string(),
            Total::Sum(i) => yuan(sums[*i]),
            Total::Fees => format!("{}000", yuan(sums[2])),
            Total::Zero => yuan(0),
        })
        .collect();
    Some(render(&header, &rows, &summary_header, &totals))
}

fn add<const N: usize>(sums: &mut [i64; N], amounts: [i64; N]) {
    for (sum, amount) in sums.iter_mut().zip(amounts) {
        *sum += amount;
    }
}

/// The basic account's fund-flow bill of the day: each payment in, its fee out, each refund
/// out and its fee back; `None` if nothing moved.
fn fund_flow_bill(
    mchid: &str,
    date: time::Date,
    payments: &[Payment],
    refunds: &[RefundEntry],
) -> Option<Vec<u8>> {
    // (time, business id, 业务名称, 业务类型, income?, amount, voucher)
    let mut moves: Vec<(OffsetDateTime, &str, &str, &str, bool, i64, &str)> = Vec::new();
    for p in payments {
        let id = p.transaction_id.as_str();
        let no = p.out_trade_no.as_str();
        moves.push((p.time, id, "交易", "交易", true, p.total, no));
        moves.push((
            p.time,
            id,
            "交易",
            "扣除交易手续费",
            false,
            fee(p.total),
            no,
        ));
    }
    for r in refunds {
        let id = r.refund_id.as_str();
        let no = r.out_refund_no.as_str();
        moves.push((r.time, id, "退款", "退款", false, r.refund, no));
        moves.push((
            r.time,
            id,
            "退款",
            "退还交易手续费",
            true,
            fee(r.refund),
            no,
        ));
    }
    moves.retain(|m| m.5 != 0);
    if moves.is_empty() {
        return None;
    }
    moves.sort_by_key(|m| m.0);
    let day = date
        .format(format_description!("[year][month][day]"))
        .unwrap_or_default();
    let mut balance = 0;
    let mut totals = [(0u64, 0i64); 2];
    let mut rows = Vec::new();
    for (i, (time, id, name, kind, income, amount, voucher)) in moves.into_iter().enumerate() {
        balance += if income { amount } else { -amount };
        let total = &mut totals[usize::from(!income)];
        total.0 += 1;
        total.1 += amount;
        rows.push(vec![
            bill_time(time),
            id.to_owned(),
            format!("{mchid}{day}{:010}", i + 1),
            name.to_owned(),
            kind.to_owned(),
            if income { "收入" } else { "支出" }.to_owned(),
            yuan(amount),
            yuan(balance),
            "system".to_owned(),
            String::new(),
            voucher.to_owned(),
        ]);
    }
    let header = [
        "记账时间",
        "微信支付业务单号",
        "资金流水单号",
        "业务名称",
        "业务类型",
        "收支类型",
        "收支金额（元）",
        "账户结余（元）",
        "资金变更提交申请人",
        "备注",
        "业务凭证号",
    ];
    let summary_header = [
        "资金流水总笔数",
        "收入笔数",
        "收入金额",
        "支出笔数",
        "支出金额",
    ];
    // Counts as the platform's own example writes them: `20.0`.
    let summary = vec![
        format!("{}.0", rows.len()),
        format!("{}.0", totals[0].0),
        yuan(totals[0].1),
        format!("{}.0", totals[1].0),
        yuan(totals[1].1),
    ];
    Some(render(&header, &rows, &summary_header, &summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_fees() {
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(888), "8.88");
        assert_eq!(yuan(-5), "-0.05");
        assert_eq!(fee(888), 5); // 5.328 fen
        assert_eq!(fee(100), 1); // 0.6 fen, rounded half up
        assert_eq!(fee(83), 0); // 0.498 fen
        assert_eq!(clean("a,b\nc"), "a，b\\nc");
    }
}
