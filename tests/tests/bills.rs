//! Bills in one call (issue 12), over real HTTP against the mock: the bill lists the orders paid
//! and refunded through the mock on that day, plain and gzip downloads give the same bill,
//! `openssl dgst -sha1` and `gzip -d` check independently what the mock served and what the
//! client accepted, and every refusal is its typed error.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write as _;
use std::process::Command;

use common::*;
use wechatpay_api::bills::{
    blocking, download_bill, ApplyFundFlowBill, ApplyTradeBill, BillError, DownloadBill,
    FundDirection, FundFlowBill, TarType, TradeBill, TradeBillType,
};
use wechatpay_api::pay_transactions::{
    Amount, JsapiPrepay, JsapiPrepayRequired, Payer, QueryOrderByOutTradeNo,
    QueryOrderByOutTradeNoRequired,
};
use wechatpay_api::refund_domestic::{
    AmountReq, AmountReqRequired, CreateRefund, CreateRefundRequired,
};
use wechatpay_api::time::macros::datetime;
use wechatpay_api::time::OffsetDateTime;
use wechatpay_api::{Client, Error, Limits, TransportErrorKind};
use wechatpay_mock::{Fault, MockPlatform};

const APPID: &str = "wxd678efh567hg6787";
const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
const NOTIFY_URL: &str = "https://merchant.example.com/notify";
/// The bill's day, and the time the mock's ledger stamps on what the tests do.
const DAY: &str = "2026-11-30";
const AT: OffsetDateTime = datetime!(2026-11-30 10:11:12 +8);

/// What the merchant sold on `DAY`: (out_trade_no, description, fen), all paid; the second one
/// partly refunded (`REFUND-2`, 300 fen).
const SOLD: [(&str, &str, i64); 3] = [
    ("BILL-1", "Image形象店-深圳腾大-QQ公仔", 888),
    ("BILL-2", "会员年卡", 19_900),
    ("BILL-3", "咖啡", 1),
];

/// Places and pays `SOLD` on `DAY` and refunds part of the second; the transaction ids.
async fn sell(mock: &MockPlatform, client: &Client) -> Vec<String> {
    let mchid = mock.credentials().mchid.clone();
    mock.set_time(Some(AT));
    let mut ids = Vec::new();
    for (no, description, total) in SOLD {
        let order = JsapiPrepay::new(JsapiPrepayRequired {
            appid: APPID.into(),
            mchid: (&mchid).into(),
            description: description.into(),
            out_trade_no: no.into(),
            notify_url: NOTIFY_URL.into(),
            amount: Amount::new(total),
            payer: Payer::new(OPENID),
        });
        client.execute(&order).await.unwrap();
        mock.pay(no).expect("the order waits for payment");
        let queried = client
            .execute(&QueryOrderByOutTradeNo::new(
                QueryOrderByOutTradeNoRequired {
                    out_trade_no: no.into(),
                    mchid: (&mchid).into(),
                },
            ))
            .await
            .unwrap()
            .data;
        ids.push(queried.transaction_id.unwrap());
    }
    let refund = CreateRefund::new(CreateRefundRequired {
        out_refund_no: "REFUND-2".into(),
        amount: AmountReq::new(AmountReqRequired {
            refund: 300,
            total: 19_900,
            currency: "CNY".into(),
        }),
    })
    .with_out_trade_no("BILL-2");
    client.execute(&refund).await.unwrap();
    mock.complete_refund("REFUND-2").unwrap();
    mock.set_time(None);
    ids
}

/// `openssl dgst -sha1` of `bytes`, lowercase hex.
fn openssl_sha1(bytes: &[u8]) -> String {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    let out = Command::new("openssl")
        .args(["dgst", "-sha1", "-r"])
        .arg(file.path())
        .output()
        .expect("the openssl CLI runs");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    text.split_whitespace().next().unwrap().to_owned()
}

/// `gzip -dc` of `bytes`.
fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(bytes).unwrap();
    let out = Command::new("gzip")
        .arg("-dc")
        .arg(file.path())
        .output()
        .expect("gzip runs");
    assert!(out.status.success(), "{out:?}");
    out.stdout
}

