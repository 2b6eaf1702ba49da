//! Loading keys: both PEM forms load, and each kind of wrong input gives its own typed error.
//! Secrets never show in `Debug` or errors.

use std::path::Path;
use std::process::Command;

use wechatpay_core::Backend;
use wechatpay_core::{ApiV3Key, Certificate, Credentials, KeyError, PrivateKey, PublicKey};

/// Runs the `openssl` CLI and gives the text of its `-out` file.
fn openssl(args: &[&str], dir: &std::path::Path) -> String {
    run_openssl(args, dir);
    std::fs::read_to_string(dir.join(args[args.iter().position(|a| *a == "-out").unwrap() + 1]))
        .unwrap()
}

fn run_openssl(args: &[&str], dir: &std::path::Path) {
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

// One test per kind of key input, each generated by the `openssl` CLI. Every enabled backend
// loads the input; they must all give the same answer (with `--all-features`, aws-lc and
// rust-crypto), and that answer must be the expected one.

fn backends() -> Vec<Backend> {
    // The default is aws-lc when enabled, else rust-crypto.
    #[allow(unused_mut)]
    let mut all = vec![Backend::default()];
    #[cfg(all(feature = "aws-lc", feature = "rust-crypto"))]
    all.push(Backend::RustCrypto);
    all
}

/// Loads with every backend, checks that they agree, and gives the common answer.
fn same_on_every_backend<T>(load: impl Fn(Backend) -> Result<T, KeyError>) -> Result<(), KeyError> {
    let results: Vec<Result<(), KeyError>> = backends()
        .into_iter()
        .map(|b| load(b).map(|_| ()))
        .collect();
    assert!(
        results.windows(2).all(|pair| pair[0] == pair[1]),
        "the backends disagree: {results:?}"
    );
    results[0].clone()
}

fn private(pem: &str) -> Result<(), KeyError> {
    same_on_every_backend(|b| PrivateKey::from_pem_with(pem, b))
}

fn public(pem: &str) -> Result<(), KeyError> {
    same_on_every_backend(|b| PublicKey::from_pem_with(pem, b))
}

fn certificate(pem: &str) -> Result<(), KeyError> {
    same_on_every_backend(|b| Certificate::from_pem_with(pem, b))
}

/// `genpkey` with these options, as PKCS#8 PEM in `name`.
fn genpkey(dir: &Path, name: &str, options: &[&str]) -> String {
    let mut args = vec!["genpkey"];
    args.extend_from_slice(options);
    args.extend_from_slice(&["-out", name]);
    openssl(&args, dir)
}

fn rsa_key(dir: &Path, name: &str, bits: u32) -> String {
    genpkey(
        dir,
        name,
        &[
            "-algorithm",
            "RSA",
            "-pkeyopt",
            &format!("rsa_keygen_bits:{bits}"),
        ],
    )
}

/// The SPKI `PUBLIC KEY` of a key file.
fn spki(dir: &Path, key: &str) -> String {
    let out = format!("{key}.pub");
    openssl(&["pkey", "-in", key, "-pubout", "-out", &out], dir)
}

/// A self-signed certificate for a key file.
fn self_signed(dir: &Path, key: &str) -> String {
    let out = format!("{key}.crt");
    openssl(
        &[
            "req", "-x509", "-key", key, "-subj", "/CN=test", "-days", "1", "-out", &out,
        ],
        dir,
    )
}

/// A key file as PKCS#8 DER.
fn pkcs8_der(dir: &Path, key: &str) -> Vec<u8> {
    let out = format!("{key}.der");
    run_openssl(
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", key, "-outform", "DER", "-out", &out,
        ],
        dir,
    );
    std::fs::read(dir.join(out)).unwrap()
}

/// DER wrapped as PEM with this label (base64 by the CLI).
fn pem_of(dir: &Path, label: &str, der: &[u8]) -> String {
    std::fs::write(dir.join("raw.der"), der).unwrap();
    let body = openssl(&["base64", "-in", "raw.der", "-out", "raw.b64"], dir);
    format!("-----BEGIN {label}-----\n{body}-----END {label}-----\n")
}

#[test]
fn rsa_2048_pkcs8_private_key() {
    let dir = tempfile::tempdir().unwrap();
    let pem = rsa_key(dir.path(), "k.pem", 2048);
    assert!(pem.contains("BEGIN PRIVATE KEY"));
    assert_eq!(private(&pem), Ok(()));
}

#[test]
fn rsa_2048_pkcs1_private_key() {
    let dir = tempfile::tempdir().unwrap();
    rsa_key(dir.path(), "k.pem", 2048);
    let pem = openssl(
        &["rsa", "-in", "k.pem", "-traditional", "-out", "k1.pem"],
        dir.path(),
    );
    assert!(pem.contains("BEGIN RSA PRIVATE KEY"));
    assert_eq!(private(&pem), Ok(()));
}

