//! The HTTP side of the mock: routing by the spec's path templates, the merchant signature
//! check, sensitive-field decryption, validation, signed answers and fault injection.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{
    HeaderMap, HeaderValue, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER,
};
use hyper::{Request, Response, StatusCode};
use percent_encoding::percent_decode_str;
use serde_json::{json, Value};
use std::sync::atomic::Ordering::Relaxed;
use wechatpay_core::__private::pointer::Pointer;
use wechatpay_core::__private::{four_byte_char, nonce, request_message, MAX_SKEW_SECS};
use wechatpay_core::PublicKey;
use wechatpay_spec::ir::{MockBehaviour, Operation, ParamLocation, SuccessKind};

use crate::bills;
use crate::echo;
use crate::flows::Source;
use crate::multipart;
use crate::sensitive::{decrypt_param, encrypt_answer};
use crate::state::{now, tamper, Fault, LoggedRequest, State, TestCredentials, TrustMode};
use crate::validate::{check_json, check_param, Issue};

/// What one connection may cost the mock: see the crate docs for what each limit does.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The largest request body; larger ones get 413 `REQUEST_ENTITY_TOO_LARGE`.
    pub(crate) max_body_bytes: usize,
    /// The largest request head (request line and headers); larger ones get 431.
    pub(crate) max_header_bytes: usize,
    /// How long a connection may send nothing while a request head or body is awaited.
    pub(crate) idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 8 * 1024 * 1024,
            max_header_bytes: 64 * 1024,
            idle_timeout: Duration::from_secs(8),
        }
    }
}

/// hyper's smallest read buffer: its `max_buf_size` may not go below it.
const MIN_READ_BUFFER: usize = 8192;