/// The file the mock serves for a fresh application, as received (no digest check, no
/// un-gzipping), with the apply answer's `hash_value`.
async fn served(client: &Client, apply: &ApplyTradeBill) -> (Vec<u8>, String) {
    let info = client.execute(apply).await.unwrap().data;
    let token = info.download_url.split("token=").nth(1).unwrap();
    let token = token.split('&').next().unwrap();
    let mut raw = Vec::new();
    client
        .download(&DownloadBill::new(token), &mut raw, None)
        .await
        .unwrap();
    (raw, info.hash_value)
}

#[tokio::test]
async fn the_trade_bill_lists_the_days_payments_and_refunds() {
    let mock = mock();
    let client = client(&mock);
    let ids = sell(&mock, &client).await;
    let mut file = Vec::new();
    let done = download_bill(&client, &ApplyTradeBill::new(DAY), &mut file)
        .await
        .unwrap();
    assert!(!done.gzip);
    assert_eq!(
        (done.len, done.received),
        (file.len() as u64, file.len() as u64)
    );
    assert_eq!(done.checksum.algorithm(), "SHA1");
    assert!(done.apply_request_id.is_some() && done.request_id.is_some());
    // The independent check: the digest of what the client wrote is the one the platform gave.
    assert_eq!(openssl_sha1(&file), done.checksum.expected());

    let bill = TradeBill::parse(&file).unwrap();
    assert_eq!(bill.rows.len(), 4, "three payments and one refund");
    for ((no, description, total), (row, id)) in SOLD.iter().zip(bill.rows.iter().zip(&ids)) {
        assert_eq!(row.out_trade_no, *no);
        assert_eq!(&row.transaction_id, id);
        assert_eq!(row.trade_state, "SUCCESS");
        assert_eq!(row.trade_type, "JSAPI");
        assert_eq!(row.trade_time, AT);
        assert_eq!(row.description, *description);
        assert_eq!(row.openid, OPENID);
        assert_eq!(row.mchid, mock.credentials().mchid);
        assert_eq!(row.sub_mchid, "0");
        assert_eq!(
            (row.total, row.settlement_total),
            (Some(*total), Some(*total))
        );
        assert_eq!(row.refund, Some(0));
        assert_eq!(row.refund_id, "0");
    }
    // 0.6 % rounded half up: 5.328 fen, 119.4 fen, 0.006 fen.
    let fees: Vec<_> = bill.rows.iter().map(|r| r.fee).collect();
    assert_eq!(fees, [Some(5), Some(119), Some(0), Some(-2)]);
    let refund = &bill.rows[3];
    assert_eq!(refund.trade_state, "REFUND");
    assert_eq!(
        (refund.out_trade_no.as_str(), refund.transaction_id.as_str()),
        ("BILL-2", ids[1].as_str())
    );
    assert_eq!(refund.out_refund_no, "REFUND-2");
    assert_eq!(
        (refund.refund, refund.refund_requested),
        (Some(300), Some(300))
    );
    assert_eq!(refund.refund_status, "SUCCESS");
    let s = &bill.summary;
    assert_eq!(s.count, 4);
    assert_eq!(s.order_total, Some(888 + 19_900 + 1));
    assert_eq!(s.settlement_total, Some(888 + 19_900 + 1));
    assert_eq!(
        (s.refund_total, s.refund_requested_total),
        (Some(300), Some(300))
    );
    assert_eq!(s.fee_total, Some(5 + 119 - 2));

    // The download went to the mock, signed, with the token of the apply answer.
    let log = mock.requests();
    let download = log.last().unwrap();
    assert_eq!(download.operation_id.as_deref(), Some("downloadBill"));
    assert!(
        download.target.starts_with("/v3/billdownload/file?token="),
        "{}",
        download.target
    );
    assert!(download.header("Authorization").is_some());

    // The SUCCESS and REFUND variants have their own columns.
    let apply = ApplyTradeBill::new(DAY).with_bill_type(TradeBillType::Success);
    let mut file = Vec::new();
    download_bill(&client, &apply, &mut file).await.unwrap();
    let success = TradeBill::parse(&file).unwrap();
    assert_eq!(success.rows.len(), 3);
    assert!(success
        .rows
        .iter()
        .all(|r| r.refund.is_none() && r.refund_id.is_empty()));
    assert_eq!(success.summary.refund_total, None);
    assert_eq!(success.rows[0].fields.len(), 20);
    let apply = ApplyTradeBill::new(DAY).with_bill_type(TradeBillType::Refund);
    let mut file = Vec::new();
    download_bill(&client, &apply, &mut file).await.unwrap();
    let refunds = TradeBill::parse(&file).unwrap();
    assert_eq!(refunds.rows.len(), 1);
    assert_eq!(refunds.rows[0].refund_create_time, Some(AT));
    assert_eq!(refunds.rows[0].refund_success_time, Some(AT));
}

