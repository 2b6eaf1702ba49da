//! Loading keys: both PEM forms load, and each kind of wrong input gives its own typed error.
//! Secrets never show in `Debug` or errors.

use std::process::Command;

use wechatpay_core::{ApiV3Key, Certificate, Credentials, KeyError, PrivateKey, PublicKey};

fn openssl(args: &[&str], dir: &std::path::Path) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl CLI");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(dir.join(args[args.iter().position(|a| *a == "-out").unwrap() + 1]))
        .unwrap()
}

#[test]
fn pkcs8_and_pkcs1_load_and_sign_alike() {
    let dir = tempfile::tempdir().unwrap();
    let pkcs8 = openssl(
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "k8.pem",
        ],
        dir.path(),
    );
    let pkcs1 = openssl(
        &["rsa", "-in", "k8.pem", "-traditional", "-out", "k1.pem"],
        dir.path(),
    );
    assert!(pkcs8.contains("BEGIN PRIVATE KEY") && pkcs1.contains("BEGIN RSA PRIVATE KEY"));
    let a = PrivateKey::from_pem(&pkcs8).unwrap();
    let b = PrivateKey::from_pem(&pkcs1).unwrap();
    assert_eq!(a.sign_sha256(b"x").unwrap(), b.sign_sha256(b"x").unwrap());
    let file = PrivateKey::from_pem_file(dir.path().join("k1.pem")).unwrap();
    assert_eq!(
        file.sign_sha256(b"x").unwrap(),
        a.sign_sha256(b"x").unwrap()
    );
}

#[test]
fn wrong_inputs_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let ec = openssl(
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "ec.pem",
        ],
        dir.path(),
    );
    assert_eq!(
        PrivateKey::from_pem(&ec).unwrap_err(),
        KeyError::NotRsa { algorithm: "EC" }
    );
    let small = openssl(
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:1024",
            "-out",
            "small.pem",
        ],
        dir.path(),
    );
    assert_eq!(
        PrivateKey::from_pem(&small).unwrap_err(),
        KeyError::WrongSize { bits: 1024 }
    );
    assert!(matches!(
        PrivateKey::from_pem("not a pem"),
        Err(KeyError::NotPem(_))
    ));
    let public = PrivateKey::from_pem(&openssl(
        &["genpkey", "-algorithm", "RSA", "-out", "r.pem"],
        dir.path(),
    ))
    .unwrap()
    .public_key()
    .unwrap()
    .to_pem();
    assert!(
        matches!(PrivateKey::from_pem(&public), Err(KeyError::WrongPemLabel { ref found, .. }) if found == "PUBLIC KEY")
    );
    let garbage = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    assert!(matches!(
        PrivateKey::from_pem(garbage),
        Err(KeyError::NotRsa { .. } | KeyError::Malformed(_))
    ));
    assert!(matches!(
        PrivateKey::from_pem_file(dir.path().join("missing.pem")),
        Err(KeyError::Io { .. })
    ));
    assert_eq!(
        ApiV3Key::new("short").unwrap_err(),
        KeyError::ApiV3KeyLength { len: 5 }
    );
    assert!(PublicKey::from_pem(&ec).is_err());
    let broken = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    assert!(matches!(
        Certificate::from_pem(broken),
        Err(KeyError::Certificate(_))
    ));
    assert!(matches!(
        Certificate::from_pem(&ec),
        Err(KeyError::WrongPemLabel { .. })
    ));
}

#[test]
fn certificates_give_serial_key_and_validity() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ck.pem",
            "-out",
            "c.pem",
            "-days",
            "30",
            "-subj",
            "/CN=test",
            "-set_serial",
            "0x5157F09EFDC096DE15EBE78A47057A0B1D4C7A2F",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cert =
        Certificate::from_pem(&std::fs::read_to_string(dir.path().join("c.pem")).unwrap()).unwrap();
    assert_eq!(cert.serial, "5157F09EFDC096DE15EBE78A47057A0B1D4C7A2F");
    assert!(cert.not_after - cert.not_before >= 29 * 86400);
    let key =
        PrivateKey::from_pem(&std::fs::read_to_string(dir.path().join("ck.pem")).unwrap()).unwrap();
    assert!(cert
        .public_key
        .verify_sha256(b"m", &key.sign_sha256(b"m").unwrap()));
}

#[test]
fn secrets_are_redacted() {
    let key = PrivateKey::generate(Default::default()).unwrap();
    let pem = key.to_pkcs8_pem();
    let body: String = pem.lines().nth(1).unwrap().to_owned();
    assert_eq!(format!("{key:?}"), "PrivateKey(<redacted>)");
    let creds = Credentials::new("1900000001", "SERIAL", key);
    let text = format!("{creds:?}");
    assert!(
        text.contains("1900000001") && text.contains("<redacted>") && !text.contains(&body),
        "{text}"
    );
    let apiv3 = ApiV3Key::new("0123456789abcdefghijklmnopqrstuv").unwrap();
    assert_eq!(format!("{apiv3:?}"), "ApiV3Key(<redacted>)");
}
