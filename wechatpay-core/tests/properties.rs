//! Property tests of the protocol's edges: the answer verifier, the notification parser, the
//! request target (path and query) and the whole request as sent versus as signed.
//!
//! Each property runs `PROPTEST_CASES` cases (256 by default, which keeps CI short). A longer
//! run:
//!
//! ```text
//! PROPTEST_CASES=100000 cargo test -p wechatpay-core --test properties
//! ```
//!
//! Keys are generated once per test binary; clocks are fixed.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{json, Value};
use wechatpay_core::__private::{self as protocol, verify};
use wechatpay_core::transport::{Exchange, ReadPolicy, Transport};
use wechatpay_core::{
    ApiV3Key, Client, Clock, Credentials, Error, KeyStore, NotificationError, NotificationHandler,
    PathError, PrivateKey, PublicKey, VerifyError,
};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const NOW: i64 = 1_763_800_000;
const PUB_ID: &str = "PUB_KEY_ID_0114232134912410000000000000";
const APIV3: &str = "0123456789abcdefghijklmnopqrstuv";
const SIGNATURE_HEADERS: [&str; 4] = [
    "Wechatpay-Signature",
    "Wechatpay-Timestamp",
    "Wechatpay-Nonce",
    "Wechatpay-Serial",
];

#[derive(Debug)]
struct Fixed(i64);
impl Clock for Fixed {
    fn now(&self) -> i64 {
        self.0
    }
}

/// The platform's key (signs answers and notifications) and a store that trusts it.
struct Platform {
    key: PrivateKey,
    store: KeyStore,
}

fn platform() -> &'static Platform {
    static PLATFORM: OnceLock<Platform> = OnceLock::new();
    PLATFORM.get_or_init(|| {
        let key = PrivateKey::generate(Default::default()).unwrap();
        let store = KeyStore::new();
        store.add_public_key(PUB_ID, key.public_key().unwrap());
        Platform { key, store }
    })
}

/// Headers of a message signed by the platform, in order: signature, timestamp, nonce, serial.
fn signed(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let message = protocol::response_message(timestamp, nonce, body);
    let signature = B64.encode(platform().key.sign_sha256(&message).unwrap());
    vec![
        ("Wechatpay-Signature".into(), signature.into_bytes()),
        ("Wechatpay-Timestamp".into(), timestamp.as_bytes().to_vec()),
        ("Wechatpay-Nonce".into(), nonce.as_bytes().to_vec()),
        ("Wechatpay-Serial".into(), PUB_ID.as_bytes().to_vec()),
    ]
}

/// A header map of the pairs that are valid HTTP at all (the others cannot reach a verifier).
fn header_map(headers: &[(String, Vec<u8>)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) {
            map.append(name, value);
        }
    }
    map
}

fn handler() -> NotificationHandler {
    NotificationHandler::new(platform().store.clone(), ApiV3Key::new(APIV3).unwrap())
        .with_clock(Arc::new(Fixed(NOW)))
}

// ---------------------------------------------------------------------------------------------
// Strategies.

/// Header names around the four signature headers: each of them in any case, near misses and
/// arbitrary tokens.
fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(SIGNATURE_HEADERS.to_vec()).prop_map(str::to_owned),
        2 => proptest::sample::select(SIGNATURE_HEADERS.to_vec())
            .prop_map(str::to_ascii_uppercase),
        1 => Just("Wechatpay-Signatures".to_owned()),
        1 => Just("Wechatpay-".to_owned()),
        1 => "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,24}",
    ]
}

/// Header values: anything HTTP allows (non-text bytes included), numbers, probes, base64,
/// the known serial.
fn header_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..48),
        any::<i64>().prop_map(|n| n.to_string().into_bytes()),
        (-400i64..400).prop_map(|d| format!(" {} ", NOW + d).into_bytes()),
        "WECHATPAY/SIGNTEST/[A-Za-z0-9+/=]{0,16}".prop_map(String::into_bytes),
        vec(any::<u8>(), 0..300).prop_map(|b| B64.encode(b).into_bytes()),
        Just(PUB_ID.as_bytes().to_vec()),
        "[ -~]{0,40}".prop_map(String::into_bytes),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    vec((header_name(), header_value()), 0..10)
}