/// Accepts connections until `stop` fires.
pub(crate) async fn serve(
    listener: std::net::TcpListener,
    state: Arc<State>,
    limits: Limits,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        // Covers a fresh connection, a keep-alive one between requests, and a stalled head.
        .header_read_timeout(limits.idle_timeout)
        .max_header_size(limits.max_header_bytes)
        .max_buf_size(limits.max_header_bytes.max(MIN_READ_BUFFER));
    loop {
        tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // E.g. out of file descriptors: back off rather than spin.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let state = state.clone();
                let http = http.clone();
                tokio::spawn(async move {
                    let service =
                        hyper::service::service_fn(move |req| handle(state.clone(), limits, req));
                    let _ = http
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

/// Returned to hyper to drop the connection without an answer.
#[derive(Debug)]
pub(crate) struct Reset;

impl std::fmt::Display for Reset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by fault injection")
    }
}

impl std::error::Error for Reset {}

/// An answer before signing.
struct Answer {
    status: u16,
    body: Vec<u8>,
    signed: bool,
    use_public_key: bool,
    /// A file (`application/octet-stream`), not JSON.
    download: bool,
    /// For an operation's success answer: whether it comes from a resource's state or from
    /// the example (the `X-Mock-Source` header).
    source: Option<Source>,
}

fn error_answer(status: u16, code: &str, message: &str, detail: Option<Value>) -> Answer {
    let mut body = json!({"code": code, "message": message});
    if let Some(d) = detail {
        body["detail"] = d;
    }
    Answer {
        status,
        body: body.to_string().into_bytes(),
        signed: false,
        use_public_key: false,
        download: false,
        source: None,
    }
}

fn param_error(issue: Issue) -> Answer {
    error_answer(
        400,
        "PARAM_ERROR",
        &format!("参数错误: {} {}", issue.field, issue.issue),
        Some(json!({"field": issue.field, "issue": issue.issue})),
    )
}

/// Reads a request body of at most `limits.max_body_bytes`, refusing a larger one by its
/// `Content-Length` before reading any of it, or (chunked) as soon as the running total passes
/// the limit, so that no more than the limit is ever held. A body that stalls for
/// `limits.idle_timeout` gets 408.
async fn read_body(
    mut body: Incoming,
    headers: &HeaderMap,
    limits: Limits,
) -> Result<Bytes, Answer> {
    let max = limits.max_body_bytes;
    let too_large = || {
        error_answer(
            413,
            "REQUEST_ENTITY_TOO_LARGE",
            &format!("the request body is larger than {max} bytes"),
            None,
        )
    };
    // hyper has already refused a malformed or repeated Content-Length.
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    let mut collected = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    loop {
        let frame = match tokio::time::timeout(limits.idle_timeout, body.frame()).await {
            Err(_) => {
                return Err(error_answer(
                    408,
                    "REQUEST_TIMEOUT",
                    "the request body stalled",
                    None,
                ))
            }
            Ok(None) => return Ok(Bytes::from(collected)),
            Ok(Some(Err(e))) => {
                return Err(error_answer(
                    400,
                    "INVALID_REQUEST",
                    &format!("the request body could not be read: {e}"),
                    None,
                ))
            }
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            if data.len() > max - collected.len() {
                return Err(too_large());
            }
            collected.extend_from_slice(&data);
        }
    }
}

async fn handle(
    state: Arc<State>,
    limits: Limits,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Reset> {
    let (parts, body) = req.into_parts();
    let read = read_body(body, &parts.headers, limits).await;
    let started = std::time::Instant::now();
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    let mut log = LoggedRequest {
        operation_id: None,
        method: parts.method.as_str().to_owned(),
        target,
        headers: parts.headers,
        body: read.as_ref().map(|b| b.to_vec()).unwrap_or_default(),
        authenticated: false,
        plaintext_body: None,
        plaintext_params: Vec::new(),
        status: 0,
    };
    let body = match read {
        Ok(body) => body,
        Err(refusal) => {
            // The rest of the body is never read, so the connection cannot be reused.
            let mut response = respond(&state, refusal, None, &log.headers);
            response
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
            log.status = response.status().as_u16();
            record(&state, log);
            return Ok(response);
        }
    };
    let fault = fault_for(&state, &log, &body);
    if let Some(Fault::Slow(delay)) = fault {
        tokio::time::sleep(delay).await;
    }
    if fault == Some(Fault::ConnectionReset) {
        record(&state, log);
        return Err(Reset);
    }
    let answer = answer(&state, &body, fault, &mut log);
    let response = respond(&state, answer, fault, &log.headers);
    log.status = response.status().as_u16();
    record(&state, log);
    state.handled.0.fetch_add(1, Relaxed);
    let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    state.handled.1.fetch_add(nanos, Relaxed);
    Ok(response)
}

/// The fault for this request: named by `X-Mock-Fault` in a request the merchant signed, else
/// the next-request fault, else the instance's. Anyone else's `X-Mock-Fault` is ignored.
fn fault_for(state: &State, log: &LoggedRequest, body: &[u8]) -> Option<Fault> {
    let named = (log.headers.get("X-Mock-Fault"))
        .and_then(|v| v.to_str().ok())
        .and_then(Fault::from_name)
        .filter(|_| signed_by_merchant(state, log, body));
    named.or_else(|| {
        let next = state
            .fault_next
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        next.or(*state.fault.lock().unwrap_or_else(|e| e.into_inner()))
    })
}

/// Signs the answer (applying signing faults) and makes the HTTP response.
fn respond(
    state: &State,
    answer: Answer,
    fault: Option<Fault>,
    request_headers: &HeaderMap,
) -> Response<Full<Bytes>> {
    let mut body = answer.body;
    let mut headers = HeaderMap::new();
    if answer.signed {
        let request_serial = request_headers
            .get("Wechatpay-Serial")
            .and_then(|v| v.to_str().ok());
        let use_public_key = answer.use_public_key || state.signs_with_public_key(request_serial);
        headers = state.sign(&body, use_public_key, fault);
        if fault == Some(Fault::TamperedBody) {
            if body.is_empty() {
                // A 204 carries no body, so alter the other signed part of the message.
                let nonce = headers
                    .get("Wechatpay-Nonce")
                    .and_then(|v| v.to_str().ok())
                    .map(|n| tamper(n.as_bytes().to_vec()));
                if let Some(Ok(nonce)) = nonce.map(HeaderValue::try_from) {
                    headers.insert("Wechatpay-Nonce", nonce);
                }
            } else {
                body = tamper(body);
            }
        }
    }
    if let Ok(id) = HeaderValue::try_from(format!("mock-{}", nonce())) {
        headers.insert("Request-ID", id);
    }
    if let Some(source) = answer.source {
        let value = match source {
            Source::State => "state",
            Source::Example => "example",
        };
        headers.insert("X-Mock-Source", HeaderValue::from_static(value));
    }
    if let Some(Fault::RetryAfter(wait)) = fault {
        headers.insert(RETRY_AFTER, HeaderValue::from(wait.as_secs()));
    }
    if answer.download {
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
    } else if !body.is_empty() {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    *response.headers_mut() = headers;
    response
}

/// Whether the request carries the merchant's valid signature (over an upload's `meta` part,
/// for uploads).
fn signed_by_merchant(state: &State, log: &LoggedRequest, body: &[u8]) -> bool {
    authenticate(state, log, body).is_ok()
}

fn record(state: &State, log: LoggedRequest) {
    if state.log_requests {
        state
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(log);
    }
}

/// A request the mock routed to an operation and whose signature it checked.
struct Admitted<'s> {
    op: &'s Operation,
    path_params: Vec<(String, String)>,
    /// An upload's `meta` JSON.
    meta: Option<Value>,
    /// The query string, without `?`.
    query: String,
}

/// The answer to a request, in stages, as the client's pipeline sends one: authenticate
/// (route, upload `meta`, signature) → required headers → faults → the behaviour the spec binds
/// to the operation (`x-wechatpay-mock`) or the operation's own answer.
fn answer(state: &State, body: &[u8], fault: Option<Fault>, log: &mut LoggedRequest) -> Answer {
    let admitted = match authenticate(state, log, body) {
        Ok(admitted) => admitted,
        Err(answer) => return answer,
    };
    log.authenticated = true;
    let header = |name: &str| log.headers.get(name).and_then(|v| v.to_str().ok());
    if header("Accept").is_none() || header("User-Agent").is_none() {
        return error_answer(
            400,
            "INVALID_REQUEST",
            "Accept and User-Agent headers are required",
            None,
        );
    }
    if let Some(answer) = fault_answer(fault) {
        return answer;
    }
    log.operation_id = Some(admitted.op.id.clone());
    if admitted.op.mock == Some(MockBehaviour::PlatformCertificates) {
        return certificates_answer(state, fault);
    }
    let Admitted {
        op,
        path_params,
        meta,
        query,
    } = admitted;
    let query = query.as_str();
    let validated = validate_request(state, op, &path_params, query, &log.headers, body, meta);
    match validated {
        Ok((body, params)) => (log.plaintext_body, log.plaintext_params) = (body, params),
        Err(answer) => return answer,
    }
    let (json, source) = match state_answer(state, op, &path_params, query, fault, log) {
        Ok(answered) => answered,
        Err(answer) => return answer,
    };
    Answer {
        status: op.success.status,
        body: encode_body(state, op, json, query, fault),
        signed: op.signed_response,
        use_public_key: false,
        download: op.success.kind == SuccessKind::Bytes,
        source: Some(source),
    }
}

/// Routes the request and checks the merchant's signature (over an upload's `meta` part).
fn authenticate<'s>(
    state: &'s State,
    log: &LoggedRequest,
    body: &[u8],
) -> Result<Admitted<'s>, Answer> {
    let method = log.method.as_str();
    let target = log.target.as_str();
    let header = |name: &str| log.headers.get(name).and_then(|v| v.to_str().ok());
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let Some((op, path_params)) = route(state, method, path) else {
        let message = format!("no operation for {method} {path}");
        return Err(error_answer(404, "NOT_FOUND", &message, None));
    };
    let upload = upload_meta(state, op, header("Content-Type"), body).map_err(param_error)?;
    let signed = upload.as_ref().map_or(body, |(meta, _)| *meta);
    check_authorization(
        &state.credentials,
        &state.keys.merchant_public,
        method,
        target,
        header("Authorization"),
        signed,
    )
    .map_err(|refused| error_answer(401, "SIGN_ERROR", &refused.message, refused.detail))?;
    Ok(Admitted {
        op,
        path_params,
        meta: upload.map(|(_, meta)| meta),
        query: query.to_owned(),
    })
}

/// The answer a fault replaces the operation's with, if any.
fn fault_answer(fault: Option<Fault>) -> Option<Answer> {
    match fault? {
        Fault::SystemError => Some(error_answer(500, "SYSTEM_ERROR", "系统错误", None)),
        Fault::RateLimited | Fault::RetryAfter(_) => {
            Some(error_answer(429, "FREQUENCY_LIMITED", "频率超限", None))
        }
        Fault::Accepted => Some(Answer {
            body: Vec::new(),
            ..error_answer(202, "", "", None)
        }),
        _ => None,
    }
}

/// The answer's JSON, from the example overlaid with what the request said, then from the state
/// the mock keeps (flows, bills); or the documented refusal.
fn state_answer(
    state: &State,
    op: &Operation,
    path_params: &[(String, String)],
    query: &str,
    fault: Option<Fault>,
    log: &LoggedRequest,
) -> Result<(Value, Source), Answer> {
    let mut json = match (&op.success.kind, &op.success.example) {
        (SuccessKind::Json(_), Some(example)) => example.clone(),
        _ => Value::Object(Default::default()),
    };
    let said = echo::Said {
        path: path_params,
        query,
        plaintext: &log.plaintext_params,
        body: log.plaintext_body.as_ref(),
        mchid: &state.credentials.mchid,
    };
    echo::overlay(&mut json, &said);
    // The path and query parameters, sensitive ones decrypted: what names a resource.
    let mut params = path_params.to_vec();
    let declared = |name: &str| {
        (op.params.iter()).any(|p| p.location == ParamLocation::Query && p.wire_name == name)
    };
    for (name, value) in echo::query_pairs(query)
        .into_iter()
        .filter(|(n, _)| declared(n))
    {
        let plain = log.plaintext_params.iter().find(|(wire, _)| *wire == name);
        params.push((name, plain.map_or(value, |(_, plain)| plain.clone())));
    }
    let body_json = log.plaintext_body.as_ref();
    // Where the mock keeps state, the merchant must be the one who signed.
    let mchid = &state.credentials.mchid;
    let foreign = (op.flow.as_ref()).and_then(|_| foreign_merchant(mchid, &params, body_json));
    if let Some(other) = foreign {
        let message = format!("商户号 {other} 与请求签名的商户号不一致");
        return Err(error_answer(400, "INVALID_REQUEST", &message, None));
    }
    let refused = |(status, code, message): (u16, String, String)| {
        error_answer(status, &code, &message, None)
    };
    let source = (state.ledger)
        .apply(&state.api, mchid, op, &params, body_json, &mut json)
        .map_err(refused)?;
    let kind = match op.mock {
        Some(MockBehaviour::TradeBill) => Some(bills::Kind::Trade),
        Some(MockBehaviour::FundFlowBill) => Some(bills::Kind::FundFlow),
        _ => None,
    };
    if let Some(kind) = kind {
        let foreign = fault == Some(Fault::ForeignDownloadUrl);
        (state.bills)
            .apply(
                &state.api,
                kind,
                &state.ledger,
                query,
                mchid,
                foreign,
                &mut json,
            )
            .map_err(refused)?;
    }
    Ok((json, source))
}

/// The answer's bytes: nothing for `204`/`202`, a file for a download, else the JSON with its
/// sensitive fields encrypted with the merchant's key.
fn encode_body(
    state: &State,
    op: &Operation,
    json: Value,
    query: &str,
    fault: Option<Fault>,
) -> Vec<u8> {
    match (&op.success.kind, &op.success.example) {
        (SuccessKind::Empty | SuccessKind::Accepted, _) => Vec::new(),
        (SuccessKind::Bytes, example) => {
            // A bill file handed out by an application, else the example.
            let corrupt = fault == Some(Fault::CorruptedDownload);
            let bill = (op.mock == Some(MockBehaviour::BillFile))
                .then(|| state.bills.file(query, corrupt))
                .flatten();
            bill.unwrap_or_else(|| download_body(op, example.as_ref()))
        }
        (_, Some(_)) => {
            let tamper = fault == Some(Fault::TamperedCiphertext);
            let merchant = &state.keys.merchant_public;
            let fields = &op.encrypted_answer_fields;
            encrypt_answer(json, fields, merchant, tamper)
                .to_string()
                .into_bytes()
        }
        (_, None) => b"{}".to_vec(),
    }
}

/// A merchant id the request names for itself (`sp_mchid`, else `mchid`, in the body or the
/// query) that is not the merchant who signed it.
fn foreign_merchant(
    signer: &str,
    params: &[(String, String)],
    body: Option<&Value>,
) -> Option<String> {
    let named = |key: &str| {
        let in_body = body.and_then(|b| b.get(key)).and_then(Value::as_str);
        let in_query = params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str());
        in_body.or(in_query)
    };
    let own = named("sp_mchid").or_else(|| named("mchid"))?;
    (own != signer).then(|| own.to_owned())
}

