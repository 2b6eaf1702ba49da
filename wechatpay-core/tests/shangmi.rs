//! 商用密码 (feature `shangmi`), cross-checked with independent implementations: the `openssl`
//! CLI (SM2 keys, signatures with the user id, SM2 encryption, certificates) and a known answer
//! from Python's `cryptography` (SM4-GCM). Keys are generated for the tests.
#![cfg(feature = "shangmi")]

use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use wechatpay_core::{
    ApiV3Key, Certificate, Credentials, CryptoError, EncryptedResource, KeyError, PrivateKey,
    PublicKey,
};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn openssl(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl CLI is installed (see .ci/run)")
}

fn ok(args: &[&str], dir: &Path) -> std::process::Output {
    let out = openssl(args, dir);
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// An SM2 key made by openssl (`key.pem`, PKCS#8) and its public key (`pub.pem`).
fn openssl_key(dir: &Path) -> (PrivateKey, PublicKey) {
    ok(
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:SM2",
            "-out",
            "key.pem",
        ],
        dir,
    );
    ok(
        &["pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem"],
        dir,
    );
    let key = PrivateKey::from_pem(&std::fs::read_to_string(dir.join("key.pem")).unwrap()).unwrap();
    let public =
        PublicKey::from_pem(&std::fs::read_to_string(dir.join("pub.pem")).unwrap()).unwrap();
    (key, public)
}

#[test]
fn sm2_signatures_verify_both_ways_with_openssl_and_the_user_id() {
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = openssl_key(dir.path());
    assert_eq!(key.scheme(), "WECHATPAY2-SM2-WITH-SM3");
    assert_eq!(format!("{public:?}"), "PublicKey(SM2)");
    let message = wechatpay_core::__private::request_message(
        "GET",
        "/v3/certificates",
        1_700_000_000,
        "NONCE",
        b"",
    );
    std::fs::write(dir.path().join("message"), &message).unwrap();

    // Ours, checked by openssl with the user id WeChat Pay uses.
    std::fs::write(dir.path().join("ours.sig"), key.sign(&message).unwrap()).unwrap();
    let verify = |sig: &str, distid: &str| {
        openssl(
            &[
                "dgst",
                "-sm3",
                "-verify",
                "pub.pem",
                "-sigopt",
                &format!("distid:{distid}"),
                "-signature",
                sig,
                "message",
            ],
            dir.path(),
        )
        .status
        .success()
    };
    assert!(verify("ours.sig", "1234567812345678"));
    // The user id is part of what is signed: another one fails.
    assert!(!verify("ours.sig", "8765432187654321"));

    // openssl's, checked by us.
    ok(
        &[
            "dgst",
            "-sm3",
            "-sign",
            "key.pem",
            "-sigopt",
            "distid:1234567812345678",
            "-out",
            "theirs.sig",
            "message",
        ],
        dir.path(),
    );
    let theirs = std::fs::read(dir.path().join("theirs.sig")).unwrap();
    assert!(public.verify(&message, &theirs));
    assert!(key.public_key().unwrap().verify(&message, &theirs));
    let mut other = message.clone();
    other[0] ^= 1;
    assert!(!public.verify(&other, &theirs));
    // The RSA-only operations say so instead of doing something else.
    assert_eq!(key.sign_sha256(&message), Err(CryptoError::NotRsa));
    assert!(!public.verify_sha256(&message, &theirs));
}

#[tokio::test]
async fn the_authorization_header_names_the_sm2_scheme_and_its_signature_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = openssl_key(dir.path());
    let credentials = Credentials::new("1900000001", "SERIAL", key);
    let header = credentials
        .authorization(
            "POST",
            "/v3/pay/transactions/jsapi",
            b"{}",
            1_700_000_000,
            "NONCE",
        )
        .await
        .unwrap();
    assert!(
        header.starts_with("WECHATPAY2-SM2-WITH-SM3 mchid=\"1900000001\","),
        "{header}"
    );
    let signature = header
        .split("signature=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    std::fs::write(dir.path().join("h.sig"), B64.decode(signature).unwrap()).unwrap();
    let message = wechatpay_core::__private::request_message(
        "POST",
        "/v3/pay/transactions/jsapi",
        1_700_000_000,
        "NONCE",
        b"{}",
    );
    std::fs::write(dir.path().join("message"), message).unwrap();
    ok(
        &[
            "dgst",
            "-sm3",
            "-verify",
            "pub.pem",
            "-sigopt",
            "distid:1234567812345678",
            "-signature",
            "h.sig",
            "message",
        ],
        dir.path(),
    );
}