/// One change to a correctly signed header list.
#[derive(Debug, Clone)]
enum Mutation {
    Remove(Index),
    Duplicate(Index),
    Replace(Index, Vec<u8>),
    Add(String, Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<Index>().prop_map(Mutation::Remove),
        any::<Index>().prop_map(Mutation::Duplicate),
        (any::<Index>(), header_value()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        (header_name(), header_value()).prop_map(|(n, v)| Mutation::Add(n, v)),
    ]
}

fn apply(headers: &mut Vec<(String, Vec<u8>)>, mutation: &Mutation) {
    match mutation {
        Mutation::Remove(i) if !headers.is_empty() => {
            headers.remove(i.index(headers.len()));
        }
        Mutation::Duplicate(i) if !headers.is_empty() => {
            let h = headers[i.index(headers.len())].clone();
            headers.push(h);
        }
        Mutation::Replace(i, v) if !headers.is_empty() => {
            let n = headers.len();
            headers[i.index(n)].1 = v.clone();
        }
        Mutation::Add(n, v) => headers.push((n.clone(), v.clone())),
        _ => {}
    }
}

/// JSON without floats (serde_json's default float parsing is not exactly round-trip).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn gcm_nonce() -> impl Strategy<Value = String> {
    "[0-9A-Za-z]{12}"
}

fn encrypted_resource(nonce: &str, aad: &str, plaintext: &[u8]) -> String {
    let key: &[u8; 32] = APIV3.as_bytes().try_into().unwrap();
    B64.encode(
        wechatpay_core::__private::aes_256_gcm_encrypt(
            key,
            nonce.as_bytes(),
            aad.as_bytes(),
            plaintext,
        )
        .unwrap(),
    )
}

fn envelope(resource: Value) -> Value {
    json!({
        "id": "EV-1",
        "create_time": "2015-05-20T13:29:35+08:00",
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS",
        "summary": "s",
        "resource": resource,
    })
}

/// Bodies a platform key might sign that are no valid notification, and whether the
/// plaintext inside (if any) is JSON.
fn signed_bodies() -> impl Strategy<Value = (Vec<u8>, bool)> {
    prop_oneof![
        vec(any::<u8>(), 0..256).prop_map(|b| (b, false)),
        json_value().prop_map(|v| (v.to_string().into_bytes(), false)),
        // An envelope whose resource cannot be opened.
        (
            prop_oneof![Just("AEAD_AES_256_GCM".to_owned()), any::<String>()],
            any::<String>(),
            prop_oneof![
                any::<String>(),
                vec(any::<u8>(), 0..64).prop_map(|b| B64.encode(b))
            ],
            proptest::option::of(any::<String>()),
        )
            .prop_map(|(algorithm, nonce, ciphertext, aad)| {
                let body = envelope(json!({
                    "algorithm": algorithm, "nonce": nonce,
                    "ciphertext": ciphertext, "associated_data": aad,
                }));
                (body.to_string().into_bytes(), false)
            }),
        // An envelope whose resource opens to arbitrary bytes.
        (gcm_nonce(), any::<String>(), vec(any::<u8>(), 0..64)).prop_map(|(nonce, aad, plain)| {
            let is_json = serde_json::from_slice::<Value>(&plain).is_ok();
            let body = envelope(json!({
                "algorithm": "AEAD_AES_256_GCM", "nonce": nonce,
                "ciphertext": encrypted_resource(&nonce, &aad, &plain),
                "associated_data": aad,
            }));
            (body.to_string().into_bytes(), is_json)
        }),
    ]
}

/// Path parameter values: arbitrary Unicode and the characters that change a path's shape.
fn param_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>(),
        3 => "[./%?#&= a-zA-Z0-9\\\\~+;:@é中😀]{0,6}",
        1 => proptest::sample::select(vec![
            "", ".", "..", "...", "%2e", "%2E%2E", ".%2e", "/", "?", "#", " ", "%", "a/../b",
        ])
        .prop_map(str::to_owned),
    ]
}

/// A template's segment: a literal, a placeholder, or a placeholder inside literal text.
#[derive(Debug, Clone)]
enum Segment {
    Literal(String),
    Param(String, String),
}

/// A well-formed template `/v3/…` and, per placeholder (named `p0`, `p1`, …), a value.
#[derive(Debug, Clone)]
struct Filled {
    template: String,
    /// Per `/`-separated segment after `/v3/`: the literal, or (prefix, value, suffix).
    segments: Vec<Result<String, (String, String, String)>>,
    params: Vec<(String, String)>,
}