#[test]
fn rsa_2048_spki_public_key() {
    let dir = tempfile::tempdir().unwrap();
    rsa_key(dir.path(), "k.pem", 2048);
    let pem = spki(dir.path(), "k.pem");
    assert!(pem.contains("BEGIN PUBLIC KEY"));
    assert_eq!(public(&pem), Ok(()));
}

#[test]
fn rsa_2048_pkcs1_public_key() {
    let dir = tempfile::tempdir().unwrap();
    rsa_key(dir.path(), "k.pem", 2048);
    let pem = openssl(
        &["rsa", "-in", "k.pem", "-RSAPublicKey_out", "-out", "p1.pem"],
        dir.path(),
    );
    assert!(pem.contains("BEGIN RSA PUBLIC KEY"));
    assert_eq!(public(&pem), Ok(()));
    // The same key as SPKI loads to the same key.
    let spki = spki(dir.path(), "k.pem");
    for backend in backends() {
        assert_eq!(
            PublicKey::from_pem_with(&pem, backend).unwrap().to_pem(),
            PublicKey::from_pem_with(&spki, backend).unwrap().to_pem()
        );
    }
}

#[test]
fn rsa_2048_certificate() {
    let dir = tempfile::tempdir().unwrap();
    rsa_key(dir.path(), "k.pem", 2048);
    let pem = self_signed(dir.path(), "k.pem");
    assert_eq!(certificate(&pem), Ok(()));
    // A certificate is also accepted where a public key is expected.
    assert_eq!(public(&pem), Ok(()));
}

#[test]
fn rsa_1024_keys() {
    let dir = tempfile::tempdir().unwrap();
    let pem = rsa_key(dir.path(), "k.pem", 1024);
    let wrong = Err(KeyError::WrongSize { bits: 1024 });
    assert_eq!(private(&pem), wrong);
    assert_eq!(public(&spki(dir.path(), "k.pem")), wrong);
    assert_eq!(certificate(&self_signed(dir.path(), "k.pem")), wrong);
}

#[test]
fn rsa_4096_keys() {
    let dir = tempfile::tempdir().unwrap();
    let pem = rsa_key(dir.path(), "k.pem", 4096);
    let wrong = Err(KeyError::WrongSize { bits: 4096 });
    assert_eq!(private(&pem), wrong);
    assert_eq!(public(&spki(dir.path(), "k.pem")), wrong);
}

#[test]
fn rsa_exponent_3_keys() {
    let dir = tempfile::tempdir().unwrap();
    let pem = genpkey(
        dir.path(),
        "k.pem",
        &[
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-pkeyopt",
            "rsa_keygen_pubexp:3",
        ],
    );
    let pkcs1 = openssl(
        &["rsa", "-in", "k.pem", "-traditional", "-out", "k1.pem"],
        dir.path(),
    );
    let public_pkcs1 = openssl(
        &["rsa", "-in", "k.pem", "-RSAPublicKey_out", "-out", "p1.pem"],
        dir.path(),
    );
    let wrong = Err(KeyError::WrongExponent { exponent: 3 });
    assert_eq!(private(&pem), wrong);
    assert_eq!(private(&pkcs1), wrong);
    assert_eq!(public(&spki(dir.path(), "k.pem")), wrong);
    assert_eq!(public(&public_pkcs1), wrong);
    assert_eq!(certificate(&self_signed(dir.path(), "k.pem")), wrong);
}