/// The file a download serves: its example when it is text, else a file naming the
/// operation.
fn download_body(op: &Operation, example: Option<&Value>) -> Vec<u8> {
    match example {
        Some(Value::String(text)) => text.clone().into_bytes(),
        _ => format!("mock file of {}\n", op.id).into_bytes(),
    }
}

/// For an upload: its `meta` bytes (what the signature covers) and `meta` JSON, checked.
fn upload_meta<'b>(
    state: &State,
    op: &Operation,
    content_type: Option<&str>,
    body: &'b [u8],
) -> Result<Option<(&'b [u8], Value)>, Issue> {
    let Some(upload) = &op.upload else {
        return Ok(None);
    };
    let boundary = multipart::boundary(content_type)?;
    let parts = multipart::parse(body, &boundary)?;
    multipart::check_upload(&state.api, op, upload, &parts).map(Some)
}

fn route<'a>(
    state: &'a State,
    method: &str,
    path: &str,
) -> Option<(&'a Operation, Vec<(String, String)>)> {
    let segments: Vec<&str> = path.split('/').collect();
    state
        .api
        .operations()
        .filter(|op| op.method == method)
        .find_map(|op| {
            let template: Vec<&str> = op.path.split('/').collect();
            if template.len() != segments.len() {
                return None;
            }
            let mut params = Vec::new();
            for (t, s) in template.iter().zip(&segments) {
                if let Some(name) = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                    params.push((
                        name.to_owned(),
                        percent_decode_str(s).decode_utf8_lossy().into_owned(),
                    ));
                } else if t != s {
                    return None;
                }
            }
            Some((op, params))
        })
}