#[test]
fn sm2_sensitive_fields_are_read_by_openssl_and_openssl_s_by_us() {
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = openssl_key(dir.path());
    // Ours: C1C3C2 in DER, which openssl decrypts.
    let field = public.encrypt_field("6222 0000 1111 张三").unwrap();
    std::fs::write(dir.path().join("ours.bin"), B64.decode(&field).unwrap()).unwrap();
    let out = ok(
        &[
            "pkeyutl", "-decrypt", "-inkey", "key.pem", "-in", "ours.bin",
        ],
        dir.path(),
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "6222 0000 1111 张三"
    );
    // openssl's, which we decrypt.
    std::fs::write(dir.path().join("plain"), "13800000000").unwrap();
    ok(
        &[
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-inkey",
            "pub.pem",
            "-in",
            "plain",
            "-out",
            "theirs.bin",
        ],
        dir.path(),
    );
    let theirs = B64.encode(std::fs::read(dir.path().join("theirs.bin")).unwrap());
    assert_eq!(key.decrypt_field(&theirs).unwrap().as_str(), "13800000000");
    // Tampered: refused.
    let mut bad = std::fs::read(dir.path().join("theirs.bin")).unwrap();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert_eq!(
        key.decrypt_field(&B64.encode(bad)),
        Err(CryptoError::Decrypt)
    );
    assert_eq!(public.encrypt_oaep(b"x"), Err(CryptoError::NotRsa));
}

#[test]
fn an_sm4_gcm_resource_opens_as_python_cryptography_sealed_it() {
    // Sealed by Python's `cryptography` (OpenSSL 4's SM4-GCM), independently of this crate:
    //   key = hashlib.new("sm3", b"0123456789abcdefABCDEF0123456789").digest()[:16]
    //   Cipher(algorithms.SM4(key), modes.GCM(b"aBcDeFgHiJkL")) with associated data
    //   b"transaction", plaintext {"out_trade_no":"SM-1","trade_state":"SUCCESS"}; ciphertext‖tag.
    let sealed = EncryptedResource {
        algorithm: "AEAD_SM4_GCM".into(),
        nonce: "aBcDeFgHiJkL".into(),
        associated_data: Some("transaction".into()),
        ciphertext:
            "EsvuoTxi12nYqTNwA07IR6EHWxOwR3JJgIbjxJDaZeZdJuwv1XT5FVQkooPCxJkHl1KzgeXa5MdCmvuz4w15"
                .into(),
        original_type: None,
    };
    let key = ApiV3Key::new("0123456789abcdefABCDEF0123456789").unwrap();
    let plain = sealed.decrypt(&key).unwrap();
    assert_eq!(
        &plain[..],
        br#"{"out_trade_no":"SM-1","trade_state":"SUCCESS"}"#
    );
    // The associated data and the key are bound by the tag.
    let mut other = sealed.clone();
    other.associated_data = Some("refund".into());
    assert!(other.decrypt(&key).is_err());
    assert!(sealed
        .decrypt(&ApiV3Key::new("0123456789abcdefABCDEF012345678X").unwrap())
        .is_err());
    // What we seal, we open (the mock's side).
    let ours = wechatpay_core::__private::sm4_gcm_encrypt(
        key.as_bytes(),
        b"aBcDeFgHiJkL",
        b"transaction",
        br#"{"out_trade_no":"SM-1","trade_state":"SUCCESS"}"#,
    )
    .unwrap();
    assert_eq!(B64.encode(ours), sealed.ciphertext);
}

#[test]
fn an_sm2_certificate_made_by_openssl_is_read_with_its_serial_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let (key, _) = openssl_key(dir.path());
    ok(
        &[
            "req",
            "-new",
            "-x509",
            "-key",
            "key.pem",
            "-sm3",
            "-subj",
            "/CN=Tenpay.com Root CA",
            "-days",
            "30",
            "-set_serial",
            "0x5157F3B2B8CD84D8E0A4CB0D2DF4C1E1A3B2C4D5",
            "-out",
            "cert.pem",
        ],
        dir.path(),
    );
    let cert =
        Certificate::from_pem(&std::fs::read_to_string(dir.path().join("cert.pem")).unwrap())
            .unwrap();
    assert_eq!(cert.serial, "5157F3B2B8CD84D8E0A4CB0D2DF4C1E1A3B2C4D5");
    assert!(cert.public_key.same_key(&key.public_key().unwrap()));
    assert_eq!(cert.public_key.scheme(), "WECHATPAY2-SM2-WITH-SM3");
    let message = b"1700000000\nNONCE\n{}\n";
    assert!(cert.public_key.verify(message, &key.sign(message).unwrap()));
}

#[test]
fn keys_on_other_curves_are_still_refused() {
    let dir = tempfile::tempdir().unwrap();
    ok(
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "p256.pem",
        ],
        dir.path(),
    );
    ok(
        &["pkey", "-in", "p256.pem", "-pubout", "-out", "p256pub.pem"],
        dir.path(),
    );
    let private =
        PrivateKey::from_pem(&std::fs::read_to_string(dir.path().join("p256.pem")).unwrap());
    // Refused as the RSA parser refuses them: not RSA, and not SM2 either.
    assert_eq!(private.unwrap_err(), KeyError::NotRsa { algorithm: "EC" });
    let public =
        PublicKey::from_pem(&std::fs::read_to_string(dir.path().join("p256pub.pem")).unwrap());
    assert_eq!(public.unwrap_err(), KeyError::NotRsa { algorithm: "EC" });
    // A generated SM2 key round-trips through PEM.
    let key = PrivateKey::generate_sm2();
    let again = PrivateKey::from_pem(&key.to_pkcs8_pem()).unwrap();
    assert!(again
        .public_key()
        .unwrap()
        .same_key(&key.public_key().unwrap()));
}
