//! The SDK's `tracing` spans, printed by a `tracing-subscriber` fmt subscriber: each attempt of a
//! call runs in a span `wechatpay` with the operation id, the method, the attempt, the
//! `Request-ID`, the HTTP status and `latency_ms`, and a failure or a retry logs a `warn` event
//! in it. A call that succeeds logs no event, so the subscriber also prints each span as it
//! closes (`FmtSpan::CLOSE`), with every field recorded.
//!
//! Runs against the embedded mock: a call the platform answers `SYSTEM_ERROR` once and that is
//! retried, an API error (`ORDER_NOT_EXIST`), and a call with a sensitive field. What the
//! subscriber writes goes to stdout and is kept in memory, and the example exits non-zero if a
//! span lacks its operation id, status, `latency_ms` or `Request-ID`, or if the output holds the
//! APIv3 key, the private key or the sensitive field's plaintext.
//!
//! `cargo run -p wechatpay-api --example tracing_spans` (`-- --json` for JSON lines; `RUST_LOG`
//! replaces the filter, `wechatpay_core=info`; the check expects at least that)

use std::sync::{Arc, Mutex};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;
use wechatpay_api::pay_transactions::{
    Amount, JsapiPrepay, JsapiPrepayRequired, Payer, QueryOrderByOutTradeNo,
    QueryOrderByOutTradeNoRequired,
};
use wechatpay_api::webank_recover::{RecoverLedgerControl, RecoverLedgerControlRequired};
use wechatpay_api::{Error, RetryPolicy};
use wechatpay_mock::{Fault, MockPlatform};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A bank account number, sent encrypted: it must never be logged.
const BAL_ACCOUNT_NO: &str = "6222 0000 1111 2222";

/// What the subscriber writes: copied to stdout, and kept to be checked.
#[derive(Clone, Default)]
struct Tee(Arc<Mutex<Vec<u8>>>);

impl Tee {
    fn text(&self) -> String {
        let kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&kept).into_owned()
    }
}

impl std::io::Write for Tee {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        std::io::stdout().write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().flush()
    }
}

/// Whether `output` shows the field `name` with `value`, as text (`name=value`, strings quoted)
/// or JSON (`"name":value`).
fn shows(output: &str, name: &str, value: &str) -> bool {
    [
        format!("{name}={value}"),
        format!("{name}=\"{value}\""),
        format!("\"{name}\":{value}"),
        format!("\"{name}\":\"{value}\""),
    ]
    .iter()
    .any(|form| output.contains(form.as_str()))
}

/// The line (text) or JSON line of a span closing, among the subscriber's output, that shows
/// every `(name, value)` given.
fn closed_span<'a>(output: &'a str, fields: &[(&str, &str)]) -> Option<&'a str> {
    output
        .lines()
        .filter(|line| line.contains("close"))
        .find(|line| fields.iter().all(|(name, value)| shows(line, name, value)))
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let json = std::env::args().skip(1).any(|arg| arg == "--json");
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("wechatpay_core=info"));
    let tee = Tee::default();
    let writer = {
        let tee = tee.clone();
        move || tee.clone()
    };
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(writer);
    if json {
        subscriber.json().init();
    } else {
        subscriber.init();
    }

    let mock = MockPlatform::start()?;
    let client = mock
        .credentials()
        .client_builder(mock.base_url())?
        .retry(RetryPolicy::attempts(3))
        .build()?;
    let mchid = mock.credentials().mchid.clone();

    // 1. The platform answers `SYSTEM_ERROR` to the first attempt; prepay is idempotent (the
    //    same `out_trade_no`), so it is sent again.
    mock.fault_next(Fault::SystemError);
    let prepay = JsapiPrepay::new(JsapiPrepayRequired {
        appid: "wxd678efh567hg6787".into(),
        mchid: (&mchid).into(),
        description: "Image形象店-深圳腾大-QQ公仔".into(),
        out_trade_no: "TRACED-1".into(),
        notify_url: "https://merchant.example.com/wechatpay/notify".into(),
        amount: Amount::new(888),
        payer: Payer::new("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"),
    });
    let prepaid = client.execute(&prepay).await?;
    let prepay_id = prepaid
        .request_id
        .ok_or("the prepay answer has no Request-ID")?;

    // 2. An API error: no such order.
    let query = QueryOrderByOutTradeNo::new(QueryOrderByOutTradeNoRequired {
        out_trade_no: "NO-SUCH-ORDER".into(),
        mchid: (&mchid).into(),
    });
    let missing = match client.execute(&query).await {
        Err(e @ Error::Api(_)) if e.api_code() == Some("ORDER_NOT_EXIST") => e,
        other => return Err(format!("expected ORDER_NOT_EXIST, got {other:?}").into()),
    };
    let missing_id = missing
        .request_id()
        .ok_or("the error answer has no Request-ID")?
        .to_owned();

    // 3. A sensitive field, sent encrypted.
    let recover = RecoverLedgerControl::new(RecoverLedgerControlRequired {
        out_request_no: "R202611220001".into(),
        related_webank_punish_no: "WB-P-1".into(),
        related_wxpay_punish_no: "WX-P-1".into(),
        mchid: (&mchid).into(),
        bal_account_no: BAL_ACCOUNT_NO.into(),
    });
    let recovered = client.execute(&recover).await?;
    let recover_id = recovered.request_id.ok_or("the answer has no Request-ID")?;

    let output = tee.text();
    let mut problems = Vec::new();
    let expected: [(&str, &[(&str, &str)]); 4] = [
        (
            "the prepay's first attempt",
            &[
                ("operation", "jsapiPrepay"),
                ("attempt", "1"),
                ("status", "500"),
            ],
        ),
        (
            "the prepay's retry",
            &[
                ("operation", "jsapiPrepay"),
                ("attempt", "2"),
                ("status", "200"),
                ("request_id", &prepay_id),
            ],
        ),
        (
            "the query of a missing order",
            &[
                ("operation", "queryOrderByOutTradeNo"),
                ("status", "404"),
                ("request_id", &missing_id),
            ],
        ),
        (
            "the call with a sensitive field",
            &[
                ("operation", "recoverLedgerControl"),
                ("status", "200"),
                ("request_id", &recover_id),
            ],
        ),
    ];
    for (call, fields) in expected {
        match closed_span(&output, fields) {
            Some(line) if line.contains("latency_ms") => {}
            Some(_) => problems.push(format!("{call}: no latency_ms")),
            None => problems.push(format!("{call}: no span with {fields:?}")),
        }
    }
    if !output.contains("retrying") {
        problems.push("the retry logged no warning".to_owned());
    }
    if !output.contains("ORDER_NOT_EXIST") {
        problems.push("the API error logged no warning with its code".to_owned());
    }

    let credentials = mock.credentials();
    // A line of the private key's base64, besides its PEM label.
    let key_line = credentials
        .merchant_private_key_pem
        .lines()
        .nth(1)
        .ok_or("a PEM key has lines")?;
    let secrets = [
        ("the APIv3 key", credentials.apiv3_key.as_str()),
        ("the private key's PEM label", "PRIVATE KEY"),
        ("the private key", key_line),
        ("the sensitive field", BAL_ACCOUNT_NO),
        ("a signature", "signature="),
    ];
    for (what, secret) in secrets {
        if output.contains(secret) {
            problems.push(format!("{what} was logged"));
        }
    }

    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("{problem}");
        }
        return Err(format!("{} problem(s) in what was traced", problems.len()).into());
    }
    println!(
        "checked: every span names its operation, status, latency_ms and Request-ID; no secret logged"
    );
    Ok(())
}