/// The items of an `Authorization` header, each present exactly once.
#[derive(Debug)]
struct AuthorizationItems<'a> {
    mchid: &'a str,
    serial_no: &'a str,
    nonce_str: &'a str,
    timestamp: &'a str,
    signature: &'a str,
}

/// Parses `<scheme> k="v",…` (the scheme of the merchant's key: `WECHATPAY2-SHA256-RSA2048`,
/// or `WECHATPAY2-SM2-WITH-SM3`) strictly: the five items, each once, each
/// double-quoted; no empty, unknown or repeated item (a second `signature=` is refused, not
/// "last wins"). Whitespace around an item is allowed.
fn parse_authorization<'h>(
    header: &'h str,
    scheme: &str,
) -> Result<AuthorizationItems<'h>, String> {
    const NAMES: [&str; 5] = ["mchid", "serial_no", "nonce_str", "timestamp", "signature"];
    let items = (header.strip_prefix(scheme))
        .and_then(|rest| rest.strip_prefix(' '))
        .ok_or_else(|| format!("the Authorization scheme must be {scheme}"))?;
    let mut values: [Option<&str>; 5] = [None; 5];
    for item in items.split(',') {
        let (key, value) = item
            .trim()
            .split_once('=')
            .ok_or("malformed Authorization item: expected key=\"value\"")?;
        let slot = NAMES
            .iter()
            .position(|name| *name == key)
            .ok_or_else(|| format!("unknown Authorization item `{key:.40}`"))?;
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .filter(|v| !v.contains('"'))
            .ok_or_else(|| format!("Authorization item `{key}` must be one double-quoted value"))?;
        if values[slot].replace(value).is_some() {
            return Err(format!("Authorization item `{key}` appears more than once"));
        }
    }
    let get = |i: usize| values[i].ok_or_else(|| format!("Authorization lacks `{}`", NAMES[i]));
    Ok(AuthorizationItems {
        mchid: get(0)?,
        serial_no: get(1)?,
        nonce_str: get(2)?,
        timestamp: get(3)?,
        signature: get(4)?,
    })
}

