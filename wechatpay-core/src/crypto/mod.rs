//! RSA and AES-GCM, behind two interchangeable backends; SM2 and SM4-GCM with the `shangmi`
//! feature (the `sm` module, on the RustCrypto `sm2`/`sm4` crates whatever the backend).
//!
//! - `aws-lc` (default): aws-lc-rs, the library rustls already uses; signs at OpenSSL speed.
//! - `rust-crypto`: pure Rust on `rsa` + `sha2` + `aes-gcm`, for targets without a C compiler.
//!   **Advisory:** the `rsa` crate is subject to RUSTSEC-2023-0071 (the "Marvin" timing
//!   side-channel on RSA decryption and signing). There is no fixed release; prefer the default
//!   backend wherever the signing host can be observed by an attacker over the network.
//!
//! Both give byte-identical PKCS#1 v1.5 signatures (the scheme is deterministic), and each
//! decrypts the other's OAEP output; the tests check both.
//!
//! Neither backend decides which keys are acceptable. Every key and certificate is first read
//! by one parser (on the RustCrypto `der`/`spki`/`pkcs8`/`pkcs1`/`x509-cert` crates) that
//! identifies the algorithm from the real AlgorithmIdentifier and requires RSA
//! (`rsaEncryption`), a 2048-bit modulus and the public exponent 65537; the backend then gets
//! only canonical DER, and must re-encode it to the same bytes. So both backends accept and
//! refuse the same inputs, with the same [`KeyError`].

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::error::{CryptoError, KeyError};

pub(crate) mod parse;
#[cfg(feature = "shangmi")]
pub(crate) mod sm;

use parse::{RsaPrivateDer, RsaPublicDer};

#[cfg(not(any(feature = "aws-lc", feature = "rust-crypto")))]
compile_error!(
    "wechatpay-core needs a crypto backend: enable the `aws-lc` (default) or `rust-crypto` feature"
);

/// The base64 alphabet WeChat Pay uses (standard, padded).
pub(crate) const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// A crypto backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// aws-lc-rs.
    #[cfg(feature = "aws-lc")]
    AwsLc,
    /// `rsa` + `sha2` + `aes-gcm` (see RUSTSEC-2023-0071 in the module docs).
    #[cfg(feature = "rust-crypto")]
    RustCrypto,
}

impl Default for Backend {
    /// `AwsLc` when enabled, `RustCrypto` otherwise.
    fn default() -> Self {
        #[cfg(feature = "aws-lc")]
        return Backend::AwsLc;
        #[cfg(not(feature = "aws-lc"))]
        return Backend::RustCrypto;
    }
}

/// A backend refused, or re-encoded differently, a key the parser accepted.
fn inconsistent<E>(_: E) -> KeyError {
    KeyError::Inconsistent
}

enum PrivateInner {
    #[cfg(feature = "aws-lc")]
    AwsLc {
        sign: aws_lc_rs::rsa::KeyPair,
        decrypt: aws_lc_rs::rsa::OaepPrivateDecryptingKey,
    },
    #[cfg(feature = "rust-crypto")]
    RustCrypto(Box<rsa::RsaPrivateKey>),
    #[cfg(feature = "shangmi")]
    Sm2(Box<sm2::SecretKey>),
}

/// The `Authorization` scheme of RSA keys.
const SCHEME_RSA: &str = "WECHATPAY2-SHA256-RSA2048";
/// The `Authorization` scheme of SM2 keys.
#[cfg(feature = "shangmi")]
const SCHEME_SM2: &str = "WECHATPAY2-SM2-WITH-SM3";

/// Whether an RSA parse refused a key only for being an elliptic-curve key, which may be SM2.
#[cfg(feature = "shangmi")]
fn maybe_sm2(error: &KeyError) -> bool {
    matches!(error, KeyError::NotRsa { algorithm } if *algorithm == "EC" || *algorithm == "SM2")
}

