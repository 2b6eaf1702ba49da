//! Cross-checks with an independent implementation: the `openssl` CLI (installed by `.ci/run`).
//! Keys are generated for the tests, in a temporary folder.

use std::path::Path;
use std::process::Command;

use wechatpay_core::Backend;
use wechatpay_core::{PrivateKey, PublicKey};

fn openssl(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl CLI is installed (see .ci/run)")
}

fn backends() -> Vec<Backend> {
    let mut all = vec![Backend::AwsLc];
    #[cfg(feature = "rust-crypto")]
    all.push(Backend::RustCrypto);
    all
}

/// A fresh key written as PKCS#8 PEM, with its public key.
fn key_files(dir: &Path) -> PrivateKey {
    let key = PrivateKey::generate(Backend::AwsLc).unwrap();
    std::fs::write(dir.join("key.pem"), key.to_pkcs8_pem().as_bytes()).unwrap();
    std::fs::write(dir.join("pub.pem"), key.public_key().unwrap().to_pem()).unwrap();
    key
}

#[test]
fn signatures_verify_with_openssl_and_match_its_own_bytes() {
    let dir = tempfile::tempdir().unwrap();
    key_files(dir.path());
    let message = wechatpay_core::__private::request_message(
        "POST",
        "/v3/papay/contracts/a%2Fb/fail-notify?x=1",
        1_700_000_000,
        "NONCE0123456789abcdefghijklmnopq",
        br#"{"mchid":"1230000109"}"#,
    );
    std::fs::write(dir.path().join("msg"), &message).unwrap();
    for backend in backends() {
        let key = PrivateKey::from_pem_with(
            &std::fs::read_to_string(dir.path().join("key.pem")).unwrap(),
            backend,
        )
        .unwrap();
        let ours = key.sign_sha256(&message).unwrap();
        std::fs::write(dir.path().join("sig"), &ours).unwrap();
        let verified = openssl(
            &[
                "dgst",
                "-sha256",
                "-verify",
                "pub.pem",
                "-signature",
                "sig",
                "msg",
            ],
            dir.path(),
        );
        assert!(
            verified.status.success(),
            "{backend:?}: {}",
            String::from_utf8_lossy(&verified.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&verified.stdout).trim(),
            "Verified OK"
        );
        // PKCS#1 v1.5 is deterministic: OpenSSL's signature is byte-identical.
        let theirs = openssl(&["dgst", "-sha256", "-sign", "key.pem", "msg"], dir.path());
        assert!(theirs.status.success());
        assert_eq!(theirs.stdout, ours, "{backend:?}");
    }
    // A one-byte change fails OpenSSL's check.
    let mut tampered = message.clone();
    tampered[0] = b'G';
    std::fs::write(dir.path().join("msg"), &tampered).unwrap();
    let rejected = openssl(
        &[
            "dgst",
            "-sha256",
            "-verify",
            "pub.pem",
            "-signature",
            "sig",
            "msg",
        ],
        dir.path(),
    );
    assert!(!rejected.status.success());
}

#[test]
fn oaep_sha1_ciphertexts_decrypt_with_openssl_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_files(dir.path());
    let plaintext = "6222 0000 1111 2222 台账";
    for backend in backends() {
        let public = PublicKey::from_pem_with(
            &std::fs::read_to_string(dir.path().join("pub.pem")).unwrap(),
            backend,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("ct"),
            public.encrypt_oaep(plaintext.as_bytes()).unwrap(),
        )
        .unwrap();
        let out = openssl(
            &[
                "pkeyutl",
                "-decrypt",
                "-inkey",
                "key.pem",
                "-in",
                "ct",
                "-pkeyopt",
                "rsa_padding_mode:oaep",
                "-pkeyopt",
                "rsa_oaep_md:sha1",
                "-pkeyopt",
                "rsa_mgf1_md:sha1",
            ],
            dir.path(),
        );
        assert!(
            out.status.success(),
            "{backend:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8(out.stdout).unwrap(), plaintext);
        // SHA-256 OAEP (the bug of one existing crate) does not decrypt what we produce.
        let wrong = openssl(
            &[
                "pkeyutl",
                "-decrypt",
                "-inkey",
                "key.pem",
                "-in",
                "ct",
                "-pkeyopt",
                "rsa_padding_mode:oaep",
                "-pkeyopt",
                "rsa_oaep_md:sha256",
            ],
            dir.path(),
        );
        assert!(!wrong.status.success(), "{backend:?}: OAEP must use SHA-1");
    }
    // OpenSSL's OAEP-SHA1 output decrypts with our key.
    std::fs::write(dir.path().join("plain"), plaintext).unwrap();
    let out = openssl(
        &[
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-inkey",
            "pub.pem",
            "-in",
            "plain",
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha1",
            "-pkeyopt",
            "rsa_mgf1_md:sha1",
        ],
        dir.path(),
    );
    assert!(out.status.success());
    assert_eq!(
        key.decrypt_oaep(&out.stdout).unwrap().as_slice(),
        plaintext.as_bytes()
    );
}

/// `openssl dgst -sha256 -verify pub.pem` of `message` against a base64 signature.
fn openssl_verifies(dir: &Path, message: &str, signature_b64: &str) -> bool {
    use base64::Engine as _;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(signature_b64)
        .unwrap();
    std::fs::write(dir.join("pay-msg"), message).unwrap();
    std::fs::write(dir.join("pay-sig"), signature).unwrap();
    let out = openssl(
        &[
            "dgst",
            "-sha256",
            "-verify",
            "pub.pem",
            "-signature",
            "pay-sig",
            "pay-msg",
        ],
        dir,
    );
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Verified OK")
}

#[tokio::test]
async fn jsapi_and_app_payment_parameters_verify_with_openssl_over_the_documented_message() {
    let dir = tempfile::tempdir().unwrap();
    let key = key_files(dir.path());
    let creds = wechatpay_core::Credentials::new("1900000109", "SERIAL", key);
    let prepay = "wx201410272009395522657a690389285100";
    let jsapi = creds
        .jsapi_payment(
            "wx8888888888888888",
            prepay,
            1_414_561_699,
            "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
        )
        .await
        .unwrap();
    let json = serde_json::to_value(&jsapi).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 6);
    for key in [
        "appId",
        "timeStamp",
        "nonceStr",
        "package",
        "signType",
        "paySign",
    ] {
        assert!(keys.contains(&key), "{json}");
    }
    assert_eq!(json["package"], format!("prepay_id={prepay}"));
    assert_eq!(json["signType"], "RSA");
    assert_eq!(json["timeStamp"], "1414561699");
    let message = format!(
        "wx8888888888888888\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id={prepay}\n"
    );
    assert!(openssl_verifies(dir.path(), &message, &jsapi.pay_sign));
    // The signature covers each line: another prepay id does not verify.
    let other = message.replace(prepay, "wx0");
    assert!(!openssl_verifies(dir.path(), &other, &jsapi.pay_sign));

    let app = creds
        .app_payment(
            "wxd678efh567hg6787",
            "1900000109",
            prepay,
            1_414_561_699,
            "NONCE",
        )
        .await
        .unwrap();
    let json = serde_json::to_value(&app).unwrap();
    for key in [
        "appid",
        "partnerid",
        "prepayid",
        "package",
        "noncestr",
        "timestamp",
        "sign",
    ] {
        assert!(json.get(key).is_some(), "{json}");
    }
    assert_eq!(json["package"], "Sign=WXPay");
    let message = format!("wxd678efh567hg6787\n1414561699\nNONCE\n{prepay}\n");
    assert!(openssl_verifies(dir.path(), &message, &app.sign));
}
