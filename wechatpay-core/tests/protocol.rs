//! One test per protocol rule of signing (§1) and verification (§2), each with the tampered
//! input that must fail. Keys are generated for the tests; the clock is fixed.

use std::sync::Arc;

use base64::Engine as _;
use wechatpay_core::__private::verify;
use wechatpay_core::{Clock, Credentials, KeyStore, PrivateKey, VerifyError};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
/// The tests' fixed "now": a minute after they start, so that the certificates they make (valid
/// from the moment they are made, for 30 days) are valid at it.
fn now() -> i64 {
    static NOW: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *NOW.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64
            + 60
    })
}

#[derive(Debug)]
struct Fixed(i64);
impl Clock for Fixed {
    fn now(&self) -> i64 {
        self.0
    }
}

struct Platform {
    public_key: PrivateKey,
    certificate_key: PrivateKey,
    store: KeyStore,
}

const PUB_ID: &str = "PUB_KEY_ID_0114232134912410000000000000";
const CERT_SERIAL: &str = "5157F09EFDC096DE15EBE78A47057A0B1D4C7A2F";

fn platform() -> Platform {
    let public_key = PrivateKey::generate(Default::default()).unwrap();
    let certificate_key = PrivateKey::generate(Default::default()).unwrap();
    let store = KeyStore::new();
    store.add_public_key(PUB_ID, public_key.public_key().unwrap());
    // A certificate's key under its 40-hex serial: held beside the public key (migration).
    let cert = openssl_certificate(&certificate_key);
    store.add_certificate(&cert).unwrap();
    Platform {
        public_key,
        certificate_key,
        store,
    }
}

fn openssl_certificate(key: &PrivateKey) -> wechatpay_core::Certificate {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("k.pem"), key.to_pkcs8_pem().as_bytes()).unwrap();
    let out = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-key",
            "k.pem",
            "-out",
            "c.pem",
            "-days",
            "30",
            "-subj",
            "/CN=platform",
            "-set_serial",
            &format!("0x{CERT_SERIAL}"),
        ])
        .current_dir(dir.path())
        .output()
        .expect("openssl CLI");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    wechatpay_core::Certificate::from_pem(
        &std::fs::read_to_string(dir.path().join("c.pem")).unwrap(),
    )
    .unwrap()
}

/// Headers of a signed answer.
fn signed(key: &PrivateKey, serial: &str, timestamp: i64, body: &[u8]) -> Vec<(String, String)> {
    let nonce = "5K8264ILTKCH16CQ2502SI8ZNMTM67VS";
    let signature = B64.encode(
        key.sign_sha256(&wechatpay_core::__private::response_message(
            &timestamp.to_string(),
            nonce,
            body,
        ))
        .unwrap(),
    );
    vec![
        ("Wechatpay-Timestamp".into(), timestamp.to_string()),
        ("Wechatpay-Nonce".into(), nonce.into()),
        ("Wechatpay-Serial".into(), serial.into()),
        ("Wechatpay-Signature".into(), signature),
    ]
}

fn header_map(headers: &[(String, String)]) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for (k, v) in headers {
        map.append(
            http::HeaderName::try_from(k.as_str()).unwrap(),
            http::HeaderValue::try_from(v.as_str()).unwrap(),
        );
    }
    map
}

fn check(store: &KeyStore, headers: &[(String, String)], body: &[u8]) -> Result<(), VerifyError> {
    verify(store, now(), &header_map(headers), body)
}

fn set(headers: &mut [(String, String)], name: &str, value: &str) {
    headers.iter_mut().find(|(k, _)| k == name).unwrap().1 = value.to_owned();
}

#[test]
fn the_response_message_is_timestamp_nonce_body_each_with_a_newline() {
    assert_eq!(
        wechatpay_core::__private::response_message("1", "n", b"{}"),
        b"1\nn\n{}\n"
    );
    // The 204 form: an empty body line.
    assert_eq!(
        wechatpay_core::__private::response_message("1", "n", b""),
        b"1\nn\n\n"
    );
}