/// The merchant's API key: RSA-2048, or SM2 with the `shangmi` feature. Its memory is cleared on
/// drop (by aws-lc's free, or by `rsa`'s and `sm2`'s `ZeroizeOnDrop`), and `Debug` never prints
/// it.
pub struct PrivateKey {
    inner: PrivateInner,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

impl PrivateKey {
    /// Loads a PEM private key (`PRIVATE KEY` PKCS#8, or `RSA PRIVATE KEY` PKCS#1) with the
    /// default backend.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        Self::from_pem_with(pem, Backend::default())
    }

    /// Loads a PEM private key file with the default backend.
    pub fn from_pem_file(path: impl AsRef<std::path::Path>) -> Result<Self, KeyError> {
        let path = path.as_ref();
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| KeyError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?);
        Self::from_pem(&text)
    }

    /// Loads a PEM private key with the given backend. The key is validated (algorithm, size,
    /// exponent, structure) before the backend sees it, so both backends take and refuse the
    /// same keys with the same error.
    ///
    /// With the `shangmi` feature, an SM2 key (PKCS#8 `PRIVATE KEY` on the SM2 curve) is read
    /// too; the backend is then irrelevant.
    pub fn from_pem_with(pem: &str, backend: Backend) -> Result<Self, KeyError> {
        match parse::private_key_pem(pem) {
            Ok(key) => Self::load(&key, backend),
            // An EC key on another curve keeps the RSA parser's error.
            #[cfg(feature = "shangmi")]
            Err(e) if maybe_sm2(&e) => match sm::private_key_pem(pem) {
                Ok(key) => Ok(Self {
                    inner: PrivateInner::Sm2(Box::new(key)),
                }),
                Err(_) => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    /// Generates a fresh SM2 key (for tests and the mock platform).
    #[cfg(feature = "shangmi")]
    pub fn generate_sm2() -> Self {
        Self {
            inner: PrivateInner::Sm2(Box::new(sm::generate())),
        }
    }

    /// The `Authorization` scheme this key signs for: `WECHATPAY2-SHA256-RSA2048`, or
    /// `WECHATPAY2-SM2-WITH-SM3` for an SM2 key.
    pub fn scheme(&self) -> &'static str {
        #[cfg(feature = "shangmi")]
        if let PrivateInner::Sm2(_) = &self.inner {
            return SCHEME_SM2;
        }
        SCHEME_RSA
    }

    /// Signs as WeChat Pay expects of this key: RSASSA-PKCS1-v1_5 with SHA-256 for an RSA key;
    /// SM2 with SM3 and the user id `1234567812345678`, DER-encoded, for an SM2 key.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        #[cfg(feature = "shangmi")]
        if let PrivateInner::Sm2(key) = &self.inner {
            return sm::sign(key, message);
        }
        self.sign_sha256(message)
    }

    /// Decrypts a field the platform encrypted with the merchant's public key: RSAES-OAEP
    /// (SHA-1, MGF1-SHA-1) for an RSA key; SM2 (`C1C3C2`, DER) for an SM2 key.
    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        #[cfg(feature = "shangmi")]
        if let PrivateInner::Sm2(key) = &self.inner {
            return sm::decrypt(key, ciphertext);
        }
        self.decrypt_oaep(ciphertext)
    }

    /// Builds the backend's key from validated material. The backend's own encoding of the key
    /// must give back the same bytes: that is, every number (CRT values included) is what the
    /// input says, and a backend that would quietly recompute one refuses instead.
    fn load(key: &RsaPrivateDer, backend: Backend) -> Result<Self, KeyError> {
        let inner = match backend {
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => {
                use aws_lc_rs::encoding::AsDer;
                let sign = aws_lc_rs::rsa::KeyPair::from_pkcs8(&key.pkcs8).map_err(inconsistent)?;
                let again = sign.as_der().map_err(inconsistent)?;
                if again.as_ref() != key.pkcs8.as_slice() {
                    return Err(KeyError::Inconsistent);
                }
                let decrypt = aws_lc_rs::rsa::PrivateDecryptingKey::from_pkcs8(&key.pkcs8)
                    .map_err(inconsistent)?;
                let decrypt =
                    aws_lc_rs::rsa::OaepPrivateDecryptingKey::new(decrypt).map_err(inconsistent)?;
                PrivateInner::AwsLc { sign, decrypt }
            }
            #[cfg(feature = "rust-crypto")]
            Backend::RustCrypto => {
                use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
                let rsa_key =
                    rsa::RsaPrivateKey::from_pkcs8_der(&key.pkcs8).map_err(inconsistent)?;
                let again = rsa_key.to_pkcs8_der().map_err(inconsistent)?;
                if again.as_bytes() != key.pkcs8.as_slice() {
                    return Err(KeyError::Inconsistent);
                }
                PrivateInner::RustCrypto(Box::new(rsa_key))
            }
        };
        Ok(Self { inner })
    }

    /// Generates a fresh RSA-2048 key (for tests and the mock platform).
    pub fn generate(backend: Backend) -> Result<Self, KeyError> {
        let pkcs8: Zeroizing<Vec<u8>> = match backend {
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => {
                use aws_lc_rs::encoding::AsDer;
                let key = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                    .map_err(|e| KeyError::Malformed(e.to_string()))?;
                let der = key
                    .as_der()
                    .map_err(|e| KeyError::Malformed(e.to_string()))?;
                Zeroizing::new(der.as_ref().to_vec())
            }
            #[cfg(feature = "rust-crypto")]
            Backend::RustCrypto => {
                use rsa::pkcs8::EncodePrivateKey;
                let key = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
                    .map_err(|e| KeyError::Malformed(e.to_string()))?;
                let der = key
                    .to_pkcs8_der()
                    .map_err(|e| KeyError::Malformed(e.to_string()))?;
                Zeroizing::new(der.as_bytes().to_vec())
            }
        };
        Self::load(&parse::private_key_pkcs8(&pkcs8)?, backend)
    }

    /// The key as PKCS#8 PEM, in memory that is cleared on drop.
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        let der: Zeroizing<Vec<u8>> = match &self.inner {
            #[cfg(feature = "shangmi")]
            PrivateInner::Sm2(key) => return sm::private_key_to_pem(key),
            #[cfg(feature = "aws-lc")]
            PrivateInner::AwsLc { sign, .. } => {
                use aws_lc_rs::encoding::AsDer;
                Zeroizing::new(
                    sign.as_der()
                        .map(|d| d.as_ref().to_vec())
                        .unwrap_or_default(),
                )
            }
            #[cfg(feature = "rust-crypto")]
            PrivateInner::RustCrypto(key) => {
                use rsa::pkcs8::EncodePrivateKey;
                Zeroizing::new(
                    key.to_pkcs8_der()
                        .map(|d| d.as_bytes().to_vec())
                        .unwrap_or_default(),
                )
            }
        };
        Zeroizing::new(pem::encode(&pem::Pem::new("PRIVATE KEY", der.to_vec())))
    }

    /// The matching public key.
    pub fn public_key(&self) -> Result<PublicKey, KeyError> {
        match &self.inner {
            #[cfg(feature = "aws-lc")]
            PrivateInner::AwsLc { sign, .. } => {
                use aws_lc_rs::encoding::AsDer;
                use aws_lc_rs::signature::KeyPair as _;
                let spki = sign
                    .public_key()
                    .as_der()
                    .map_err(|e| KeyError::Malformed(e.to_string()))?;
                PublicKey::from_spki_der(spki.as_ref(), Backend::AwsLc)
            }
            #[cfg(feature = "rust-crypto")]
            PrivateInner::RustCrypto(key) => Ok(PublicKey {
                inner: PublicInner::RustCrypto(key.to_public_key()),
            }),
            #[cfg(feature = "shangmi")]
            PrivateInner::Sm2(key) => Ok(PublicKey {
                inner: PublicInner::Sm2(key.public_key()),
            }),
        }
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 ([`CryptoError::NotRsa`] for an SM2 key).
    pub fn sign_sha256(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match &self.inner {
            #[cfg(feature = "shangmi")]
            PrivateInner::Sm2(_) => Err(CryptoError::NotRsa),
            #[cfg(feature = "aws-lc")]
            PrivateInner::AwsLc { sign, .. } => {
                let mut sig = vec![0; sign.public_modulus_len()];
                sign.sign(
                    &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                    &aws_lc_rs::rand::SystemRandom::new(),
                    message,
                    &mut sig,
                )
                .map_err(|_| CryptoError::Sign)?;
                Ok(sig)
            }
            #[cfg(feature = "rust-crypto")]
            PrivateInner::RustCrypto(key) => {
                use sha2::Digest;
                let digest = sha2::Sha256::digest(message);
                key.sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &digest)
                    .map_err(|_| CryptoError::Sign)
            }
        }
    }

    /// RSAES-OAEP with SHA-1 and MGF1-SHA-1: decrypts a field the platform encrypted with the
    /// merchant's public key ([`CryptoError::NotRsa`] for an SM2 key).
    pub fn decrypt_oaep(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        match &self.inner {
            #[cfg(feature = "shangmi")]
            PrivateInner::Sm2(_) => Err(CryptoError::NotRsa),
            #[cfg(feature = "aws-lc")]
            PrivateInner::AwsLc { decrypt, .. } => {
                let mut out = Zeroizing::new(vec![0; decrypt.min_output_size()]);
                let n = decrypt
                    .decrypt(
                        &aws_lc_rs::rsa::OAEP_SHA1_MGF1SHA1,
                        ciphertext,
                        &mut out,
                        None,
                    )
                    .map_err(|_| CryptoError::Decrypt)?
                    .len();
                out.truncate(n);
                Ok(out)
            }
            #[cfg(feature = "rust-crypto")]
            PrivateInner::RustCrypto(key) => key
                .decrypt(rsa::Oaep::new::<sha1::Sha1>(), ciphertext)
                .map(Zeroizing::new)
                .map_err(|_| CryptoError::Decrypt),
        }
    }

    /// Decrypts a base64 field into text ([`PrivateKey::decrypt`]).
    pub fn decrypt_field(&self, base64_ciphertext: &str) -> Result<Zeroizing<String>, CryptoError> {
        let ct = B64
            .decode(base64_ciphertext.trim())
            .map_err(|_| CryptoError::Decrypt)?;
        let plain = self.decrypt(&ct)?;
        String::from_utf8(plain.to_vec())
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::Decrypt)
    }
}