fn filled() -> impl Strategy<Value = Filled> {
    let literal = "[a-z0-9_-]{1,6}";
    let segment = prop_oneof![
        literal.prop_map(Segment::Literal),
        ("[a-z0-9_.-]{0,3}", "[a-z0-9_.-]{0,3}").prop_map(|(a, b)| Segment::Param(a, b)),
    ];
    vec((segment, param_value()), 0..5).prop_map(|segments| {
        let mut template = "/v3".to_owned();
        let mut out = Vec::new();
        let mut params = Vec::new();
        for (segment, value) in segments {
            template.push('/');
            match segment {
                Segment::Literal(l) => {
                    template.push_str(&l);
                    out.push(Ok(l));
                }
                Segment::Param(prefix, suffix) => {
                    let name = format!("p{}", params.len());
                    template.push_str(&format!("{prefix}{{{name}}}{suffix}"));
                    out.push(Err((prefix, value.clone(), suffix)));
                    params.push((name, value));
                }
            }
        }
        Filled {
            template,
            segments: out,
            params,
        }
    })
}

fn refused_value(value: &str) -> bool {
    matches!(value, "" | "." | "..")
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .expect("percent-encoded UTF-8")
        .into_owned()
}

fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

// ---------------------------------------------------------------------------------------------
// The recording transport and the client for the whole-request property.

/// Records every request and answers 404, so no answer signature is needed.
#[derive(Debug, Default)]
struct Recorder(Mutex<Vec<http::Request<Bytes>>>);