/// Why a request's `Authorization` is refused. For a signature that does not match, the
/// message the mock verified it against, in the form the platform answers (`detail` with
/// `sign_information`: the method, the URL, the message with its body cut to 8 characters, and
/// the message's length in bytes).
#[derive(Debug)]
struct AuthRefusal {
    message: String,
    detail: Option<Value>,
}

impl From<&str> for AuthRefusal {
    fn from(message: &str) -> Self {
        Self {
            message: message.to_owned(),
            detail: None,
        }
    }
}

/// How many characters of the body the platform shows in `truncated_sign_message`, as its
/// answers have been seen to show (`{"amount`, `{\n"appid`).
const SHOWN_BODY_CHARS: usize = 8;

/// Checks the merchant's `Authorization` over the exact bytes received.
fn check_authorization(
    credentials: &TestCredentials,
    merchant_public: &PublicKey,
    method: &str,
    target: &str,
    authorization: Option<&str>,
    body: &[u8],
) -> Result<(), AuthRefusal> {
    let auth = authorization.ok_or("the Authorization header is missing")?;
    let items = parse_authorization(auth, merchant_public.scheme())
        .map_err(|m| AuthRefusal::from(m.as_str()))?;
    if items.mchid != credentials.mchid {
        return Err("mchid does not match".into());
    }
    if items.serial_no != credentials.merchant_serial {
        return Err("serial_no is not the merchant certificate serial".into());
    }
    let nonce = items.nonce_str;
    if nonce.is_empty() {
        return Err("nonce_str is empty".into());
    }
    let timestamp: i64 = items
        .timestamp
        .parse()
        .map_err(|_| "timestamp is not a number")?;
    // `abs_diff` cannot overflow, whatever the two values.
    if now().abs_diff(timestamp) > MAX_SKEW_SECS {
        return Err("timestamp is more than 300 s away".into());
    }
    let signature = base64::engine::general_purpose::STANDARD
        .decode(items.signature)
        .map_err(|_| "signature is not base64")?;
    let message = request_message(method, target, timestamp, nonce, body);
    if merchant_public.verify(&message, &signature) {
        return Ok(());
    }
    let shown: String = String::from_utf8_lossy(body)
        .chars()
        .take(SHOWN_BODY_CHARS)
        .collect();
    let truncated = format!("{method}\n{target}\n{timestamp}\n{nonce}\n{shown}\n");
    Err(AuthRefusal {
        message: "错误的签名,验签失败".into(),
        detail: Some(json!({
            "field": "signature",
            "issue": "sign not match",
            "location": "authorization",
            "sign_information": {
                "method": method,
                "url": target,
                "truncated_sign_message": truncated,
                "sign_message_length": message.len(),
            },
        })),
    })
}

/// The body and the sensitive parameters, decrypted, of a request that validates.
type Plaintext = (Option<Value>, Vec<(String, String)>);