#[derive(Clone)]
enum PublicInner {
    #[cfg(feature = "aws-lc")]
    AwsLc {
        verify: std::sync::Arc<aws_lc_rs::signature::ParsedPublicKey>,
        encrypt: aws_lc_rs::rsa::PublicEncryptingKey,
    },
    #[cfg(feature = "rust-crypto")]
    RustCrypto(rsa::RsaPublicKey),
    #[cfg(feature = "shangmi")]
    Sm2(sm2::PublicKey),
}

/// A WeChat Pay public key or the key of a platform certificate: RSA-2048, or SM2 with the
/// `shangmi` feature.
#[derive(Clone)]
pub struct PublicKey {
    inner: PublicInner,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.scheme() {
            SCHEME_RSA => f.write_str("PublicKey(RSA-2048)"),
            _ => f.write_str("PublicKey(SM2)"),
        }
    }
}

impl PublicKey {
    /// Loads a `PUBLIC KEY` (SPKI) or `RSA PUBLIC KEY` (PKCS#1) PEM with the default backend.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        Self::from_pem_with(pem, Backend::default())
    }

    /// Loads a public key PEM file with the default backend.
    pub fn from_pem_file(path: impl AsRef<std::path::Path>) -> Result<Self, KeyError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| KeyError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_pem(&text)
    }

    /// Loads a public key PEM with the given backend: `PUBLIC KEY` (SPKI), `RSA PUBLIC KEY`
    /// (PKCS#1), or the key of a `CERTIFICATE`. The key is validated before the backend sees it,
    /// so both backends take and refuse the same keys with the same error.
    ///
    /// With the `shangmi` feature, an SM2 key (SPKI on the SM2 curve, or a certificate's) is
    /// read too; the backend is then irrelevant.
    pub fn from_pem_with(pem: &str, backend: Backend) -> Result<Self, KeyError> {
        match parse::public_key_pem(pem) {
            Ok(key) => Self::load(&key, backend),
            #[cfg(feature = "shangmi")]
            Err(e) if maybe_sm2(&e) => {
                let block = parse::parse_pem(pem)?;
                let sm2 = match block.tag() {
                    "CERTIFICATE" => Self::sm2(&parse::certificate_der(block.contents())?.spki),
                    _ => Self::sm2(block.contents()),
                };
                sm2.map_err(|_| e)
            }
            Err(e) => Err(e),
        }
    }

    /// From DER `SubjectPublicKeyInfo` (RSA, or SM2 with the `shangmi` feature).
    pub fn from_spki_der(der: &[u8], backend: Backend) -> Result<Self, KeyError> {
        match parse::public_key_spki(der) {
            Ok(key) => Self::load(&key, backend),
            #[cfg(feature = "shangmi")]
            Err(e) if maybe_sm2(&e) => Self::sm2(der).map_err(|_| e),
            Err(e) => Err(e),
        }
    }

    /// An SM2 key from DER `SubjectPublicKeyInfo`.
    #[cfg(feature = "shangmi")]
    fn sm2(spki: &[u8]) -> Result<Self, KeyError> {
        Ok(Self {
            inner: PublicInner::Sm2(sm::public_key_spki(spki)?),
        })
    }

    /// The `Authorization` scheme of the keys this key checks: `WECHATPAY2-SHA256-RSA2048`,
    /// or `WECHATPAY2-SM2-WITH-SM3` for an SM2 key.
    pub fn scheme(&self) -> &'static str {
        #[cfg(feature = "shangmi")]
        if let PublicInner::Sm2(_) = &self.inner {
            return SCHEME_SM2;
        }
        SCHEME_RSA
    }

    /// Checks a signature as WeChat Pay makes them with this key's algorithm: RSASSA-PKCS1-v1_5
    /// with SHA-256, or SM2 with SM3 (user id `1234567812345678`, DER) for an SM2 key.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        #[cfg(feature = "shangmi")]
        if let PublicInner::Sm2(key) = &self.inner {
            return sm::verify(key, message, signature);
        }
        self.verify_sha256(message, signature)
    }

    /// Builds the backend's key from validated material; as for private keys, the backend's
    /// own encoding must give back the same bytes.
    pub(crate) fn load(key: &RsaPublicDer, backend: Backend) -> Result<Self, KeyError> {
        match backend {
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => {
                use aws_lc_rs::encoding::AsDer;
                let encrypt = aws_lc_rs::rsa::PublicEncryptingKey::from_der(&key.spki)
                    .map_err(inconsistent)?;
                let again = encrypt.as_der().map_err(inconsistent)?;
                if again.as_ref() != key.spki.as_slice() {
                    return Err(KeyError::Inconsistent);
                }
                let verify = aws_lc_rs::signature::ParsedPublicKey::new(
                    &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
                    &key.spki,
                )
                .map_err(inconsistent)?;
                Ok(Self {
                    inner: PublicInner::AwsLc {
                        verify: std::sync::Arc::new(verify),
                        encrypt,
                    },
                })
            }
            #[cfg(feature = "rust-crypto")]
            Backend::RustCrypto => {
                use rsa::pkcs8::{DecodePublicKey, EncodePublicKey};
                let rsa_key =
                    rsa::RsaPublicKey::from_public_key_der(&key.spki).map_err(inconsistent)?;
                let again = rsa_key.to_public_key_der().map_err(inconsistent)?;
                if again.as_bytes() != key.spki.as_slice() {
                    return Err(KeyError::Inconsistent);
                }
                Ok(Self {
                    inner: PublicInner::RustCrypto(rsa_key),
                })
            }
        }
    }

    /// The key as `PUBLIC KEY` (SPKI) PEM.
    pub fn to_pem(&self) -> String {
        let der = match &self.inner {
            #[cfg(feature = "aws-lc")]
            PublicInner::AwsLc { encrypt, .. } => {
                use aws_lc_rs::encoding::AsDer;
                encrypt
                    .as_der()
                    .map(|d| d.as_ref().to_vec())
                    .unwrap_or_default()
            }
            #[cfg(feature = "rust-crypto")]
            PublicInner::RustCrypto(key) => {
                use rsa::pkcs8::EncodePublicKey;
                key.to_public_key_der()
                    .map(|d| d.as_bytes().to_vec())
                    .unwrap_or_default()
            }
            #[cfg(feature = "shangmi")]
            PublicInner::Sm2(key) => sm::public_key_der(key),
        };
        pem::encode(&pem::Pem::new("PUBLIC KEY", der))
    }

    /// Whether both are the same key (the same SPKI encoding).
    pub fn same_key(&self, other: &PublicKey) -> bool {
        self.to_pem() == other.to_pem()
    }

    /// Checks an RSASSA-PKCS1-v1_5 SHA-256 signature (`false` for an SM2 key).
    pub fn verify_sha256(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.inner {
            #[cfg(feature = "shangmi")]
            PublicInner::Sm2(_) => false,
            #[cfg(feature = "aws-lc")]
            PublicInner::AwsLc { verify, .. } => verify.verify_sig(message, signature).is_ok(),
            #[cfg(feature = "rust-crypto")]
            PublicInner::RustCrypto(key) => {
                use sha2::Digest;
                key.verify(
                    rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                    &sha2::Sha256::digest(message),
                    signature,
                )
                .is_ok()
            }
        }
    }

    /// RSAES-OAEP with SHA-1 and MGF1-SHA-1 (what WeChat Pay requires for sensitive fields;
    /// [`CryptoError::NotRsa`] for an SM2 key).
    pub fn encrypt_oaep(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match &self.inner {
            #[cfg(feature = "shangmi")]
            PublicInner::Sm2(_) => Err(CryptoError::NotRsa),
            #[cfg(feature = "aws-lc")]
            PublicInner::AwsLc { encrypt, .. } => {
                let key = aws_lc_rs::rsa::OaepPublicEncryptingKey::new(encrypt.clone())
                    .map_err(|_| CryptoError::Encrypt)?;
                if plaintext.len() > key.max_plaintext_size(&aws_lc_rs::rsa::OAEP_SHA1_MGF1SHA1) {
                    return Err(CryptoError::PlaintextTooLong {
                        len: plaintext.len(),
                    });
                }
                let mut out = vec![0; key.ciphertext_size()];
                let n = key
                    .encrypt(
                        &aws_lc_rs::rsa::OAEP_SHA1_MGF1SHA1,
                        plaintext,
                        &mut out,
                        None,
                    )
                    .map_err(|_| CryptoError::Encrypt)?
                    .len();
                out.truncate(n);
                Ok(out)
            }
            #[cfg(feature = "rust-crypto")]
            PublicInner::RustCrypto(key) => {
                if plaintext.len() > 214 {
                    return Err(CryptoError::PlaintextTooLong {
                        len: plaintext.len(),
                    });
                }
                key.encrypt(
                    &mut rand::rngs::OsRng,
                    rsa::Oaep::new::<sha1::Sha1>(),
                    plaintext,
                )
                .map_err(|_| CryptoError::Encrypt)
            }
        }
    }

    /// Encrypts a sensitive field as WeChat Pay expects of this key: RSAES-OAEP (SHA-1,
    /// MGF1-SHA-1) for an RSA key, SM2 (`C1C3C2`, DER) for an SM2 key.
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        #[cfg(feature = "shangmi")]
        if let PublicInner::Sm2(key) = &self.inner {
            return sm::encrypt(key, plaintext);
        }
        self.encrypt_oaep(plaintext)
    }

    /// Encrypts a sensitive text field ([`PublicKey::encrypt`]), then base64.
    pub fn encrypt_field(&self, plaintext: &str) -> Result<String, CryptoError> {
        Ok(B64.encode(self.encrypt(plaintext.as_bytes())?))
    }
}

