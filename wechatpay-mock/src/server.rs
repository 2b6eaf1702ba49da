//! The HTTP side of the mock: routing by the spec's path templates, the merchant signature
//! check, sensitive-field decryption, validation, signed answers and fault injection.

use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use percent_encoding::percent_decode_str;
use serde_json::{json, Value};
use wechatpay_spec::ir::{Operation, ParamLocation, SuccessKind};

use crate::validate::{check_json, check_param, Issue};
use crate::{now, Fault, LoggedRequest, State, TrustMode};

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

/// Flips the body so that it no longer matches its signature.
pub(crate) fn tamper(mut body: Vec<u8>) -> Vec<u8> {
    match body.iter().position(|b| b.is_ascii_alphanumeric()) {
        Some(i) => body[i] = if body[i] == b'0' { b'1' } else { b'0' },
        None => body.push(b' '),
    }
    body
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Reset> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    let started = std::time::Instant::now();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| {
            v.to_str()
                .ok()
                .map(|v| (k.as_str().to_ascii_lowercase(), v.to_owned()))
        })
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    let method = parts.method.as_str().to_owned();
    let fault = match header("X-Mock-Fault").and_then(|f| Fault::from_name(&f)) {
        Some(f) => Some(f),
        None => state
            .fault_next
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .or(*state.fault.lock().unwrap_or_else(|e| e.into_inner())),
    };
    let mut log = LoggedRequest {
        operation_id: None,
        method: method.clone(),
        target: target.clone(),
        headers: headers.clone(),
        body: body.clone(),
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
    let answer = answer(&state, &method, &target, &header, &body, fault, &mut log);
    let request_serial = header("Wechatpay-Serial");
    let mut body = answer.body;
    let mut response = Response::builder()
        .status(answer.status)
        .header("Request-ID", format!("mock-{}", wechatpay_core::nonce()));
    if answer.signed {
        let use_public_key =
            answer.use_public_key || state.signs_with_public_key(request_serial.as_deref());
        let mut headers = state.sign(&body, use_public_key, fault);
        if fault == Some(Fault::TamperedBody) {
            if body.is_empty() {
                // A 204 carries no body, so alter the other signed part of the message.
                if let Some((_, nonce)) = headers.iter_mut().find(|(k, _)| k == "Wechatpay-Nonce") {
                    nonce.replace_range(0..1, if nonce.starts_with('0') { "1" } else { "0" });
                }
            } else {
                body = tamper(body);
            }
        }
        for (k, v) in headers {
            response = response.header(k, v);
        }
    }
    if !body.is_empty() {
        response = response.header("Content-Type", "application/json");
    }
    log.status = answer.status;
    record(&state, log);
    state
        .handled
        .0
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    state.handled.1.fetch_add(
        started.elapsed().as_nanos() as u64,
        std::sync::atomic::Ordering::Relaxed,
    );
    Ok(response
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()))))
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

fn answer(
    state: &State,
    method: &str,
    target: &str,
    header: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
    fault: Option<Fault>,
    log: &mut LoggedRequest,
) -> Answer {
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
    if let Err(message) = check_authorization(state, method, target, header, body) {
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
        return certificates_answer(state);
    }
    let Some((op, path_params)) = route else {
        return error_answer(404, "NOT_FOUND", "no such operation", None);
    };
    log.operation_id = Some(op.id.clone());
    match validate_request(state, op, &path_params, query, header, body, log) {
        Ok(()) => {}
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
        .filter(|op| op.method.as_str() == method)
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
    header: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
) -> Result<(), String> {
    let auth = header("Authorization").ok_or("the Authorization header is missing")?;
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
    if (now() - timestamp).abs() > 300 {
        return Err("timestamp is more than 300 s away".into());
    }
    let signature = base64::engine::general_purpose::STANDARD
        .decode(get("signature")?)
        .map_err(|_| "signature is not base64")?;
    let message = wechatpay_core::request_message(method, target, timestamp, nonce, body);
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
    header: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
    log: &mut LoggedRequest,
) -> Result<(), Answer> {
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
            ParamLocation::Header => (header(&p.wire_name).into_iter().collect(), "header"),
        };
        check_param(&state.api, p, &values, location).map_err(param_error)?;
    }
    let needs_serial = op.platform_serial_header || !op.encrypted_fields.is_empty();
    let serial = header("Wechatpay-Serial");
    let key = match serial.as_deref() {
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
    let Some(ty) = &op.body else { return Ok(()) };
    if let Some(c) = wechatpay_core::four_byte_char(body) {
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
    for pointer in &op.encrypted_fields {
        let segments: Vec<&str> = pointer.split('/').skip(1).collect();
        if let Some(key) = key {
            decrypt_at(&mut value, &segments, key, "body").map_err(param_error)?;
        }
    }
    check_json(&state.api, "body", ty, &value, &Default::default()).map_err(param_error)?;
    log.plaintext_body = Some(value);
    Ok(())
}

fn decrypt_at(
    value: &mut Value,
    segments: &[&str],
    key: &wechatpay_core::PrivateKey,
    field: &str,
) -> Result<(), Issue> {
    let Some((first, rest)) = segments.split_first() else {
        if let Value::String(s) = value {
            let plain = key.decrypt_field(s).map_err(|_| Issue {
                field: field.to_owned(),
                issue: "is a sensitive field and does not decrypt with the platform key (RSA-OAEP-SHA1, base64)".into(),
            })?;
            *s = plain.to_string();
        }
        return Ok(());
    };
    match (*first, value) {
        ("*", Value::Array(items)) => items
            .iter_mut()
            .enumerate()
            .try_for_each(|(i, v)| decrypt_at(v, rest, key, &format!("{field}[{i}]"))),
        (name, Value::Object(map)) => match map.get_mut(name) {
            Some(v) => decrypt_at(v, rest, key, &format!("{field}.{name}")),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

fn certificates_answer(state: &State) -> Answer {
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
    let nonce = &wechatpay_core::nonce()[..12];
    let ciphertext = wechatpay_core::crypto::aes_256_gcm_encrypt(
        &key,
        nonce.as_bytes(),
        b"certificate",
        creds.platform_certificate_pem.as_bytes(),
    )
    .unwrap_or_default();
    let body = json!({"data": [{
        "serial_no": creds.platform_certificate_serial,
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