#[test]
fn a_204_verifies_over_the_empty_body_line() {
    let p = platform();
    let headers = signed(&p.public_key, PUB_ID, now(), b"");
    assert_eq!(check(&p.store, &headers, b""), Ok(()));
    assert_eq!(
        check(&p.store, &headers, b" "),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn the_serial_picks_the_key_public_key_and_certificate_side_by_side() {
    let p = platform();
    let body = br#"{"ret_msg":"SUCCESS"}"#;
    assert_eq!(
        check(&p.store, &signed(&p.public_key, PUB_ID, now(), body), body),
        Ok(())
    );
    assert_eq!(
        check(
            &p.store,
            &signed(&p.certificate_key, CERT_SERIAL, now(), body),
            body
        ),
        Ok(())
    );
    // The right signature under the other key's serial fails.
    assert_eq!(
        check(
            &p.store,
            &signed(&p.certificate_key, PUB_ID, now(), body),
            body
        ),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn every_verification_failure_has_its_own_error() {
    let p = platform();
    let body = br#"{"a":1}"#;
    let good = signed(&p.public_key, PUB_ID, now(), body);
    assert_eq!(check(&p.store, &good, body), Ok(()));

    // Tampered body, over raw bytes: even re-serialization with other spacing fails.
    assert_eq!(
        check(&p.store, &good, br#"{"a": 1}"#),
        Err(VerifyError::BadSignature)
    );
    // Unknown serial.
    let mut h = good.clone();
    set(&mut h, "Wechatpay-Serial", "PUB_KEY_ID_UNKNOWN");
    assert_eq!(
        check(&p.store, &h, body),
        Err(VerifyError::UnknownSerial("PUB_KEY_ID_UNKNOWN".into()))
    );
    // Probe.
    let mut h = good.clone();
    set(&mut h, "Wechatpay-Signature", "WECHATPAY/SIGNTEST/abcd");
    assert_eq!(check(&p.store, &h, body), Err(VerifyError::SignTestProbe));
    // Missing headers, each named.
    for name in [
        "Wechatpay-Signature",
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
        "Wechatpay-Serial",
    ] {
        let h: Vec<_> = good.iter().filter(|(k, _)| k != name).cloned().collect();
        assert!(
            matches!(check(&p.store, &h, body), Err(VerifyError::MissingHeader(n)) if n == name),
            "{name}"
        );
    }
    // Not base64, and a signature by another key.
    let mut h = good.clone();
    set(&mut h, "Wechatpay-Signature", "***");
    assert_eq!(check(&p.store, &h, body), Err(VerifyError::BadSignature));
    let other = PrivateKey::generate(Default::default()).unwrap();
    assert_eq!(
        check(&p.store, &signed(&other, PUB_ID, now(), body), body),
        Err(VerifyError::BadSignature)
    );
    // Timestamp not a number.
    let mut h = good.clone();
    set(&mut h, "Wechatpay-Timestamp", "soon");
    assert_eq!(
        check(&p.store, &h, body),
        Err(VerifyError::BadTimestamp("soon".into()))
    );
}

#[test]
fn clock_skew_of_300_seconds_is_allowed_and_301_is_not() {
    let p = platform();
    for (offset, ok) in [(-300, true), (300, true), (-301, false), (301, false)] {
        let headers = signed(&p.public_key, PUB_ID, now() + offset, b"{}");
        let result = check(&p.store, &headers, b"{}");
        if ok {
            assert_eq!(result, Ok(()), "{offset}");
        } else {
            assert_eq!(
                result,
                Err(VerifyError::StaleTimestamp {
                    timestamp: now() + offset,
                    skew: 301
                }),
                "{offset}"
            );
        }
    }
}

#[tokio::test]
async fn authorization_header_has_the_five_items_in_order_and_signs_the_exact_request() {
    let key = PrivateKey::generate(Default::default()).unwrap();
    let public = key.public_key().unwrap();
    let creds = Credentials::new("1900000001", "MERCHANT_SERIAL", key);
    let nonce = wechatpay_core::__private::nonce();
    assert_eq!(nonce.len(), 32);
    assert!(nonce.chars().all(|c| c.is_ascii_alphanumeric()), "{nonce}");
    assert_ne!(nonce, wechatpay_core::__private::nonce());
    let target = "/v3/papay/contracts/a%2Fb/fail-notify?x=%E4%B8%AD";
    let body = br#"{"mchid":"1230000109","appid":"wxd678efh567hg6787"}"#;
    let header = creds
        .authorization("POST", target, body, now(), &nonce)
        .await
        .unwrap();
    let rest = header
        .strip_prefix("WECHATPAY2-SHA256-RSA2048 ")
        .expect("scheme");
    let items: Vec<(&str, &str)> = rest
        .split(',')
        .map(|i| i.split_once('=').unwrap())
        .map(|(k, v)| (k, v.trim_matches('"')))
        .collect();
    let keys: Vec<&str> = items.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        keys,
        ["mchid", "nonce_str", "signature", "timestamp", "serial_no"]
    );
    assert_eq!(items[0].1, "1900000001");
    assert_eq!(items[3].1, now().to_string());
    assert_eq!(items[4].1, "MERCHANT_SERIAL");
    let signature = B64.decode(items[2].1).unwrap();
    let message = format!(
        "POST\n{target}\n{}\n{nonce}\n{}\n",
        now(),
        std::str::from_utf8(body).unwrap()
    );
    assert!(public.verify_sha256(message.as_bytes(), &signature));
    // The decoded target, or a body with other spacing, is not what was signed.
    let decoded = message.replace("a%2Fb", "a/b");
    assert!(!public.verify_sha256(decoded.as_bytes(), &signature));
    let respaced = message.replace("\"mchid\":", "\"mchid\": ");
    assert!(!public.verify_sha256(respaced.as_bytes(), &signature));
    // A GET signs an empty body line.
    let get = creds
        .authorization("GET", "/v3/certificates", b"", now(), &nonce)
        .await
        .unwrap();
    let sig = B64
        .decode(
            get.split("signature=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap(),
        )
        .unwrap();
    assert!(public.verify_sha256(
        format!("GET\n/v3/certificates\n{}\n{nonce}\n\n", now()).as_bytes(),
        &sig
    ));
}

#[tokio::test]
async fn a_remote_signer_is_awaited_and_its_failure_is_typed() {
    /// A signer that answers later, as a KMS would, or fails as one can.
    struct Remote(Option<PrivateKey>, std::sync::atomic::AtomicUsize);
    impl wechatpay_core::Signer for Remote {
        fn sign<'a>(&'a self, message: &'a [u8]) -> wechatpay_core::SignFuture<'a> {
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Box::pin(async move {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                match &self.0 {
                    Some(key) => key.sign_sha256(message),
                    None => Err(wechatpay_core::CryptoError::Signer(
                        "the KMS is unreachable".into(),
                    )),
                }
            })
        }
    }
    let key = PrivateKey::generate(Default::default()).unwrap();
    let public = key.public_key().unwrap();
    let remote = Arc::new(Remote(Some(key), 0.into()));
    let creds = Credentials::with_signer("1900000001", "S", remote.clone());
    let header = creds
        .authorization("GET", "/v3/x", b"", now(), "n")
        .await
        .unwrap();
    assert_eq!(remote.1.load(std::sync::atomic::Ordering::SeqCst), 1);
    let signature = header
        .split("signature=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next();
    let signature = B64.decode(signature.unwrap()).unwrap();
    let message = format!("GET\n/v3/x\n{}\nn\n\n", now());
    assert!(public.verify_sha256(message.as_bytes(), &signature));

    let down = Credentials::with_signer("1900000001", "S", Arc::new(Remote(None, 0.into())));
    let err = down
        .authorization("GET", "/v3/x", b"", now(), "n")
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "the signer failed: the KMS is unreachable");
}

#[test]
fn notifications_without_summary_and_with_the_compact_create_time_parse() {
    let p = platform();
    let apiv3 = *b"0123456789abcdefghijklmnopqrstuv";
    let ct = wechatpay_core::__private::aes_256_gcm_encrypt(
        &apiv3,
        b"0123456789ab",
        b"",
        br#"{"transaction_id":"4200"}"#,
    )
    .unwrap();
    // No `summary`, empty associated data, the compact create_time of one official example.
    let body = format!(
        r#"{{"id":"EV-2018022511223320873","create_time":"20180225112233","resource_type":"encrypt-resource","event_type":"TRANSACTION.SUCCESS","resource":{{"original_type":"transaction","algorithm":"AEAD_AES_256_GCM","ciphertext":"{}","associated_data":"","nonce":"0123456789ab"}}}}"#,
        B64.encode(ct)
    );
    let headers = signed(&p.certificate_key, CERT_SERIAL, now(), body.as_bytes());
    let handler = wechatpay_core::NotificationHandler::new(
        p.store.clone(),
        wechatpay_core::ApiV3Key::new("0123456789abcdefghijklmnopqrstuv").unwrap(),
    )
    .with_clock(Arc::new(Fixed(now())));
    let n = handler
        .parse(&header_map(&headers), body.as_bytes())
        .unwrap();
    assert_eq!(n.summary, None);
    assert_eq!(n.create_time.unwrap().unix_timestamp(), 1519528953);
    assert_eq!(n.resource["transaction_id"], "4200");
    // An algorithm not defined is refused by name (`AEAD_SM4_GCM` is, with `shangmi`).
    let other = body.replace("AEAD_AES_256_GCM", "AEAD_CHACHA20_POLY1305");
    let headers = signed(&p.certificate_key, CERT_SERIAL, now(), other.as_bytes());
    let err = handler
        .parse(&header_map(&headers), other.as_bytes())
        .unwrap_err();
    assert!(err.to_string().contains("AEAD_CHACHA20_POLY1305"), "{err}");
}

#[test]
fn a_repeated_signature_header_is_refused_by_name() {
    let p = platform();
    let good = signed(&p.public_key, PUB_ID, now(), b"{}");
    assert_eq!(check(&p.store, &good, b"{}"), Ok(()));
    for name in [
        "Wechatpay-Signature",
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
        "Wechatpay-Serial",
    ] {
        let mut twice = good.clone();
        let again = good.iter().find(|(k, _)| k == name).unwrap().clone();
        twice.push(again);
        assert_eq!(
            check(&p.store, &twice, b"{}"),
            Err(VerifyError::DuplicateHeader(name)),
            "{name}"
        );
    }
}

#[test]
fn extreme_timestamps_are_stale_never_a_panic_or_a_pass() {
    let p = platform();
    for (timestamp, skew) in [
        (i64::MIN, now().abs_diff(i64::MIN)),
        (i64::MAX, now().abs_diff(i64::MAX)),
        (0, now().unsigned_abs()),
    ] {
        let headers = signed(&p.public_key, PUB_ID, timestamp, b"{}");
        assert_eq!(
            check(&p.store, &headers, b"{}"),
            Err(VerifyError::StaleTimestamp { timestamp, skew }),
            "{timestamp}"
        );
    }
    // A clock at the far end of the range does not overflow either.
    let headers = header_map(&signed(&p.public_key, PUB_ID, now(), b"{}"));
    for now in [i64::MIN, i64::MAX] {
        assert!(matches!(
            verify(&p.store, now, &headers, b"{}"),
            Err(VerifyError::StaleTimestamp { .. })
        ));
    }
    // Past the range of i64 it is not a unix time at all.
    let mut headers = signed(&p.public_key, PUB_ID, now(), b"{}");
    set(&mut headers, "Wechatpay-Timestamp", "9223372036854775808");
    assert_eq!(
        check(&p.store, &headers, b"{}"),
        Err(VerifyError::BadTimestamp("9223372036854775808".into()))
    );
}

#[test]
fn a_signature_header_that_is_not_text_is_refused_by_name() {
    let p = platform();
    let mut headers = header_map(&signed(&p.public_key, PUB_ID, now(), b"{}"));
    headers.insert(
        "Wechatpay-Nonce",
        http::HeaderValue::from_bytes(b"n\xff").unwrap(),
    );
    assert_eq!(
        verify(&p.store, now(), &headers, b"{}"),
        Err(VerifyError::InvalidHeader("Wechatpay-Nonce"))
    );
}