/// AES-256-GCM decryption of `ciphertext‖tag` (notification resources, platform certificates).
pub fn aes_256_gcm_decrypt(
    key: &[u8; 32],
    nonce: &[u8],
    aad: &[u8],
    ciphertext_and_tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    aes_256_gcm_decrypt_with(Backend::default(), key, nonce, aad, ciphertext_and_tag)
}

/// [`aes_256_gcm_decrypt`] with a chosen backend.
pub fn aes_256_gcm_decrypt_with(
    backend: Backend,
    key: &[u8; 32],
    nonce: &[u8],
    aad: &[u8],
    ciphertext_and_tag: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if nonce.len() != 12 || ciphertext_and_tag.len() < 16 {
        return Err(CryptoError::Decrypt);
    }
    match backend {
        #[cfg(feature = "aws-lc")]
        Backend::AwsLc => {
            use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
            let key = LessSafeKey::new(
                UnboundKey::new(&AES_256_GCM, key).map_err(|_| CryptoError::Decrypt)?,
            );
            let nonce =
                Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Decrypt)?;
            let mut buf = Zeroizing::new(ciphertext_and_tag.to_vec());
            let n = key
                .open_in_place(nonce, Aad::from(aad), &mut buf)
                .map_err(|_| CryptoError::Decrypt)?
                .len();
            buf.truncate(n);
            Ok(buf)
        }
        #[cfg(feature = "rust-crypto")]
        Backend::RustCrypto => {
            use aes_gcm::aead::{Aead, KeyInit, Payload};
            let cipher =
                aes_gcm::Aes256Gcm::new_from_slice(key).map_err(|_| CryptoError::Decrypt)?;
            cipher
                .decrypt(
                    aes_gcm::Nonce::from_slice(nonce),
                    Payload {
                        msg: ciphertext_and_tag,
                        aad,
                    },
                )
                .map(Zeroizing::new)
                .map_err(|_| CryptoError::Decrypt)
        }
    }
}