fn validate_request(
    state: &State,
    op: &Operation,
    path_params: &[(String, String)],
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
    upload_meta: Option<Value>,
) -> Result<Plaintext, Answer> {
    let key = platform_key(state, op, headers)?;
    let params = check_params(state, op, path_params, query, headers, key)?;
    if upload_meta.is_some() {
        return Ok((upload_meta, params));
    }
    let Some(ty) = &op.body else {
        return Ok((None, params));
    };
    let mut value = json_body(body)?;
    if let Some(key) = key {
        decrypt_fields(&mut value, &op.encrypted_fields, key).map_err(param_error)?;
    }
    check_json(&state.api, "body", ty, &value, &Default::default()).map_err(param_error)?;
    Ok((Some(value), params))
}

/// Checks every path, query and header parameter against its schema, sensitive ones once
/// decrypted with `key`; returns those, decrypted.
fn check_params(
    state: &State,
    op: &Operation,
    path_params: &[(String, String)],
    query: &str,
    headers: &HeaderMap,
    key: Option<&wechatpay_core::PrivateKey>,
) -> Result<Vec<(String, String)>, Answer> {
    let mut plaintext = Vec::new();
    let pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            (decode(k), decode(v))
        })
        .collect();
    let named = |list: &[(String, String)], name: &str| -> Vec<String> {
        list.iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    for p in &op.params {
        let (values, location) = match p.location {
            ParamLocation::Path => (named(path_params, &p.wire_name), "path"),
            ParamLocation::Query => (named(&pairs, &p.wire_name), "query"),
            ParamLocation::Header => (
                headers
                    .get_all(p.wire_name.as_str())
                    .iter()
                    .filter_map(|v| v.to_str().ok().map(str::to_owned))
                    .collect(),
                "header",
            ),
        };
        let values = decrypt_param(p, values, location, key).map_err(param_error)?;
        check_param(&state.api, p, &values, location).map_err(param_error)?;
        if p.encrypted {
            plaintext.extend(values.into_iter().map(|v| (p.wire_name.clone(), v)));
        }
    }
    Ok(plaintext)
}

/// The platform key named by `Wechatpay-Serial`, required when the operation has sensitive
/// fields or the managed header.
fn platform_key<'s>(
    state: &'s State,
    op: &Operation,
    headers: &HeaderMap,
) -> Result<Option<&'s wechatpay_core::PrivateKey>, Answer> {
    let serial = headers
        .get("Wechatpay-Serial")
        .and_then(|v| v.to_str().ok());
    let key = match serial {
        Some(s)
            if s == state.credentials.public_key_id && state.trust != TrustMode::Certificates =>
        {
            Some(&state.keys.public_key)
        }
        Some(s)
            if s == state.credentials.platform_certificate_serial
                && state.trust != TrustMode::PublicKey =>
        {
            Some(&state.keys.certificate_key)
        }
        _ => None,
    };
    let needs_serial = op.needs_platform_serial();
    if needs_serial && key.is_none() {
        return Err(param_error(Issue {
            field: "header.Wechatpay-Serial".into(),
            issue: format!("must name the platform key used for sensitive fields, got {serial:?}"),
        }));
    }
    Ok(key)
}

/// The body as JSON, refusing 4-byte characters as the platform does.
fn json_body(body: &[u8]) -> Result<Value, Answer> {
    if let Some(c) = four_byte_char(body) {
        return Err(param_error(Issue {
            field: "body".into(),
            issue: format!("contains `{c}`: only 1–3-byte UTF-8 characters are accepted"),
        }));
    }
    serde_json::from_slice(body).map_err(|e| {
        param_error(Issue {
            field: "body".into(),
            issue: format!("is not JSON: {e}"),
        })
    })
}

/// Decrypts the sensitive fields at `pointers` in place, with the same JSON pointers the client
/// encrypted them by.
fn decrypt_fields(
    value: &mut Value,
    pointers: &[String],
    key: &wechatpay_core::PrivateKey,
) -> Result<(), Issue> {
    for text in pointers {
        let issue = |issue: &str| Issue {
            field: format!("body{text}"),
            issue: issue.to_owned(),
        };
        let pointer = Pointer::parse(text).map_err(|e| issue(&e.to_string()))?;
        pointer.for_each_mut(value, &mut |field| {
            if let Value::String(s) = field {
                let plain = key.decrypt_field(s).map_err(|_| {
                    issue("is a sensitive field and does not decrypt with the platform key (RSA-OAEP-SHA1, base64)")
                })?;
                *s = plain.to_string();
            }
            Ok(())
        })?;
    }
    Ok(())
}