#[tokio::test]
async fn a_gzip_bill_is_unzipped_and_its_digest_is_the_bills() {
    let mock = mock();
    let client = client(&mock);
    sell(&mock, &client).await;
    let mut plain = Vec::new();
    download_bill(&client, &ApplyTradeBill::new(DAY), &mut plain)
        .await
        .unwrap();
    let apply = ApplyTradeBill::new(DAY).with_tar_type(TarType::Gzip);
    let mut file = Vec::new();
    let done = download_bill(&client, &apply, &mut file).await.unwrap();
    assert!(done.gzip);
    assert_eq!(file, plain, "the same bill, un-gzipped");
    assert_eq!(done.len, file.len() as u64);
    assert_eq!(openssl_sha1(&file), done.checksum.expected());
    // The URL's extra pair (`tartype=gzip`) went along with the token.
    let target = mock.requests().last().unwrap().target.clone();
    assert!(target.contains("&tartype=gzip"), "{target}");

    // What the mock serves is gzip: `gzip -d` reads it, and `hash_value` is the digest of the
    // bill inside, not of the compressed bytes.
    let (raw, hash_value) = served(&client, &apply).await;
    assert_eq!(&raw[..2], [0x1f, 0x8b]);
    assert_eq!(done.received, raw.len() as u64);
    assert_eq!(gunzip(&raw), plain);
    assert_eq!(openssl_sha1(&gunzip(&raw)), hash_value);
    assert_ne!(openssl_sha1(&raw), hash_value);
}

#[tokio::test]
async fn the_fund_flow_bill_follows_the_money() {
    let mock = mock();
    let client = client(&mock);
    let ids = sell(&mock, &client).await;
    let apply = ApplyFundFlowBill::new(DAY).with_tar_type(TarType::Gzip);
    let mut file = Vec::new();
    let done = download_bill(&client, &apply, &mut file).await.unwrap();
    assert_eq!(openssl_sha1(&file), done.checksum.expected());
    let bill = FundFlowBill::parse(&file).unwrap();
    let moves: Vec<(&str, &str, Option<i64>)> = bill
        .rows
        .iter()
        .map(|r| {
            (
                r.business_id.as_str(),
                r.business_type.as_str(),
                r.signed_amount(),
            )
        })
        .collect();
    assert_eq!(
        moves[..5],
        [
            (ids[0].as_str(), "交易", Some(888)),
            (ids[0].as_str(), "扣除交易手续费", Some(-5)),
            (ids[1].as_str(), "交易", Some(19_900)),
            (ids[1].as_str(), "扣除交易手续费", Some(-119)),
            (ids[2].as_str(), "交易", Some(1)),
        ]
    );
    let refund: Vec<_> = moves[5..].iter().map(|m| (m.1, m.2)).collect();
    assert_eq!(refund, [("退款", Some(-300)), ("退还交易手续费", Some(2))]);
    let balance = 888 - 5 + 19_900 - 119 + 1 - 300 + 2;
    assert_eq!(bill.rows.last().unwrap().balance, Some(balance));
    assert!(bill.rows.iter().all(|r| r.time == AT));
    let s = &bill.summary;
    assert_eq!(
        (s.count, s.income_count, s.expense_count),
        (7, Some(4), Some(3))
    );
    assert_eq!(s.income, Some(888 + 19_900 + 1 + 2));
    assert_eq!(s.expense, Some(5 + 119 + 300));
    let incomes = bill
        .rows
        .iter()
        .filter(|r| r.direction == FundDirection::Income)
        .count();
    assert_eq!(incomes, 4);
}