/// AES-256-GCM encryption, giving `ciphertext‖tag`. The platform's side of notifications; the
/// mock and the tests use it.
pub fn aes_256_gcm_encrypt(
    key: &[u8; 32],
    nonce: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    if nonce.len() != 12 {
        return Err(CryptoError::Encrypt);
    }
    match Backend::default() {
        #[cfg(feature = "aws-lc")]
        Backend::AwsLc => {
            use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
            let key = LessSafeKey::new(
                UnboundKey::new(&AES_256_GCM, key).map_err(|_| CryptoError::Encrypt)?,
            );
            let nonce =
                Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Encrypt)?;
            let mut buf = plaintext.to_vec();
            key.seal_in_place_append_tag(nonce, Aad::from(aad), &mut buf)
                .map_err(|_| CryptoError::Encrypt)?;
            Ok(buf)
        }
        #[cfg(feature = "rust-crypto")]
        Backend::RustCrypto => {
            use aes_gcm::aead::{Aead, KeyInit, Payload};
            let cipher =
                aes_gcm::Aes256Gcm::new_from_slice(key).map_err(|_| CryptoError::Encrypt)?;
            cipher
                .encrypt(
                    aes_gcm::Nonce::from_slice(nonce),
                    Payload {
                        msg: plaintext,
                        aad,
                    },
                )
                .map_err(|_| CryptoError::Encrypt)
        }
    }
}