fn certificates_answer(state: &State, fault: Option<Fault>) -> Answer {
    if state.trust == TrustMode::PublicKey {
        return error_answer(
            404,
            "RESOURCE_NOT_EXISTS",
            "无可用的平台证书,请使用微信支付公钥",
            None,
        );
    }
    let creds = &state.credentials;
    let key: [u8; 32] = creds.apiv3_key.as_bytes().try_into().unwrap_or([0; 32]);
    let nonce = &nonce()[..12];
    let (algorithm, ciphertext) = state.seal(
        &key,
        nonce.as_bytes(),
        b"certificate",
        creds.platform_certificate_pem.as_bytes(),
    );
    let ciphertext = ciphertext.unwrap_or_default();
    let listed = if fault == Some(Fault::CertificateSerialMismatch) {
        "0".repeat(40)
    } else {
        creds.platform_certificate_serial.clone()
    };
    let body = json!({"data": [{
        "serial_no": listed,
        "effective_time": "2025-01-01T00:00:00+08:00",
        "expire_time": "2030-01-01T00:00:00+08:00",
        "encrypt_certificate": {
            "algorithm": algorithm,
            "nonce": nonce,
            "associated_data": "certificate",
            "ciphertext": base64::engine::general_purpose::STANDARD.encode(ciphertext),
        }
    }]});
    Answer {
        status: 200,
        body: body.to_string().into_bytes(),
        signed: true,
        use_public_key: false,
        download: false,
        source: None,
    }
}

#[cfg(test)]
mod tests {
    //! Properties of the `Authorization` check: whatever the header, an answer (401 or
    //! success), never a panic; and success only for the items the merchant signed, in any
    //! order. 256 cases per property by default; a longer run:
    //! `PROPTEST_CASES=100000 cargo test -p wechatpay-mock --lib authorization`.

    use std::sync::{Mutex, OnceLock};

    use proptest::prelude::*;
    use wechatpay_core::Backend;
    use wechatpay_core::{Credentials, PrivateKey, PublicKey};
    use zeroize::Zeroizing;

    use super::{check_authorization, parse_authorization};
    use crate::state::{now, TestCredentials};

    const SCHEME: &str = "WECHATPAY2-SHA256-RSA2048 ";
    const METHOD: &str = "POST";
    const TARGET: &str = "/v3/test?x=1";
    const BODY: &[u8] = br#"{"a":"b"}"#;

    struct Merchant {
        expected: TestCredentials,
        public: PublicKey,
        credentials: Credentials,
        /// A valid header and when it was signed, re-signed before it goes stale in long runs.
        signed: Mutex<(i64, String)>,
    }

