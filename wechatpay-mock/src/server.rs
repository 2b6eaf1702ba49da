//! The HTTP side of the mock: routing by the spec's path templates, the merchant signature
//! check, sensitive-field decryption, validation, signed answers and fault injection.

use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use percent_encoding::percent_decode_str;
use serde_json::{json, Value};
use std::sync::atomic::Ordering::Relaxed;
use wechatpay_core::protocol::pointer::Pointer;
use wechatpay_core::protocol::{four_byte_char, nonce, request_message, MAX_SKEW_SECS};
use wechatpay_spec::ir::{Operation, ParamLocation, SuccessKind};

use crate::state::{now, tamper, Fault, LoggedRequest, State, TrustMode};
use crate::validate::{check_json, check_param, Issue};

/// Accepts connections until `stop` fires.
pub(crate) async fn serve(
    listener: std::net::TcpListener,
    state: Arc<State>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let state = state.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| handle(state.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
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

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Reset> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let started = std::time::Instant::now();
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    let fault = fault_for(&state, &parts.headers);
    let mut log = LoggedRequest {
        operation_id: None,
        method: parts.method.as_str().to_owned(),
        target,
        headers: parts.headers,
        body: body.to_vec(),
        plaintext_body: None,
        status: 0,
    };
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

/// The fault for this request: named by `X-Mock-Fault`, else the next-request fault, else the
/// instance's.
fn fault_for(state: &State, headers: &HeaderMap) -> Option<Fault> {
    let named = headers
        .get("X-Mock-Fault")
        .and_then(|v| v.to_str().ok())
        .and_then(Fault::from_name);
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
    if !body.is_empty() {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    *response.headers_mut() = headers;
    response
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

fn answer(state: &State, body: &[u8], fault: Option<Fault>, log: &mut LoggedRequest) -> Answer {
    let method = log.method.as_str();
    let target = log.target.as_str();
    let headers = &log.headers;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let certificates = path == "/v3/certificates" && method == "GET";
    let route = if certificates {
        None
    } else {
        route(state, method, path)
    };
    if route.is_none() && !certificates {
        return error_answer(
            404,
            "NOT_FOUND",
            &format!("no operation for {method} {path}"),
            None,
        );
    }
    if let Err(message) = check_authorization(state, method, target, header("Authorization"), body)
    {
        return error_answer(401, "SIGN_ERROR", &message, None);
    }
    if header("Accept").is_none() || header("User-Agent").is_none() {
        return error_answer(
            400,
            "INVALID_REQUEST",
            "Accept and User-Agent headers are required",
            None,
        );
    }
    match fault {
        Some(Fault::SystemError) => return error_answer(500, "SYSTEM_ERROR", "系统错误", None),
        Some(Fault::RateLimited) => {
            return error_answer(429, "FREQUENCY_LIMITED", "频率超限", None)
        }
        _ => {}
    }
    if certificates {
        return certificates_answer(state, fault);
    }
    let Some((op, path_params)) = route else {
        return error_answer(404, "NOT_FOUND", "no such operation", None);
    };
    let validated = validate_request(state, op, &path_params, query, headers, body);
    log.operation_id = Some(op.id.clone());
    match validated {
        Ok(plaintext) => log.plaintext_body = plaintext,
        Err(answer) => return answer,
    }
    let body = match (&op.success.kind, &op.success.example) {
        (SuccessKind::Empty, _) => Vec::new(),
        (_, Some(example)) => example.to_string().into_bytes(),
        (_, None) => b"{}".to_vec(),
    };
    Answer {
        status: op.success.status,
        body,
        signed: op.signed_response,
        use_public_key: false,
    }
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

fn check_authorization(
    state: &State,
    method: &str,
    target: &str,
    authorization: Option<&str>,
    body: &[u8],
) -> Result<(), String> {
    let auth = authorization.ok_or("the Authorization header is missing")?;
    let items = auth
        .strip_prefix("WECHATPAY2-SHA256-RSA2048 ")
        .ok_or("the Authorization scheme must be WECHATPAY2-SHA256-RSA2048")?;
    let mut fields = std::collections::HashMap::new();
    for item in items.split(',') {
        let (k, v) = item
            .trim()
            .split_once('=')
            .ok_or("malformed Authorization item")?;
        fields.insert(k.trim(), v.trim().trim_matches('"'));
    }
    let get = |k: &str| {
        fields
            .get(k)
            .copied()
            .ok_or(format!("Authorization lacks `{k}`"))
    };
    if get("mchid")? != state.credentials.mchid {
        return Err("mchid does not match".into());
    }
    if get("serial_no")? != state.credentials.merchant_serial {
        return Err("serial_no is not the merchant certificate serial".into());
    }
    let nonce = get("nonce_str")?;
    if nonce.is_empty() {
        return Err("nonce_str is empty".into());
    }
    let timestamp: i64 = get("timestamp")?
        .parse()
        .map_err(|_| "timestamp is not a number")?;
    if now().abs_diff(timestamp) > MAX_SKEW_SECS {
        return Err("timestamp is more than 300 s away".into());
    }
    let signature = base64::engine::general_purpose::STANDARD
        .decode(get("signature")?)
        .map_err(|_| "signature is not base64")?;
    let message = request_message(method, target, timestamp, nonce, body);
    if state
        .keys
        .merchant_public
        .verify_sha256(&message, &signature)
    {
        Ok(())
    } else {
        Err("签名错误: the signature does not match the request".into())
    }
}

fn validate_request(
    state: &State,
    op: &Operation,
    path_params: &[(String, String)],
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Option<Value>, Answer> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
            (decode(k), decode(v))
        })
        .collect();
    for p in &op.params {
        let (values, location): (Vec<String>, &str) = match p.location {
            ParamLocation::Path => (
                path_params
                    .iter()
                    .filter(|(k, _)| *k == p.wire_name)
                    .map(|(_, v)| v.clone())
                    .collect(),
                "path",
            ),
            ParamLocation::Query => (
                pairs
                    .iter()
                    .filter(|(k, _)| *k == p.wire_name)
                    .map(|(_, v)| v.clone())
                    .collect(),
                "query",
            ),
            ParamLocation::Header => (
                header(&p.wire_name)
                    .map(str::to_owned)
                    .into_iter()
                    .collect(),
                "header",
            ),
        };
        check_param(&state.api, p, &values, location).map_err(param_error)?;
    }
    let needs_serial = op.platform_serial_header || !op.encrypted_fields.is_empty();
    let serial = header("Wechatpay-Serial");
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
    if needs_serial && key.is_none() {
        return Err(param_error(Issue {
            field: "header.Wechatpay-Serial".into(),
            issue: format!("must name the platform key used for sensitive fields, got {serial:?}"),
        }));
    }
    let Some(ty) = &op.body else { return Ok(None) };
    if let Some(c) = four_byte_char(body) {
        return Err(param_error(Issue {
            field: "body".into(),
            issue: format!("contains `{c}`: only 1–3-byte UTF-8 characters are accepted"),
        }));
    }
    let mut value: Value = serde_json::from_slice(body).map_err(|e| {
        param_error(Issue {
            field: "body".into(),
            issue: format!("is not JSON: {e}"),
        })
    })?;
    if let Some(key) = key {
        decrypt_fields(&mut value, &op.encrypted_fields, key).map_err(param_error)?;
    }
    check_json(&state.api, "body", ty, &value, &Default::default()).map_err(param_error)?;
    Ok(Some(value))
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
    let ciphertext = wechatpay_core::crypto::aes_256_gcm_encrypt(
        &key,
        nonce.as_bytes(),
        b"certificate",
        creds.platform_certificate_pem.as_bytes(),
    )
    .unwrap_or_default();
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
            "algorithm": "AEAD_AES_256_GCM",
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
    }
}