#[tokio::test]
async fn a_corrupted_bill_is_a_digest_mismatch() {
    let mock = mock();
    let client = client(&mock);
    sell(&mock, &client).await;
    mock.set_fault(Some(Fault::CorruptedDownload));
    for apply in [
        ApplyTradeBill::new(DAY),
        ApplyTradeBill::new(DAY).with_tar_type(TarType::Gzip),
    ] {
        let mut file = Vec::new();
        let err = download_bill(&client, &apply, &mut file).await.unwrap_err();
        let BillError::Client(Error::DigestMismatch {
            algorithm,
            expected,
            actual,
            ..
        }) = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(*algorithm, "SHA1");
        assert_ne!(expected, actual);
        // What was written is the corrupted bill: its digest is the one reported.
        assert_eq!(&openssl_sha1(&file), actual, "{err}");
    }
}

#[tokio::test]
async fn a_download_url_on_another_host_is_refused_before_anything_is_sent() {
    let mock = mock();
    let client = client(&mock);
    sell(&mock, &client).await;
    let before = mock.requests().len();
    mock.set_fault(Some(Fault::ForeignDownloadUrl));
    let mut file = Vec::new();
    let err = download_bill(&client, &ApplyTradeBill::new(DAY), &mut file)
        .await
        .unwrap_err();
    let BillError::DownloadUrl { origin, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(origin, "https://download.example.invalid:443");
    assert!(file.is_empty());
    let after: Vec<_> = mock.requests()[before..]
        .iter()
        .map(|r| r.operation_id.clone())
        .collect();
    assert_eq!(
        after,
        [Some("applyTradeBill".to_owned())],
        "no download request"
    );
}

#[tokio::test]
async fn bills_past_the_download_limit_are_refused() {
    let mock = mock();
    let client = client(&mock);
    sell(&mock, &client).await;
    let gzip = ApplyTradeBill::new(DAY).with_tar_type(TarType::Gzip);
    let (raw, _) = served(&client, &gzip).await;
    let mut plain = Vec::new();
    download_bill(&client, &ApplyTradeBill::new(DAY), &mut plain)
        .await
        .unwrap();
    // Between the compressed and the un-gzipped size.
    let limit = (raw.len() + plain.len()) / 2;
    assert!(raw.len() < limit && limit < plain.len());
    let small = mock
        .credentials()
        .client_builder(mock.base_url())
        .unwrap()
        .limits(Limits {
            download: limit,
            ..Limits::default()
        })
        .build()
        .unwrap();
    let mut file = Vec::new();
    let err = download_bill(&small, &ApplyTradeBill::new(DAY), &mut file)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BillError::Client(Error::Transport { source, .. })
            if source.kind() == TransportErrorKind::TooLarge { limit }),
        "{err:?}"
    );
    let mut file = Vec::new();
    let err = download_bill(&small, &gzip, &mut file).await.unwrap_err();
    assert!(
        matches!(&err, BillError::TooLarge { limit: l } if *l == limit as u64),
        "{err:?}"
    );
    assert!(file.len() <= limit);
}

#[tokio::test]
async fn a_day_without_trades_has_no_bill() {
    let mock = mock();
    let client = client(&mock);
    let mut file = Vec::new();
    let err = download_bill(&client, &ApplyTradeBill::new(DAY), &mut file)
        .await
        .unwrap_err();
    let BillError::Client(Error::Api(api)) = &err else {
        panic!("{err:?}");
    };
    assert_eq!((api.status, api.code.as_str()), (400, "NO_STATEMENT_EXIST"));
    // A tar_type this version cannot read is refused before anything is sent.
    let before = mock.requests().len();
    let zip = ApplyTradeBill::new(DAY).with_tar_type(TarType::from("ZIP"));
    let err = download_bill(&client, &zip, &mut file).await.unwrap_err();
    assert!(matches!(&err, BillError::UnsupportedTarType { tar_type } if tar_type == "ZIP"));
    assert_eq!(mock.requests().len(), before);
}