    fn merchant() -> &'static Merchant {
        static MERCHANT: OnceLock<Merchant> = OnceLock::new();
        MERCHANT.get_or_init(|| {
            let key = PrivateKey::generate(Backend::default()).unwrap();
            let public = key.public_key().unwrap();
            let expected = TestCredentials {
                mchid: "1900000001".into(),
                merchant_serial: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1".into(),
                merchant_private_key_pem: key.to_pkcs8_pem(),
                public_key_id: String::new(),
                public_key_pem: String::new(),
                platform_certificate_pem: String::new(),
                platform_certificate_serial: String::new(),
                apiv3_key: Zeroizing::new(String::new()),
            };
            let credentials = Credentials::new(&expected.mchid, &expected.merchant_serial, key);
            Merchant {
                expected,
                public,
                credentials,
                signed: Mutex::new((i64::MIN, String::new())),
            }
        })
    }

    /// Runs a signing future (a local key's is ready at once).
    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    /// The items of a header signed less than a minute ago.
    fn valid_items() -> Vec<String> {
        let m = merchant();
        let mut signed = m.signed.lock().unwrap();
        let now = now();
        if now.abs_diff(signed.0) > 60 {
            let header = m.credentials.authorization(
                METHOD,
                TARGET,
                BODY,
                now,
                "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
            );
            let header = block_on(header).unwrap();
            *signed = (now, header);
        }
        signed.1[SCHEME.len()..]
            .split(',')
            .map(str::to_owned)
            .collect()
    }

    fn check(header: &str) -> Result<(), String> {
        let m = merchant();
        check_authorization(&m.expected, &m.public, METHOD, TARGET, Some(header), BODY)
            .map_err(|refused| refused.message)
    }

    #[derive(Debug, Clone)]
    enum Mutation {
        Drop(usize),
        Duplicate(usize),
        Swap(usize, usize),
        ExtraComma(usize),
        Unquote(usize),
        ExtraQuote(usize),
        Pad(usize),
        Huge(usize, usize),
        Replace(usize, String),
        Insert(usize, String),
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        let i = 0..8usize;
        prop_oneof![
            i.clone().prop_map(Mutation::Drop),
            i.clone().prop_map(Mutation::Duplicate),
            (i.clone(), i.clone()).prop_map(|(a, b)| Mutation::Swap(a, b)),
            i.clone().prop_map(Mutation::ExtraComma),
            i.clone().prop_map(Mutation::Unquote),
            i.clone().prop_map(Mutation::ExtraQuote),
            i.clone().prop_map(Mutation::Pad),
            (i.clone(), 0..200_000usize).prop_map(|(a, n)| Mutation::Huge(a, n)),
            (i.clone(), ".*").prop_map(|(a, s)| Mutation::Replace(a, s)),
            (i, r#"[a-z_]{1,10}="[^"]{0,20}""#).prop_map(|(a, s)| Mutation::Insert(a, s)),
        ]
    }

    fn apply(items: &mut Vec<String>, m: &Mutation) {
        if items.is_empty() {
            items.push(String::new());
        }
        let at = |i: usize| i % items.len();
        match m {
            Mutation::Drop(i) => {
                items.remove(at(*i));
            }
            Mutation::Duplicate(i) => {
                let item = items[at(*i)].clone();
                items.push(item);
            }
            Mutation::Swap(a, b) => {
                let (a, b) = (at(*a), at(*b));
                items.swap(a, b);
            }
            Mutation::ExtraComma(i) => items.insert(at(*i), String::new()),
            Mutation::Unquote(i) => {
                let i = at(*i);
                items[i] = items[i].replace('"', "");
            }
            Mutation::ExtraQuote(i) => {
                let i = at(*i);
                items[i].push('"');
            }
            Mutation::Pad(i) => {
                let i = at(*i);
                items[i] = format!("  {} ", items[i]);
            }
            Mutation::Huge(i, n) => {
                let i = at(*i);
                let key = items[i].split('=').next().unwrap_or("").to_owned();
                items[i] = format!("{key}=\"{}\"", "A".repeat(*n));
            }
            Mutation::Replace(i, s) => {
                let i = at(*i);
                items[i].clone_from(s);
            }
            Mutation::Insert(i, s) => items.insert(at(*i), s.clone()),
        }
    }

    #[test]
    fn a_valid_header_passes_in_any_order_and_with_spaces() {
        let mut items = valid_items();
        assert_eq!(check(&format!("{SCHEME}{}", items.join(","))), Ok(()));
        items.reverse();
        assert_eq!(check(&format!("{SCHEME} {}", items.join(" , "))), Ok(()));
    }

    #[test]
    fn a_duplicated_item_is_refused_not_last_wins() {
        let items = valid_items();
        let signature = items.iter().find(|i| i.starts_with("signature=")).unwrap();
        for extra in [signature.clone(), "signature=\"AAAA\"".to_owned()] {
            let header = format!("{SCHEME}{},{extra}", items.join(","));
            let err = check(&header).unwrap_err();
            assert!(err.contains("more than once"), "{err}");
        }
        let header = format!("{SCHEME}signature=\"AAAA\",{}", items.join(","));
        assert!(check(&header).unwrap_err().contains("more than once"));
    }

    #[test]
    fn loose_items_are_refused() {
        let items = valid_items().join(",");
        for header in [
            format!("{SCHEME}{items},"),
            format!("{SCHEME},{items}"),
            format!("{SCHEME}{items},extra=\"1\""),
            format!("{SCHEME}{}", items.replacen('"', "", 2)),
            format!("{SCHEME}{}", items.replacen('"', "\"\"", 1)),
            format!("wechatpay2-sha256-rsa2048 {items}"),
        ] {
            assert!(check(&header).is_err(), "{header}");
        }
    }

    #[test]
    fn extreme_timestamps_are_refused_without_overflow() {
        let m = merchant();
        for timestamp in [i64::MIN, i64::MAX, i64::MIN + 1, 0] {
            let header = m
                .credentials
                .authorization(METHOD, TARGET, BODY, timestamp, "n");
            let header = block_on(header).unwrap();
            let err = check(&header).unwrap_err();
            assert!(err.contains("300 s"), "{timestamp}: {err}");
        }
    }

    proptest! {
        #[test]
        fn authorization_any_string_is_refused_without_panic(header in ".*") {
            prop_assert!(check(&header).is_err());
            let _ = parse_authorization(&header, SCHEME.trim_end());
        }

        #[test]
        fn authorization_any_items_are_refused_without_panic(items in ".*") {
            let header = format!("{SCHEME}{items}");
            prop_assert!(check(&header).is_err());
        }

        #[test]
        fn authorization_mutations_pass_only_when_they_only_reorder(
            mutations in proptest::collection::vec(mutation(), 1..6),
        ) {
            let valid = valid_items();
            let mut items = valid.clone();
            for m in &mutations {
                apply(&mut items, m);
            }
            let header = format!("{SCHEME}{}", items.join(","));
            // What the server sees: the items between commas, trimmed.
            let mut seen: Vec<&str> = header[SCHEME.len()..].split(',').map(str::trim).collect();
            seen.sort_unstable();
            let mut expected: Vec<&str> = valid.iter().map(String::as_str).collect();
            expected.sort_unstable();
            let result = check(&header);
            prop_assert_eq!(result.is_ok(), seen == expected, "{:?} for {}", result, header);
        }
    }
}
