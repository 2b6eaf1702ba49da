//! The payment flows the mock keeps state for, so that a checkout can be tested offline: an
//! order placed (JSAPI, App, H5 or Native prepay, direct or service provider) can be queried,
//! paid (`MockPlatform::pay`, which also gives the `TRANSACTION.SUCCESS` notification), closed
//! and refunded; a refund can be queried and completed (`MockPlatform::complete_refund`, with its
//! `REFUND.SUCCESS` notification). Operations are recognised by method and path template;
//! anything the ledger does not know is answered from the spec's examples as usual. The bills
//! (`bills.rs`) list the ledger's payments and refunds of a day.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::echo::merge;
use wechatpay_spec::ir::{Method, Operation};

/// What a recognised operation does to the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    PlaceOrder,
    QueryOrder,
    CloseOrder,
    Refund,
    QueryRefund,
}

impl Flow {
    fn of(op: &Operation) -> Option<Flow> {
        let path = op.path.as_str();
        let (get, post) = (op.method == Method::GET, op.method == Method::POST);
        let orders = ["/v3/pay/transactions/", "/v3/pay/partner/transactions/"];
        if let Some(rest) = orders.iter().find_map(|p| path.strip_prefix(p)) {
            return match rest {
                "jsapi" | "app" | "h5" | "native" if post => Some(Flow::PlaceOrder),
                _ if get && (rest.starts_with("out-trade-no/") || rest.starts_with("id/")) => {
                    Some(Flow::QueryOrder)
                }
                _ if post && rest.ends_with("/close") => Some(Flow::CloseOrder),
                _ => None,
            };
        }
        let refund = path.strip_prefix("/v3/refund/domestic/refunds")?;
        match refund {
            "" if post => Some(Flow::Refund),
            _ if get && refund.starts_with('/') && refund[1..].find('/').is_none() => {
                Some(Flow::QueryRefund)
            }
            _ => None,
        }
    }
}

/// An order the mock has seen placed.
#[derive(Debug, Clone)]
struct Order {
    /// The prepay request, sensitive fields decrypted.
    request: Value,
    /// `JSAPI`, `APP`, `MWEB` or `NATIVE`, from the prepay path.
    trade_type: &'static str,
    transaction_id: String,
    state: &'static str,
    success_time: Option<OffsetDateTime>,
}

/// A refund the mock has accepted.
#[derive(Debug, Clone)]
struct Refund {
    request: Value,
    refund_id: String,
    out_trade_no: String,
    transaction_id: String,
    status: &'static str,
    /// When the refund was accepted: its time in the trade bill.
    create_time: OffsetDateTime,
    success_time: Option<OffsetDateTime>,
}

/// `from` laid over `answer` (see [`merge`]), so that the answer still decodes into its model.
fn overlay(answer: &mut Value, from: &Value) {
    if let (Value::Object(to), Value::Object(from)) = (answer, from) {
        merge(to, from);
    }
}

/// Orders by `out_trade_no`, refunds by `out_refund_no`, and the time stamped on what happens.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    orders: Mutex<HashMap<String, Order>>,
    refunds: Mutex<HashMap<String, Refund>>,
    /// Set: the time of every payment and refund from now on (`MockPlatform::set_ledger_time`).
    time: Mutex<Option<OffsetDateTime>>,
}

/// A paid order, as a bill lists it.
#[derive(Debug, Clone)]
pub(crate) struct Payment {
    pub(crate) time: OffsetDateTime,
    pub(crate) out_trade_no: String,
    pub(crate) transaction_id: String,
    pub(crate) trade_type: &'static str,
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
    pub(crate) status: &'static str,
    /// Fen.
    pub(crate) refund: i64,
    pub(crate) payment: Payment,
}