#[test]
fn the_blocking_client_downloads_the_same_bill() {
    let mock = mock();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let plain = runtime.block_on(async {
        let client = client(&mock);
        sell(&mock, &client).await;
        let mut plain = Vec::new();
        download_bill(&client, &ApplyTradeBill::new(DAY), &mut plain)
            .await
            .unwrap();
        plain
    });
    drop(runtime);
    let client = blocking_client(&mock);
    for apply in [
        ApplyTradeBill::new(DAY),
        ApplyTradeBill::new(DAY).with_tar_type(TarType::Gzip),
    ] {
        let mut file = Vec::new();
        let done = blocking::download_bill(&client, &apply, &mut file).unwrap();
        assert_eq!(file, plain);
        assert_eq!(openssl_sha1(&file), done.checksum.expected());
    }
    mock.set_fault(Some(Fault::CorruptedDownload));
    let gzip = ApplyTradeBill::new(DAY).with_tar_type(TarType::Gzip);
    let err = blocking::download_bill(&client, &gzip, &mut Vec::<u8>::new()).unwrap_err();
    assert!(
        matches!(err, BillError::Client(Error::DigestMismatch { .. })),
        "{err:?}"
    );
}

/// Counts the bytes each thread holds allocated, and the most it held, so that a test can
/// measure its own peak memory while other tests run in other threads.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn held(change: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + change;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is forwarded to the system allocator unchanged; the counters are
// thread-local cells, which allocate nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            held(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        held(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, p: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, layout, size) };
        if !q.is_null() {
            held(size as isize - layout.size() as isize);
        }
        q
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn a_large_bill_is_read_row_by_row_in_memory_bounded_by_a_row() {
    const ROWS: usize = 150_000;
    let header = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";
    let mut file = tempfile::NamedTempFile::new().unwrap();
    {
        let mut out = std::io::BufWriter::new(file.as_file_mut());
        writeln!(out, "{header}").unwrap();
        for i in 0..ROWS {
            writeln!(out, "`2026-11-30 10:11:12,`wxd678efh567hg6787,`1230000109,`0,`,`42000000002026113{i:011},`ORDER-{i:011},`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`SUCCESS,`CMB_DEBIT,`CNY,`1.00,`0.00,`0,`0,`0.00,`0.00,`,`,`Image形象店-深圳腾大-QQ公仔-{i},`{{\"order\":{i},\"note\":\"a, b\"}},`0.01000,`0.60%,`1.00,`0.00,`").unwrap();
        }
        writeln!(out, "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额").unwrap();
        writeln!(
            out,
            "`{ROWS},`{ROWS}.00,`0.00,`0.00,`{}.00,`{ROWS}.00,`0.00",
            ROWS / 100
        )
        .unwrap();
    }
    let size = file.as_file().metadata().unwrap().len();
    assert!(size > 40 * 1024 * 1024, "{size} bytes");
    let input = std::io::BufReader::new(std::fs::File::open(file.path()).unwrap());
    let before = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(before));
    let mut reader = TradeBill::reader(input).unwrap();
    let (mut rows, mut total) = (0, 0);
    for row in reader.by_ref() {
        let row = row.unwrap();
        rows += 1;
        total += row.total.unwrap();
    }
    let summary = reader.summary().unwrap();
    let peak = PEAK.with(Cell::get) - before;
    assert_eq!((rows, summary.count), (ROWS, ROWS as u64));
    assert_eq!(Some(total), summary.order_total);
    // One row (its line, its values twice: typed and by name), the reader's buffer and the
    // header: a few kilobytes, against a bill of over 40 MiB.
    assert!(
        (peak as u64) * 1000 < size,
        "peak {peak} bytes for a bill of {size} bytes"
    );
}
