//! Criterion benchmarks of the hot crypto paths, per backend: sign, verify, OAEP encrypt,
//! AES-256-GCM decrypt of 1 KiB, and a whole notification parse (verify + decrypt + JSON).
//! `scripts/bench-crypto.sh` runs them next to `openssl speed rsa2048` and prints the ratios.

use std::hint::black_box;

use base64::Engine as _;
use criterion::{criterion_group, criterion_main, Criterion};
use wechatpay_core::{
    __private::{aes_256_gcm_decrypt_with, aes_256_gcm_encrypt},
    Backend,
};
use wechatpay_core::{ApiV3Key, Clock, KeyStore, NotificationHandler, PrivateKey, PublicKey};

#[derive(Debug)]
struct Fixed(i64);
impl Clock for Fixed {
    fn now(&self) -> i64 {
        self.0
    }
}

fn backends() -> Vec<(&'static str, Backend)> {
    let mut all = vec![("aws-lc", Backend::AwsLc)];
    #[cfg(feature = "rust-crypto")]
    all.push(("rust-crypto", Backend::RustCrypto));
    all
}

fn bench(c: &mut Criterion) {
    let pem = PrivateKey::generate(Backend::AwsLc).unwrap().to_pkcs8_pem();
    let message = wechatpay_core::__private::request_message(
        "POST",
        "/v3/aggracct-bc/wb-channel/control-orders/recover",
        1_763_800_000,
        "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
        br#"{"out_request_no":"R202611220001","related_webank_punish_no":"WB-P-1","related_wxpay_punish_no":"WX-P-1","mchid":"1900016681","bal_account_no":"...","recover_reason":"ok"}"#,
    );
    let apiv3 = *b"0123456789abcdefghijklmnopqrstuv";
    let kib = vec![0x5Au8; 1024];
    let sealed = aes_256_gcm_encrypt(&apiv3, b"0123456789ab", b"transaction", &kib).unwrap();
    for (name, backend) in backends() {
        let key = PrivateKey::from_pem_with(&pem, backend).unwrap();
        let public =
            PublicKey::from_pem_with(&key.public_key().unwrap().to_pem(), backend).unwrap();
        let signature = key.sign_sha256(&message).unwrap();
        let mut group = c.benchmark_group(name);
        group.bench_function("sign", |b| {
            b.iter(|| key.sign_sha256(black_box(&message)).unwrap())
        });
        group.bench_function("verify", |b| {
            b.iter(|| assert!(public.verify_sha256(black_box(&message), black_box(&signature))))
        });
        group.bench_function("oaep_encrypt", |b| {
            b.iter(|| public.encrypt_oaep(black_box(b"6222000011112222")).unwrap())
        });
        group.bench_function("aes_gcm_decrypt_1k", |b| {
            b.iter(|| {
                aes_256_gcm_decrypt_with(
                    backend,
                    &apiv3,
                    b"0123456789ab",
                    b"transaction",
                    black_box(&sealed),
                )
                .unwrap()
            })
        });

        // A whole notification: verify over raw bytes, decrypt the resource, parse the JSON.
        let resource = serde_json::json!({"complaint_id": "200201820200101080076610000", "action_type": "CREATE_COMPLAINT", "padding": "x".repeat(800)});
        let ct = aes_256_gcm_encrypt(
            &apiv3,
            b"0123456789ab",
            b"complaint",
            resource.to_string().as_bytes(),
        )
        .unwrap();
        let body = serde_json::json!({
            "id": "EV-1", "create_time": "2026-11-22T10:00:00+08:00", "resource_type": "encrypt-resource", "event_type": "COMPLAINT.CREATE", "summary": "产生新投诉",
            "resource": {"original_type": "complaint", "algorithm": "AEAD_AES_256_GCM", "ciphertext": base64::engine::general_purpose::STANDARD.encode(ct), "associated_data": "complaint", "nonce": "0123456789ab"}
        })
        .to_string();
        let ts = "1763800000";
        let sig = base64::engine::general_purpose::STANDARD.encode(
            key.sign_sha256(&wechatpay_core::__private::response_message(
                ts,
                "n",
                body.as_bytes(),
            ))
            .unwrap(),
        );
        let keys = KeyStore::new();
        keys.add_public_key("PUB_KEY_ID_BENCH", public.clone());
        let handler = NotificationHandler::new(
            keys,
            ApiV3Key::new(std::str::from_utf8(&apiv3).unwrap()).unwrap(),
        )
        .with_clock(std::sync::Arc::new(Fixed(1_763_800_000)));
        let mut headers = http::HeaderMap::new();
        for (name, value) in [
            ("Wechatpay-Timestamp", ts.to_owned()),
            ("Wechatpay-Nonce", "n".to_owned()),
            ("Wechatpay-Serial", "PUB_KEY_ID_BENCH".to_owned()),
            ("Wechatpay-Signature", sig),
        ] {
            headers.insert(name, value.parse().unwrap());
        }
        group.bench_function("notification_parse", |b| {
            b.iter(|| handler.parse(&headers, black_box(body.as_bytes())).unwrap())
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