/// A refusal: status, code and message, as the platform gives them.
pub(crate) type Refusal = (u16, &'static str, String);

fn text<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

/// RFC 3339 at `+08:00`, whole seconds, as the platform writes times.
fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(time::macros::offset!(+8))
        .replace_nanosecond(0)
        .unwrap_or(at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn new_id(prefix: &str) -> String {
    let digits: String = (0..18)
        .map(|_| char::from(b'0' + rand::random::<u8>() % 10))
        .collect();
    format!("{prefix}{digits}")
}

impl Ledger {
    /// Forgets every order and refund (the ledger time stays).
    pub(crate) fn clear(&self) {
        self.orders
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.refunds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Applies a recognised operation: records, changes state or refuses, and lays what the
    /// ledger knows over `answer` (members the answer has, of the same JSON type).
    pub(crate) fn apply(
        &self,
        op: &Operation,
        path: &[(String, String)],
        body: Option<&Value>,
        answer: &mut Value,
    ) -> Result<(), Refusal> {
        let Some(flow) = Flow::of(op) else {
            return Ok(());
        };
        let param = |name: &str| {
            path.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        match flow {
            Flow::PlaceOrder => self.place(op, body),
            Flow::QueryOrder => {
                let order = match (param("out_trade_no"), param("transaction_id")) {
                    (Some(no), _) => self.order(no),
                    (None, Some(id)) => self.order_by_transaction(id),
                    (None, None) => None,
                };
                if let Some((out_trade_no, order)) = order {
                    overlay(answer, &order_view(&out_trade_no, &order));
                }
                Ok(())
            }
            Flow::CloseOrder => self.close(param("out_trade_no").unwrap_or_default()),
            Flow::Refund => {
                let refund = self.refund(body)?;
                if let Some((out_refund_no, refund)) = refund {
                    overlay(answer, &refund_view(&out_refund_no, &refund));
                }
                Ok(())
            }
            Flow::QueryRefund => {
                let no = param("out_refund_no").unwrap_or_default();
                if let Some(refund) = self.lock_refunds().get(no) {
                    overlay(answer, &refund_view(no, refund));
                }
                Ok(())
            }
        }
    }

    fn lock_orders(&self) -> std::sync::MutexGuard<'_, HashMap<String, Order>> {
        self.orders.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_refunds(&self) -> std::sync::MutexGuard<'_, HashMap<String, Refund>> {
        self.refunds.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn order(&self, out_trade_no: &str) -> Option<(String, Order)> {
        let orders = self.lock_orders();
        orders
            .get(out_trade_no)
            .map(|o| (out_trade_no.to_owned(), o.clone()))
    }

    fn order_by_transaction(&self, transaction_id: &str) -> Option<(String, Order)> {
        let orders = self.lock_orders();
        orders
            .iter()
            .find(|(_, o)| o.transaction_id == transaction_id)
            .map(|(no, o)| (no.clone(), o.clone()))
    }

    /// The ledger's time: the one set, else now.
    fn now(&self) -> OffsetDateTime {
        self.time
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .unwrap_or_else(OffsetDateTime::now_utc)
    }

    /// Sets (or clears) the time stamped on payments and refunds.
    pub(crate) fn set_time(&self, time: Option<OffsetDateTime>) {
        *self.time.lock().unwrap_or_else(|e| e.into_inner()) = time;
    }

    fn place(&self, op: &Operation, body: Option<&Value>) -> Result<(), Refusal> {
        let Some(body) = body else { return Ok(()) };
        let Some(no) = text(body, "out_trade_no") else {
            return Ok(());
        };
        let mut orders = self.lock_orders();
        if orders.get(no).is_some_and(|o| o.state != "NOTPAY") {
            return Err((
                400,
                "ORDERPAID",
                format!("订单 {no} 已支付或已关闭,请使用新的商户订单号"),
            ));
        }
        let trade_type = match op.path.rsplit('/').next() {
            Some("app") => "APP",
            Some("h5") => "MWEB",
            Some("native") => "NATIVE",
            _ => "JSAPI",
        };
        orders.insert(
            no.to_owned(),
            Order {
                request: body.clone(),
                trade_type,
                transaction_id: new_id("42"),
                state: "NOTPAY",
                success_time: None,
            },
        );
        Ok(())
    }

    fn close(&self, out_trade_no: &str) -> Result<(), Refusal> {
        let mut orders = self.lock_orders();
        match orders.get_mut(out_trade_no) {
            Some(order) if order.state == "SUCCESS" || order.state == "REFUND" => {
                Err((400, "ORDERPAID", "订单已支付,不能关闭".to_owned()))
            }
            Some(order) => {
                order.state = "CLOSED";
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn refund(&self, body: Option<&Value>) -> Result<Option<(String, Refund)>, Refusal> {
        let Some(body) = body else { return Ok(None) };
        let Some(out_refund_no) = text(body, "out_refund_no") else {
            return Ok(None);
        };
        let order = match (text(body, "out_trade_no"), text(body, "transaction_id")) {
            (Some(no), _) => self.order(no),
            (None, Some(id)) => self.order_by_transaction(id),
            (None, None) => None,
        };
        let Some((out_trade_no, order)) = order else {
            return Ok(None);
        };
        if order.state != "SUCCESS" && order.state != "REFUND" {
            return Err((
                403,
                "TRADE_STATE_ERROR",
                format!("订单状态为 {},不能退款", order.state),
            ));
        }
        let total = order
            .request
            .pointer("/amount/total")
            .and_then(Value::as_i64);
        let asked = body.pointer("/amount/refund").and_then(Value::as_i64);
        if let (Some(total), Some(asked)) = (total, asked) {
            if asked > total {
                return Err((400, "INVALID_REQUEST", "退款金额超过订单金额".to_owned()));
            }
        }
        let refund = Refund {
            request: body.clone(),
            refund_id: new_id("50"),
            out_trade_no: out_trade_no.clone(),
            transaction_id: order.transaction_id.clone(),
            status: "PROCESSING",
            create_time: self.now(),
            success_time: None,
        };
        if let Some(o) = self.lock_orders().get_mut(&out_trade_no) {
            o.state = "REFUND";
        }
        self.lock_refunds()
            .insert(out_refund_no.to_owned(), refund.clone());
        Ok(Some((out_refund_no.to_owned(), refund)))
    }

    /// Marks an order paid; what its `TRANSACTION.SUCCESS` resource says. `None` if the order
    /// is unknown or not waiting for payment.
    pub(crate) fn pay(&self, out_trade_no: &str) -> Option<Value> {
        let mut orders = self.lock_orders();
        let order = orders
            .get_mut(out_trade_no)
            .filter(|o| o.state == "NOTPAY")?;
        order.state = "SUCCESS";
        order.success_time = Some(self.now());
        Some(order_view(out_trade_no, order))
    }

    /// Completes a refund; what its `REFUND.SUCCESS` resource says. `None` if the refund is
    /// unknown or done.
    pub(crate) fn complete_refund(&self, out_refund_no: &str) -> Option<Value> {
        let now = self.now();
        let mut refunds = self.lock_refunds();
        let refund = refunds
            .get_mut(out_refund_no)
            .filter(|r| r.status == "PROCESSING")?;
        refund.status = "SUCCESS";
        refund.success_time = Some(now);
        Some(refund_view(out_refund_no, refund))
    }
}

/// What the ledger says about an order, in the shape of the 订单 model.
fn order_view(out_trade_no: &str, order: &Order) -> Value {
    let r = &order.request;
    let total = r.pointer("/amount/total").cloned().unwrap_or(json!(0));
    let currency = r
        .pointer("/amount/currency")
        .cloned()
        .unwrap_or(json!("CNY"));
    let paid = order.state == "SUCCESS" || order.state == "REFUND";
    let mut view = json!({
        "out_trade_no": out_trade_no,
        "transaction_id": order.transaction_id,
        "trade_state": order.state,
        "amount": {"total": total, "currency": currency, "payer_currency": currency},
    });
    if paid {
        view["amount"]["payer_total"] = total;
        if let Some(time) = order.success_time {
            view["success_time"] = json!(rfc3339(time));
        }
    }
    for key in [
        "appid",
        "mchid",
        "sp_appid",
        "sp_mchid",
        "sub_appid",
        "sub_mchid",
        "attach",
        "payer",
    ] {
        if let Some(v) = r.get(key) {
            view[key] = v.clone();
        }
    }
    view
}

/// What the ledger says about a refund, in the shape of the 退款 model.
fn refund_view(out_refund_no: &str, refund: &Refund) -> Value {
    let mut view = json!({
        "out_refund_no": out_refund_no,
        "refund_id": refund.refund_id,
        "out_trade_no": refund.out_trade_no,
        "transaction_id": refund.transaction_id,
        "status": refund.status,
        "refund_status": refund.status,
        "create_time": rfc3339(refund.create_time),
    });
    if let Some(amount) = refund.request.get("amount") {
        view["amount"] = amount.clone();
        if let Some(refund) = amount.get("refund") {
            view["amount"]["payer_refund"] = refund.clone();
        }
    }
    if let Some(time) = refund.success_time {
        view["success_time"] = json!(rfc3339(time));
    }
    view
}

impl Ledger {
    /// The payments and the refunds accepted on `date` (Beijing time), by time.
    pub(crate) fn day(&self, date: time::Date) -> (Vec<Payment>, Vec<RefundEntry>) {
        let on_day = |t: OffsetDateTime| t.to_offset(time::macros::offset!(+8)).date() == date;
        let orders = self.lock_orders();
        let mut payments: Vec<Payment> = orders
            .iter()
            .filter_map(|(no, order)| {
                let time = order.success_time.filter(|&t| on_day(t))?;
                Some(payment(no, order, time))
            })
            .collect();
        let mut refunds: Vec<RefundEntry> = self
            .lock_refunds()
            .iter()
            .filter(|(_, r)| on_day(r.create_time))
            .filter_map(|(no, r)| {
                let order = orders.get(&r.out_trade_no)?;
                let paid = order.success_time.unwrap_or(r.create_time);
                Some(RefundEntry {
                    time: r.create_time,
                    success_time: r.success_time,
                    out_refund_no: no.clone(),
                    refund_id: r.refund_id.clone(),
                    status: r.status,
                    refund: r
                        .request
                        .pointer("/amount/refund")
                        .and_then(Value::as_i64)
                        .unwrap_or(0),
                    payment: payment(&r.out_trade_no, order, paid),
                })
            })
            .collect();
        payments.sort_by(|a, b| (a.time, &a.out_trade_no).cmp(&(b.time, &b.out_trade_no)));
        refunds.sort_by(|a, b| (a.time, &a.out_refund_no).cmp(&(b.time, &b.out_refund_no)));
        (payments, refunds)
    }
}

/// An order as a bill lists it.
fn payment(out_trade_no: &str, order: &Order, time: OffsetDateTime) -> Payment {
    let r = &order.request;
    let text = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| r.pointer(k).and_then(Value::as_str))
            .unwrap_or_default()
            .to_owned()
    };
    Payment {
        time,
        out_trade_no: out_trade_no.to_owned(),
        transaction_id: order.transaction_id.clone(),
        trade_type: order.trade_type,
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
        total: r
            .pointer("/amount/total")
            .and_then(Value::as_i64)
            .unwrap_or(0),
    }
}