impl Transport for Recorder {
    fn send(&self, request: http::Request<Bytes>, _policy: ReadPolicy) -> Exchange<'_> {
        self.0.lock().unwrap().push(request);
        Box::pin(async {
            let mut answer =
                http::Response::new(Bytes::from_static(br#"{"code":"NOT_FOUND","message":"x"}"#));
            *answer.status_mut() = http::StatusCode::NOT_FOUND;
            Ok(answer)
        })
    }
}

struct Merchant {
    public: PublicKey,
    recorder: Arc<Recorder>,
    client: Client,
    runtime: tokio::runtime::Runtime,
}

fn merchant() -> Merchant {
    // One key for the whole run (a `Signer` shared by every client; `Credentials::new` would
    // take the key by value).
    static KEY: OnceLock<Arc<PrivateKey>> = OnceLock::new();
    let key = KEY
        .get_or_init(|| Arc::new(PrivateKey::generate(Default::default()).unwrap()))
        .clone();
    let public = key.public_key().unwrap();
    let recorder = Arc::new(Recorder::default());
    let credentials = Credentials::with_signer("1900000001", "MERCHANT_SERIAL", key);
    let client = Client::builder(credentials)
        .key_store(platform().store.clone())
        .transport(recorder.clone())
        .clock(Arc::new(Fixed(NOW)))
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    Merchant {
        public,
        recorder,
        client,
        runtime,
    }
}

/// The items of an `Authorization` header.
fn authorization_items(header: &str) -> Vec<(String, String)> {
    header
        .strip_prefix("WECHATPAY2-SHA256-RSA2048 ")
        .expect("scheme")
        .split(',')
        .map(|item| {
            let (k, v) = item.split_once('=').expect("k=v");
            (k.to_owned(), v.trim_matches('"').to_owned())
        })
        .collect()
}

impl Merchant {
    /// Checks a request recorded by the transport: its signature covers the method, the path
    /// and query, the timestamp, the nonce and the body exactly as sent. Returns the target.
    fn check_signed(&self, request: &http::Request<Bytes>) -> String {
        let target = request.uri().path_and_query().expect("a target").as_str();
        let authorization = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .expect("Authorization")
            .to_str()
            .unwrap();
        let items = authorization_items(authorization);
        let item = |name: &str| {
            items
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .unwrap_or_else(|| panic!("no {name} in {authorization}"))
        };
        let timestamp: i64 = item("timestamp").parse().unwrap();
        let message = protocol::request_message(
            request.method().as_str(),
            target,
            timestamp,
            item("nonce_str"),
            request.body(),
        );
        let signature = B64.decode(item("signature")).unwrap();
        assert!(
            self.public.verify_sha256(&message, &signature),
            "the signature does not cover {target:?}"
        );
        target.to_owned()
    }
}

// ---------------------------------------------------------------------------------------------
// 1. The answer verifier.

proptest! {
    /// Any headers, any body, any clock: a value or a typed error, never a panic; and `Ok`
    /// only for a message that passes every check.
    #[test]
    fn verify_never_panics_on_arbitrary_input(
        headers in headers(),
        body in vec(any::<u8>(), 0..256),
        now in any::<i64>(),
    ) {
        let map = header_map(&headers);
        if verify(&platform().store, now, &map, &body).is_ok() {
            let ts: i64 = map["Wechatpay-Timestamp"].to_str().unwrap().trim().parse().unwrap();
            prop_assert!(now.abs_diff(ts) <= protocol::MAX_SKEW_SECS);
            prop_assert_eq!(map["Wechatpay-Serial"].as_bytes(), PUB_ID.as_bytes());
        }
    }

    /// A signed message, its headers then dropped, repeated, replaced or added to: a value or
    /// a typed error, never a panic; unchanged and on time, it verifies.
    #[test]
    fn verify_never_panics_on_mutated_signed_headers(
        body in vec(any::<u8>(), 0..128),
        offset in -400i64..400,
        nonce in "[ -~]{0,40}",
        mutations in vec(mutation(), 0..4),
    ) {
        let mut headers = signed(&(NOW + offset).to_string(), &nonce, &body);
        for m in &mutations {
            apply(&mut headers, m);
        }
        let result = verify(&platform().store, NOW, &header_map(&headers), &body);
        if mutations.is_empty() {
            if offset.abs() <= 300 {
                prop_assert_eq!(result, Ok(()));
            } else {
                let is_stale = matches!(result, Err(VerifyError::StaleTimestamp { .. }));
                prop_assert!(is_stale);
            }
        }
    }

    /// A correctly signed message at any time verifies, and with any one byte of its body
    /// flipped it fails with `BadSignature`.
    #[test]
    fn a_flipped_body_byte_is_a_bad_signature(
        body in vec(any::<u8>(), 1..512),
        index in any::<Index>(),
        mask in 1u8..=255,
        timestamp in any::<i64>(),
        offset in -300i64..=300,
    ) {
        let now = timestamp.saturating_add(offset);
        let headers = header_map(&signed(&timestamp.to_string(), "n", &body));
        prop_assert_eq!(verify(&platform().store, now, &headers, &body), Ok(()));
        let mut tampered = body.clone();
        tampered[index.index(body.len())] ^= mask;
        prop_assert_eq!(
            verify(&platform().store, now, &headers, &tampered),
            Err(VerifyError::BadSignature)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 2. The notification parser.

proptest! {
    /// Any headers and body: a notification or a typed error, never a panic.
    #[test]
    fn parse_never_panics_on_arbitrary_input(
        headers in headers(),
        body in vec(any::<u8>(), 0..256),
    ) {
        let _ = handler().parse(&header_map(&headers), &body);
    }

    /// Correctly signed bodies that are no notification (arbitrary bytes, other JSON, a
    /// resource that cannot be opened, a plaintext that is not JSON) fail past verification,
    /// with the error of the step that refused them.
    #[test]
    fn signed_non_notifications_are_typed_errors((body, plaintext_is_json) in signed_bodies()) {
        let headers = header_map(&signed(&NOW.to_string(), "n", &body));
        match handler().parse(&headers, &body) {
            Ok(_) => prop_assert!(plaintext_is_json, "accepted {:?}", String::from_utf8_lossy(&body)),
            Err(NotificationError::Envelope(_))
            | Err(NotificationError::Resource(_))
            | Err(NotificationError::ResourceJson(_)) => {}
            Err(e) => prop_assert!(false, "unexpected error {e:?}"),
        }
    }

    /// Any JSON resource, encrypted with the APIv3 key under any nonce and associated data and
    /// signed: parsed back to the same value and envelope fields.
    #[test]
    fn a_notification_round_trips(
        resource in json_value(),
        nonce in gcm_nonce(),
        aad in any::<String>(),
        id in any::<String>(),
        event_type in any::<String>(),
        create_time in prop_oneof![any::<String>(), Just("20180225112233".to_owned())],
        summary in proptest::option::of(any::<String>()),
        original_type in proptest::option::of(any::<String>()),
    ) {
        let plain = serde_json::to_vec(&resource).unwrap();
        let body = json!({
            "id": id,
            "create_time": create_time,
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": {
                "original_type": original_type,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": encrypted_resource(&nonce, &aad, &plain),
                "associated_data": aad,
                "nonce": nonce,
            },
        })
        .to_string();
        let headers = header_map(&signed(&NOW.to_string(), "n", body.as_bytes()));
        let n = handler().parse(&headers, body.as_bytes()).unwrap();
        prop_assert_eq!(n.resource, resource);
        prop_assert_eq!(n.id, id);
        prop_assert_eq!(n.event_type, event_type);
        prop_assert_eq!(n.summary, summary);
        prop_assert_eq!(n.original_type, original_type);
        prop_assert_eq!(n.create_time, wechatpay_core::__private::parse_create_time(&create_time));
        prop_assert_eq!(n.create_time_raw, create_time);
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Path and query building.

proptest! {
    /// Any parameter values: refused exactly when one is empty, `.` or `..`; otherwise the
    /// path keeps the template's prefix and shape, is a `PathAndQuery` whose path is itself,
    /// has no dot segment, and each segment decodes back to its literal text and value.
    #[test]
    fn filled_paths_keep_the_template_shape(f in filled()) {
        let params: Vec<(&str, Cow<'_, str>)> =
            f.params.iter().map(|(k, v)| (k.as_str(), Cow::from(v.as_str()))).collect();
        let result = protocol::fill_path(&f.template, &params);
        let refused = f.params.iter().find(|(_, v)| refused_value(v));
        let path = match (result, refused) {
            (Err(PathError::DotOrEmptySegment { name, value }), Some((n, v))) => {
                prop_assert_eq!(&name, n);
                prop_assert_eq!(&value, v);
                return Ok(());
            }
            (Ok(path), None) => path,
            (other, _) => {
                prop_assert!(false, "{:?} for {:?}", other, f);
                unreachable!()
            }
        };
        let prefix = f.template.split('{').next().unwrap();
        prop_assert!(path.starts_with(prefix));
        let parsed = http::uri::PathAndQuery::try_from(path.as_str()).unwrap();
        prop_assert_eq!(parsed.path(), path.as_str());
        prop_assert_eq!(parsed.query(), None);
        prop_assert_eq!(path.matches('/').count(), f.template.matches('/').count());
        let segments: Vec<&str> = path.split('/').collect();
        prop_assert!(!segments.iter().any(|s| *s == "." || *s == ".."), "{}", path);
        prop_assert_eq!(segments.len(), f.segments.len() + 2);
        for (sent, expected) in segments[2..].iter().zip(&f.segments) {
            match expected {
                Ok(literal) => prop_assert_eq!(*sent, literal.as_str()),
                Err((prefix, value, suffix)) => {
                    prop_assert_eq!(percent_decode(sent), format!("{prefix}{value}{suffix}"))
                }
            }
        }
    }

    /// Any query pairs: the text is unreserved characters, `%XX`, `&` and `=` only, and splits
    /// and decodes back to the same pairs in order.
    #[test]
    fn encoded_queries_decode_to_the_same_pairs(
        pairs in vec((param_value(), param_value()), 0..6),
    ) {
        let borrowed: Vec<(&str, Cow<'_, str>)> =
            pairs.iter().map(|(k, v)| (k.as_str(), Cow::from(v.as_str()))).collect();
        let query = protocol::encode_query(&borrowed);
        prop_assert!(
            query.chars().all(|c| is_unreserved(c) || matches!(c, '%' | '&' | '=')),
            "{}", query
        );
        let bytes = query.as_bytes();
        for (i, _) in query.match_indices('%') {
            prop_assert!(
                bytes.len() > i + 2 && bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit(),
                "{}", query
            );
        }
        let decoded: Vec<(String, String)> = if query.is_empty() {
            Vec::new()
        } else {
            query
                .split('&')
                .map(|pair| {
                    let (k, v) = pair.split_once('=').expect("k=v");
                    (percent_decode(k), percent_decode(v))
                })
                .collect()
        };
        prop_assert_eq!(decoded, pairs);
    }
}

// ---------------------------------------------------------------------------------------------
// 4. The whole request: the bytes on the wire are the bytes signed.

/// Extra request headers: some the client owns (refused), some with values HTTP refuses.
fn extra_header() -> impl Strategy<Value = (HeaderName, String)> {
    (
        proptest::sample::select(vec![
            "x-extra",
            "idempotency-key",
            "authorization",
            "accept",
        ]),
        prop_oneof!["[ -~]{0,12}", any::<String>()],
    )
        .prop_map(|(n, v)| (HeaderName::from_static(n), v))
}

proptest! {
    /// A generic call with any parameter values, query pairs and extra headers is either
    /// refused before anything is sent (`Error::Path`, `Error::Header`), or sent once with a
    /// signature over the exact method, target and body the transport received.
    #[test]
    fn the_request_sent_is_the_request_signed(
        f in filled(),
        query in vec((param_value(), param_value()), 0..4),
        headers in vec(extra_header(), 0..2),
        method in 0..3u8,
        body in json_value(),
    ) {
        let m = merchant();
        let mut chain = m.client.chain(&f.template);
        for (k, v) in &f.params {
            chain = chain.param(k, v.clone());
        }
        for (k, v) in &query {
            chain = chain.query(k, v.clone());
        }
        for (k, v) in &headers {
            chain = chain.header(k.clone(), v.clone());
        }
        let result = m.runtime.block_on(match method {
            0 => Box::pin(chain.get()) as std::pin::Pin<Box<dyn std::future::Future<Output = _>>>,
            1 => Box::pin(chain.delete()),
            _ => Box::pin(chain.post(body.clone())),
        });
        let recorded = std::mem::take(&mut *m.recorder.0.lock().unwrap());
        let bad_param = f.params.iter().any(|(_, v)| refused_value(v));
        match result {
            Err(Error::Api(e)) => {
                prop_assert_eq!(e.status, 404);
                prop_assert!(!bad_param);
                prop_assert_eq!(recorded.len(), 1);
                let target = m.check_signed(&recorded[0]);
                let prefix = f.template.split('{').next().unwrap();
                prop_assert!(target.starts_with(prefix));
                // The default transport sends through a `url::Url`: the same bytes there too.
                let wire = reqwest::Request::try_from(recorded[0].clone()).unwrap();
                let url = wire.url();
                let sent = match url.query() {
                    Some(q) => format!("{}?{q}", url.path()),
                    None => url.path().to_owned(),
                };
                prop_assert_eq!(sent, target);
            }
            Err(Error::Path { .. }) => {
                prop_assert!(bad_param);
                prop_assert!(recorded.is_empty());
            }
            Err(Error::Header { .. }) | Err(Error::UnsupportedCharacter { .. }) => {
                prop_assert!(recorded.is_empty());
            }
            other => prop_assert!(false, "unexpected {:?}", other),
        }
    }
}

proptest! {
    /// Any template text (it is the caller's in a generic call): refused before sending, or
    /// sent, through `url::Url` too, exactly as signed.
    ///
    /// It guards against a `fill_path` that accepts template characters the default
    /// transport's `url::Url` rewrites after signing: `/"` sent as `/%22`, `/a\b` as `/a/b`,
    /// `/é` as `/%C3%A9`, `/v3/%2e%2e/x` (a dot segment per the URL standard) as `/x`.
    #[test]
    fn any_template_is_refused_or_sent_as_signed(
        template in "/[a-z0-9%./\\\\\"<>`^|{}\\[\\] ?#é]{0,12}",
    ) {
        let m = merchant();
        let result = m.runtime.block_on(m.client.chain(&template).get());
        let recorded = std::mem::take(&mut *m.recorder.0.lock().unwrap());
        match result {
            Err(Error::Api(_)) => {
                prop_assert_eq!(recorded.len(), 1);
                let target = m.check_signed(&recorded[0]);
                let wire = reqwest::Request::try_from(recorded[0].clone()).unwrap();
                let url = wire.url();
                let sent = match url.query() {
                    Some(q) => format!("{}?{q}", url.path()),
                    None => url.path().to_owned(),
                };
                prop_assert_eq!(sent, target);
            }
            Err(Error::Path { .. }) => prop_assert!(recorded.is_empty()),
            other => prop_assert!(false, "unexpected {:?}", other),
        }
    }
}
