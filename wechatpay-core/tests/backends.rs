//! The two crypto backends agree: identical signatures, each decrypts the other's OAEP output,
//! and both pass the AES-256-GCM known-answer test. That both take and refuse the same key inputs
//! with the same error is checked input by input in `keys.rs`.
#![cfg(all(feature = "aws-lc", feature = "rust-crypto"))]

use wechatpay_core::{__private::aes_256_gcm_decrypt_with, Backend};
use wechatpay_core::{PrivateKey, PublicKey};

fn pair() -> (PrivateKey, PrivateKey, String) {
    let aws = PrivateKey::generate(Backend::AwsLc).unwrap();
    let pem = aws.to_pkcs8_pem();
    let rust = PrivateKey::from_pem_with(&pem, Backend::RustCrypto).unwrap();
    (aws, rust, aws_public_pem(&pem))
}

fn aws_public_pem(private_pem: &str) -> String {
    PrivateKey::from_pem_with(private_pem, Backend::AwsLc)
        .unwrap()
        .public_key()
        .unwrap()
        .to_pem()
}

#[test]
fn signatures_are_byte_identical() {
    let (aws, rust, _) = pair();
    for message in [
        &b""[..],
        b"GET\n/v3/certificates\n1700000000\nabc\n\n",
        &[0xE5u8; 4096][..],
    ] {
        assert_eq!(
            aws.sign_sha256(message).unwrap(),
            rust.sign_sha256(message).unwrap()
        );
    }
}

#[test]
fn each_backend_decrypts_the_others_oaep() {
    let (aws, rust, public_pem) = pair();
    let aws_pub = PublicKey::from_pem_with(&public_pem, Backend::AwsLc).unwrap();
    let rust_pub = PublicKey::from_pem_with(&public_pem, Backend::RustCrypto).unwrap();
    let secret = b"example_bal_account_no";
    assert_eq!(
        rust.decrypt_oaep(&aws_pub.encrypt_oaep(secret).unwrap())
            .unwrap()
            .as_slice(),
        secret
    );
    assert_eq!(
        aws.decrypt_oaep(&rust_pub.encrypt_oaep(secret).unwrap())
            .unwrap()
            .as_slice(),
        secret
    );
    // Each backend verifies the other's signature.
    let sig = rust.sign_sha256(b"m").unwrap();
    assert!(aws_pub.verify_sha256(b"m", &sig) && rust_pub.verify_sha256(b"m", &sig));
    // 214 bytes is the OAEP-SHA1 limit for RSA-2048, on both.
    for public in [&aws_pub, &rust_pub] {
        assert!(public.encrypt_oaep(&[b'a'; 214]).is_ok());
        assert!(matches!(
            public.encrypt_oaep(&[b'a'; 215]),
            Err(wechatpay_core::CryptoError::PlaintextTooLong { len: 215 })
        ));
    }
}

#[test]
fn aes_256_gcm_known_answer() {
    // Test case 14 of the GCM specification (McGrew & Viega): zero key, IV and plaintext.
    let key = [0u8; 32];
    let nonce = [0u8; 12];
    let expected = hex("cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
    assert_eq!(
        wechatpay_core::__private::aes_256_gcm_encrypt(&key, &nonce, b"", &[0u8; 16]).unwrap(),
        expected
    );
    for backend in [Backend::AwsLc, Backend::RustCrypto] {
        assert_eq!(
            aes_256_gcm_decrypt_with(backend, &key, &nonce, b"", &expected)
                .unwrap()
                .as_slice(),
            &[0u8; 16]
        );
        let mut tampered = expected.clone();
        tampered[3] ^= 1;
        assert!(
            aes_256_gcm_decrypt_with(backend, &key, &nonce, b"", &tampered).is_err(),
            "{backend:?} authenticates"
        );
        assert!(
            aes_256_gcm_decrypt_with(backend, &key, &nonce, b"aad", &expected).is_err(),
            "{backend:?} binds the AAD"
        );
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

#[test]
fn keys_generated_by_either_backend_load_on_the_other() {
    // Each backend accepts a private key only if its own encoding of it gives back the
    // parser's canonical bytes; a key from one backend must pass that check on the other.
    for (from, to) in [
        (Backend::AwsLc, Backend::RustCrypto),
        (Backend::RustCrypto, Backend::AwsLc),
    ] {
        let key = PrivateKey::generate(from).unwrap();
        let pem = key.to_pkcs8_pem();
        let other = PrivateKey::from_pem_with(&pem, to).unwrap();
        assert_eq!(other.to_pkcs8_pem(), pem);
        assert_eq!(
            key.sign_sha256(b"m").unwrap(),
            other.sign_sha256(b"m").unwrap()
        );
        let public = key.public_key().unwrap().to_pem();
        assert_eq!(
            PublicKey::from_pem_with(&public, to).unwrap().to_pem(),
            public
        );
    }
}
