//! Reconciliation against yesterday's trade bill, end to end against the embedded mock:
//! download the bill in one call (apply, check the URL, stream, un-gzip, check the SHA-1),
//! parse it into typed rows, and match it against the merchant's own orders.
//!
//! Against the real platform the same code runs with your credentials, after 10:00 Beijing
//! time (when yesterday's bill is ready). Here the mock plays yesterday: its ledger stamps the
//! orders paid and refunded below with yesterday's date (`MockPlatform::set_time`).
//!
//! `cargo run -p wechatpay-api --example reconcile`

use std::collections::BTreeMap;

use wechatpay_api::bills::{ApplyTradeBill, TarType, TradeBill, download_bill};
use wechatpay_api::pay_transactions::{Amount, JsapiPrepay, JsapiPrepayRequired, Payer};
use wechatpay_api::refund_domestic::{
    AmountReq, AmountReqRequired, CreateRefund, CreateRefundRequired,
};
use wechatpay_api::time::OffsetDateTime;
use wechatpay_api::time::macros::{format_description, offset};
use wechatpay_mock::MockPlatform;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const APPID: &str = "wxd678efh567hg6787";
const NOTIFY_URL: &str = "https://merchant.example.com/wechatpay/notify";

/// An order in the merchant's own books.
struct Order {
    out_trade_no: &'static str,
    total: i64,
    /// Whether the merchant's books say it was paid.
    paid: bool,
}

/// The merchant's books for yesterday: two orders paid, one never paid.
const BOOKS: [Order; 3] = [
    Order {
        out_trade_no: "RECON-1",
        total: 888,
        paid: true,
    },
    Order {
        out_trade_no: "RECON-2",
        total: 19_900,
        paid: true,
    },
    Order {
        out_trade_no: "RECON-3",
        total: 500,
        paid: false,
    },
];

fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:02}",
        fen.unsigned_abs() / 100,
        fen.unsigned_abs() % 100
    )
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let mock = MockPlatform::start()?;
    let client = mock
        .credentials()
        .client_builder(mock.base_url())?
        .build()?;
    let mchid = mock.credentials().mchid.clone();

    // Yesterday, Beijing time.
    let today = OffsetDateTime::now_utc().to_offset(offset!(+8)).date();
    let yesterday = today.previous_day().ok_or("no yesterday")?;
    let bill_date = yesterday.format(format_description!("[year]-[month]-[day]"))?;

    // What happened yesterday: the orders placed, paid where the books say so, one partial refund.
    mock.set_time(Some(
        yesterday.with_hms(10, 11, 12)?.assume_offset(offset!(+8)),
    ));
    for order in &BOOKS {
        let prepay = JsapiPrepay::new(JsapiPrepayRequired {
            appid: APPID.into(),
            mchid: (&mchid).into(),
            description: "Image形象店-深圳腾大-QQ公仔".into(),
            out_trade_no: order.out_trade_no.into(),
            notify_url: NOTIFY_URL.into(),
            amount: Amount::new(order.total),
            payer: Payer::new("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"),
        });
        client.execute(&prepay).await?;
        if order.paid {
            mock.pay(order.out_trade_no).ok_or("no such unpaid order")?;
        }
    }
    let refund = CreateRefund::new(CreateRefundRequired {
        out_refund_no: "RECON-REFUND-2".into(),
        amount: AmountReq::new(AmountReqRequired {
            refund: 300,
            total: 19_900,
            currency: "CNY".into(),
        }),
    })
    .with_out_trade_no("RECON-2");
    client.execute(&refund).await?;
    mock.set_time(None);

    // 1. Yesterday's bill in one call, gzip-compressed on the wire.
    let apply = ApplyTradeBill::new(&bill_date).with_tar_type(TarType::Gzip);
    let mut file = Vec::new(); // a file in production: keep it only if this succeeds
    let done = download_bill(&client, &apply, &mut file).await?;
    println!(
        "bill {bill_date}: {} bytes ({} gzip), {} {} matches (Request-ID {:?})",
        done.len,
        done.received,
        done.checksum.algorithm(),
        done.checksum.expected(),
        done.request_id
    );

    // 2. Typed rows.
    let bill = TradeBill::parse(&file)?;
    let mut paid: BTreeMap<&str, i64> = BTreeMap::new();
    let mut refunded: BTreeMap<&str, i64> = BTreeMap::new();
    let (mut fees, mut settled) = (0, 0);
    for row in &bill.rows {
        match row.trade_state.as_str() {
            "SUCCESS" => {
                *paid.entry(&row.out_trade_no).or_default() += row.total.unwrap_or(0);
                settled += row.settlement_total.unwrap_or(0);
            }
            "REFUND" => *refunded.entry(&row.out_trade_no).or_default() += row.refund.unwrap_or(0),
            other => println!("line {}: {other} {}", row.line, row.out_trade_no),
        }
        fees += row.fee.unwrap_or(0);
    }

    // 3. The bill agrees with itself: its rows add up to its summary.
    let summary = &bill.summary;
    let refunds: i64 = refunded.values().sum();
    let consistent = summary.count == bill.rows.len() as u64
        && summary.settlement_total == Some(settled)
        && summary.refund_total == Some(refunds)
        && summary.fee_total == Some(fees);
    println!(
        "{} rows: {} payments, {} refunds; settled {} yuan, refunded {} yuan, fees {} yuan; summary {}",
        bill.rows.len(),
        paid.len(),
        refunded.len(),
        yuan(settled),
        yuan(refunds),
        yuan(fees),
        if consistent { "agrees" } else { "DISAGREES" }
    );

    // 4. The bill against the books.
    let mut problems = Vec::new();
    for order in &BOOKS {
        match (order.paid, paid.get(order.out_trade_no)) {
            (true, Some(&total)) if total == order.total => {
                println!("{}: paid {} yuan, matches", order.out_trade_no, yuan(total))
            }
            (true, Some(&total)) => problems.push(format!(
                "{}: the bill says {} yuan, the books {}",
                order.out_trade_no,
                yuan(total),
                yuan(order.total)
            )),
            (true, None) => problems.push(format!(
                "{}: paid in the books, not in the bill",
                order.out_trade_no
            )),
            (false, Some(_)) => problems.push(format!(
                "{}: paid in the bill, not in the books: update the order",
                order.out_trade_no
            )),
            (false, None) => println!(
                "{}: not paid, not in the bill: close it",
                order.out_trade_no
            ),
        }
    }
    for no in paid
        .keys()
        .filter(|no| !BOOKS.iter().any(|o| o.out_trade_no == **no))
    {
        problems.push(format!("{no}: in the bill, unknown to the books"));
    }
    for (no, fen) in &refunded {
        println!("{no}: refunded {} yuan", yuan(*fen));
    }
    if !consistent || !problems.is_empty() {
        return Err(format!("reconciliation failed: {problems:?}").into());
    }
    println!("reconciled: the bill and the books agree");
    Ok(())
}