#[test]
fn rsa_pss_keys() {
    let dir = tempfile::tempdir().unwrap();
    let pem = genpkey(
        dir.path(),
        "k.pem",
        &["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    let wrong = KeyError::NotRsa {
        algorithm: "RSA-PSS",
    };
    assert!(wrong.to_string().contains("RSA-PSS"), "{wrong}");
    assert_eq!(private(&pem), Err(wrong.clone()));
    assert_eq!(public(&spki(dir.path(), "k.pem")), Err(wrong.clone()));
    assert_eq!(certificate(&self_signed(dir.path(), "k.pem")), Err(wrong));
}

#[test]
fn ec_p256_keys() {
    let dir = tempfile::tempdir().unwrap();
    let pem = genpkey(
        dir.path(),
        "k.pem",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    let sec1 = openssl(&["ec", "-in", "k.pem", "-out", "sec1.pem"], dir.path());
    assert!(sec1.contains("BEGIN EC PRIVATE KEY"));
    let wrong = Err(KeyError::NotRsa { algorithm: "EC" });
    assert_eq!(private(&pem), wrong);
    assert_eq!(private(&sec1), wrong);
    assert_eq!(public(&spki(dir.path(), "k.pem")), wrong);
    assert_eq!(certificate(&self_signed(dir.path(), "k.pem")), wrong);
}

#[test]
fn ed25519_keys() {
    let dir = tempfile::tempdir().unwrap();
    let pem = genpkey(dir.path(), "k.pem", &["-algorithm", "ED25519"]);
    let wrong = Err(KeyError::NotRsa {
        algorithm: "Ed25519",
    });
    assert_eq!(private(&pem), wrong);
    assert_eq!(public(&spki(dir.path(), "k.pem")), wrong);
    assert_eq!(certificate(&self_signed(dir.path(), "k.pem")), wrong);
}

#[test]
fn malformed_der() {
    let dir = tempfile::tempdir().unwrap();
    rsa_key(dir.path(), "k.pem", 2048);
    let der = pkcs8_der(dir.path(), "k.pem");
    let truncated = pem_of(dir.path(), "PRIVATE KEY", &der[..der.len() - 1]);
    let mut trailing = der.clone();
    trailing.push(0);
    let trailing = pem_of(dir.path(), "PRIVATE KEY", &trailing);
    let garbage = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    for pem in [truncated.as_str(), &trailing, garbage] {
        assert!(matches!(private(pem), Err(KeyError::Malformed(_))), "{pem}");
    }
    for label in ["PUBLIC KEY", "RSA PUBLIC KEY", "RSA PRIVATE KEY"] {
        let pem = pem_of(dir.path(), label, &der);
        let result = if label == "RSA PRIVATE KEY" {
            private(&pem)
        } else {
            public(&pem)
        };
        assert!(
            matches!(result, Err(KeyError::Malformed(_))),
            "{label}: {result:?}"
        );
    }
    let broken = pem_of(dir.path(), "CERTIFICATE", &der);
    assert!(matches!(
        certificate(&broken),
        Err(KeyError::Certificate(_))
    ));
}

#[test]
fn inconsistent_crt_values() {
    let dir = tempfile::tempdir().unwrap();
    rsa_key(dir.path(), "k.pem", 2048);
    run_openssl(
        &[
            "rsa",
            "-in",
            "k.pem",
            "-traditional",
            "-outform",
            "DER",
            "-out",
            "k1.der",
        ],
        dir.path(),
    );
    // The last field of a PKCS#1 key is the CRT coefficient qInv: change its lowest bit.
    let mut der = std::fs::read(dir.path().join("k1.der")).unwrap();
    *der.last_mut().unwrap() ^= 1;
    let pem = pem_of(dir.path(), "RSA PRIVATE KEY", &der);
    assert_eq!(private(&pem), Err(KeyError::Inconsistent));
}

#[test]
fn wrong_pem_label() {
    let dir = tempfile::tempdir().unwrap();
    let key = rsa_key(dir.path(), "k.pem", 2048);
    let public_pem = spki(dir.path(), "k.pem");
    let label = |result: Result<(), KeyError>| match result {
        Err(KeyError::WrongPemLabel { found, .. }) => found,
        other => panic!("{other:?}"),
    };
    assert_eq!(label(private(&public_pem)), "PUBLIC KEY");
    assert_eq!(label(public(&key)), "PRIVATE KEY");
    assert_eq!(label(certificate(&public_pem)), "PUBLIC KEY");
    let encrypted = openssl(
        &[
            "pkcs8", "-topk8", "-in", "k.pem", "-passout", "pass:x", "-out", "e.pem",
        ],
        dir.path(),
    );
    assert_eq!(label(private(&encrypted)), "ENCRYPTED PRIVATE KEY");
    // A legacy encrypted PKCS#1 key says so.
    let legacy = openssl(
        &[
            "rsa",
            "-in",
            "k.pem",
            "-traditional",
            "-aes256",
            "-passout",
            "pass:x",
            "-out",
            "e1.pem",
        ],
        dir.path(),
    );
    assert!(matches!(private(&legacy), Err(KeyError::Malformed(m)) if m.contains("encrypted")));
    assert!(matches!(private("not a pem"), Err(KeyError::NotPem(_))));
    assert!(matches!(public(""), Err(KeyError::NotPem(_))));
}

#[test]
fn text_that_is_not_pem_is_explained_in_words() {
    let cases = [
        ("", "BEGIN"),
        ("apiclient_key.pem", "BEGIN"),
        (
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ",
            "BEGIN",
        ),
        (
            "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n",
            "END",
        ),
        (
            "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PUBLIC KEY-----\n",
            "begins as `PRIVATE KEY` and ends as `PUBLIC KEY`",
        ),
        (
            "-----BEGIN PRIVATE KEY-----\n@@@@\n-----END PRIVATE KEY-----\n",
            "not base64",
        ),
    ];
    for (text, says) in cases {
        let err = match PrivateKey::from_pem(text) {
            Err(e @ KeyError::NotPem(_)) => e.to_string(),
            other => panic!("{text:?}: {other:?}"),
        };
        assert!(err.starts_with("not a PEM document: "), "{err}");
        assert!(err.contains(says), "{text:?}: {err}");
        assert!(!err.contains("malformedframing"), "{err}");
    }
}
