//! PEM and DER in, validated RSA key material out: the one place that decides whether a key or
//! certificate is acceptable, before any backend sees it.
//!
//! Decoding is done by the RustCrypto crates (`der`, `spki`, `pkcs8`, `pkcs1`, `x509-cert`);
//! `pem` reads the PEM armour. The checks run in this order, and the first failure is the error:
//!
//! 1. PEM armour ([`KeyError::NotPem`]) and label ([`KeyError::WrongPemLabel`]; an
//!    `EC PRIVATE KEY` block is [`KeyError::NotRsa`] `EC`).
//! 2. DER structure: PKCS#8 `PrivateKeyInfo`, PKCS#1 `RSAPrivateKey`/`RSAPublicKey`, X.509
//!    `SubjectPublicKeyInfo` or certificate ([`KeyError::Malformed`], or
//!    [`KeyError::Certificate`] for a certificate). Trailing bytes are refused.
//! 3. The algorithm, read from the `AlgorithmIdentifier` itself: only `rsaEncryption`
//!    (1.2.840.113549.1.1.1, with NULL or absent parameters) is RSA PKCS#1 v1.5; anything else is
//!    [`KeyError::NotRsa`] naming what was found (`RSA-PSS`, `EC`, `Ed25519`, …).
//! 4. The modulus: exactly 2048 bits ([`KeyError::WrongSize`]) and odd.
//! 5. The public exponent: exactly 65537 ([`KeyError::WrongExponent`]). WeChat Pay keys and
//!    certificates always use 65537; a small exponent such as 3 is refused rather than left to
//!    the backends, which do not agree on the range they take.
//! 6. Private keys: two primes only, and the cheap bounds (`1 < p ≠ q`, `0 < d < n`,
//!    `dP < p`, `dQ < q`, `qInv < p`); beyond these, the numbers are checked by the backend and
//!    a refusal is [`KeyError::Inconsistent`], the same on both backends.
//!
//! What passes is re-encoded canonically (PKCS#8 v1 for private keys, SPKI for public keys,
//! `rsaEncryption` with NULL parameters), and that is all a backend is ever given.

use der::asn1::{AnyRef, BitStringRef, UintRef};
use der::{Decode, Encode};
use spki::{AlgorithmIdentifierRef, ObjectIdentifier, SubjectPublicKeyInfoRef};
use zeroize::Zeroizing;

use crate::error::KeyError;

/// `rsaEncryption` (RFC 8017): the only algorithm accepted.
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// The algorithms named in errors. Anything else is `unknown`.
const KNOWN_ALGORITHMS: &[(ObjectIdentifier, &str)] = &[
    (ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1"), "RSA"),
    (
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.7"),
        "RSA-OAEP",
    ),
    (
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10"),
        "RSA-PSS",
    ),
    (ObjectIdentifier::new_unwrap("1.2.840.10045.2.1"), "EC"),
    (ObjectIdentifier::new_unwrap("1.2.840.10040.4.1"), "DSA"),
    (ObjectIdentifier::new_unwrap("1.2.840.10046.2.1"), "DH"),
    (ObjectIdentifier::new_unwrap("1.3.101.110"), "X25519"),
    (ObjectIdentifier::new_unwrap("1.3.101.111"), "X448"),
    (ObjectIdentifier::new_unwrap("1.3.101.112"), "Ed25519"),
    (ObjectIdentifier::new_unwrap("1.3.101.113"), "Ed448"),
    (ObjectIdentifier::new_unwrap("1.2.156.10197.1.301"), "SM2"),
];

/// The only public exponent accepted.
const EXPONENT: u64 = 65537;

/// The only modulus size accepted.
const MODULUS_BITS: usize = 2048;

/// The AlgorithmIdentifier every canonical encoding carries.
const RSA_ALGORITHM: AlgorithmIdentifierRef<'static> = AlgorithmIdentifierRef {
    oid: RSA_ENCRYPTION,
    parameters: Some(AnyRef::NULL),
};

/// A validated RSA-2048 public key with exponent 65537.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RsaPublicDer {
    /// Canonical DER `SubjectPublicKeyInfo`.
    pub(crate) spki: Vec<u8>,
}

/// A validated RSA-2048 private key (two primes, exponent 65537).
pub(crate) struct RsaPrivateDer {
    /// Canonical DER PKCS#8 v1 `PrivateKeyInfo`, cleared on drop.
    pub(crate) pkcs8: Zeroizing<Vec<u8>>,
}

/// What a certificate yields: its serial, validity and validated RSA key.
#[derive(Clone, Debug)]
pub(crate) struct CertificateDer {
    /// The serial, upper-case hex without leading zero bytes.
    pub(crate) serial: String,
    /// Start of validity, unix seconds.
    pub(crate) not_before: i64,
    /// End of validity, unix seconds.
    pub(crate) not_after: i64,
    /// The subject's key: DER `SubjectPublicKeyInfo`, not yet checked.
    pub(crate) spki: Vec<u8>,
}

/// A private key PEM: `PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY` (PKCS#1).
pub(crate) fn private_key_pem(text: &str) -> Result<RsaPrivateDer, KeyError> {
    let block = parse_pem(text)?;
    let der = Zeroizing::new(block.contents().to_vec());
    match block.tag() {
        "PRIVATE KEY" => private_key_pkcs8(&der),
        "RSA PRIVATE KEY" => private_key_pkcs1(&der),
        "EC PRIVATE KEY" => Err(KeyError::NotRsa { algorithm: "EC" }),
        other => Err(KeyError::WrongPemLabel {
            found: other.to_owned(),
            expected: "`PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY` (PKCS#1)",
        }),
    }
}

/// A DER PKCS#8 `PrivateKeyInfo` (v1, or v2 whose public key is ignored).
pub(crate) fn private_key_pkcs8(der: &[u8]) -> Result<RsaPrivateDer, KeyError> {
    let info = pkcs8::PrivateKeyInfo::from_der(der).map_err(malformed("PKCS#8 private key"))?;
    check_algorithm(&info.algorithm)?;
    private_key_pkcs1(info.private_key)
}

/// A DER PKCS#1 `RSAPrivateKey`.
pub(crate) fn private_key_pkcs1(der: &[u8]) -> Result<RsaPrivateDer, KeyError> {
    let key = pkcs1::RsaPrivateKey::from_der(der).map_err(malformed("PKCS#1 private key"))?;
    check_numbers(key.modulus, key.public_exponent)?;
    if key.version() != pkcs1::Version::TwoPrime || key.other_prime_infos.is_some() {
        return Err(KeyError::Malformed(
            "multi-prime RSA keys are not supported".into(),
        ));
    }
    let [n, d, p, q, dp, dq, qinv] = [
        key.modulus,
        key.private_exponent,
        key.prime1,
        key.prime2,
        key.exponent1,
        key.exponent2,
        key.coefficient,
    ]
    .map(|x| x.as_bytes());
    let one: &[u8] = &[1];
    let bounded = less(one, p)
        && less(one, q)
        && p != q
        && less(&[], d)
        && less(d, n)
        && less(dp, p)
        && less(dq, q)
        && less(qinv, p);
    if !bounded {
        return Err(KeyError::Inconsistent);
    }
    // `from_der` read the DER strictly, so this is the same key, canonically framed.
    let pkcs1 = encode_secret(&key)?;
    let pkcs8 = encode_secret(&pkcs8::PrivateKeyInfo::new(RSA_ALGORITHM, &pkcs1))?;
    Ok(RsaPrivateDer { pkcs8 })
}

/// A public key PEM: `PUBLIC KEY` (SPKI), `RSA PUBLIC KEY` (PKCS#1) or the key of a
/// `CERTIFICATE`.
pub(crate) fn public_key_pem(text: &str) -> Result<RsaPublicDer, KeyError> {
    let block = parse_pem(text)?;
    match block.tag() {
        "PUBLIC KEY" => public_key_spki(block.contents()),
        "RSA PUBLIC KEY" => public_key_pkcs1(block.contents()),
        "CERTIFICATE" => public_key_spki(&certificate_der(block.contents())?.spki),
        other => Err(KeyError::WrongPemLabel {
            found: other.to_owned(),
            expected: "`PUBLIC KEY`, `RSA PUBLIC KEY` or `CERTIFICATE`",
        }),
    }
}

/// A DER `SubjectPublicKeyInfo`.
pub(crate) fn public_key_spki(der: &[u8]) -> Result<RsaPublicDer, KeyError> {
    let spki = SubjectPublicKeyInfoRef::from_der(der).map_err(malformed("public key"))?;
    check_algorithm(&spki.algorithm)?;
    let bits = spki.subject_public_key.as_bytes().ok_or_else(|| {
        KeyError::Malformed("public key: the key BIT STRING has unused bits".into())
    })?;
    public_key_pkcs1(bits)
}

/// A DER PKCS#1 `RSAPublicKey`.
pub(crate) fn public_key_pkcs1(der: &[u8]) -> Result<RsaPublicDer, KeyError> {
    let key = pkcs1::RsaPublicKey::from_der(der).map_err(malformed("PKCS#1 public key"))?;
    check_numbers(key.modulus, key.public_exponent)?;
    let pkcs1 = key.to_der().map_err(malformed("PKCS#1 public key"))?;
    let spki = SubjectPublicKeyInfoRef {
        algorithm: RSA_ALGORITHM,
        subject_public_key: BitStringRef::new(0, &pkcs1).map_err(malformed("public key"))?,
    }
    .to_der()
    .map_err(malformed("public key"))?;
    Ok(RsaPublicDer { spki })
}

/// A `CERTIFICATE` PEM.
pub(crate) fn certificate_pem(text: &str) -> Result<CertificateDer, KeyError> {
    let block = parse_pem(text)?;
    if block.tag() != "CERTIFICATE" {
        return Err(KeyError::WrongPemLabel {
            found: block.tag().to_owned(),
            expected: "`CERTIFICATE`",
        });
    }
    certificate_der(block.contents())
}

/// A DER X.509 certificate.
pub(crate) fn certificate_der(der: &[u8]) -> Result<CertificateDer, KeyError> {
    let cert =
        x509_cert::Certificate::from_der(der).map_err(|e| KeyError::Certificate(e.to_string()))?;
    let tbs = &cert.tbs_certificate;
    let serial = tbs.serial_number.as_bytes();
    let first = serial
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(serial.len().saturating_sub(1));
    let serial = serial[first..].iter().map(|b| format!("{b:02X}")).collect();
    let spki = tbs
        .subject_public_key_info
        .to_der()
        .map_err(|e| KeyError::Certificate(e.to_string()))?;
    let secs = |t: x509_cert::time::Time| {
        i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
    };
    Ok(CertificateDer {
        serial,
        not_before: secs(tbs.validity.not_before),
        not_after: secs(tbs.validity.not_after),
        spki,
    })
}

pub(crate) fn parse_pem(text: &str) -> Result<pem::Pem, KeyError> {
    let block = pem::parse(text.trim()).map_err(|e| KeyError::NotPem(pem_problem(&e)))?;
    if block.headers().get("Proc-Type").is_some() {
        return Err(KeyError::Malformed(
            "the PEM block is encrypted (Proc-Type); decrypt the key first".into(),
        ));
    }
    Ok(block)
}

/// What is wrong with a text that is not PEM, in words a merchant can act on.
fn pem_problem(error: &pem::PemError) -> String {
    use pem::PemError::*;
    match error {
        MissingBeginTag => "no `-----BEGIN …-----` line starts a block; give the PEM file \
            itself (apiclient_key.pem, a certificate, a public key), not a path or a DER file"
            .into(),
        MalformedFraming => "the text is not one whole PEM block (a `-----BEGIN …-----` line, \
            base64 lines, a matching `-----END …-----` line); give the PEM file itself \
            (apiclient_key.pem, a certificate, a public key), whole, not a path, a DER file or \
            a base64 line"
            .into(),
        MissingEndTag => "the block has no `-----END …-----` line: the text is cut short".into(),
        MismatchedTags(begin, end) => {
            format!("the block begins as `{begin}` and ends as `{end}`")
        }
        MissingData => "the block between the BEGIN and END lines is empty".into(),
        InvalidData(_) => "the block between the BEGIN and END lines is not base64".into(),
        InvalidHeader(_) => "a header line of the block is not `Name: value`".into(),
        NotUtf8(_) => "the block is not UTF-8 text".into(),
    }
}

/// The algorithm must be `rsaEncryption` with NULL (or absent) parameters.
fn check_algorithm(algorithm: &AlgorithmIdentifierRef<'_>) -> Result<(), KeyError> {
    if algorithm.oid != RSA_ENCRYPTION {
        return Err(KeyError::NotRsa {
            algorithm: algorithm_name(&algorithm.oid),
        });
    }
    match algorithm.parameters {
        None => Ok(()),
        Some(params) if params.is_null() => Ok(()),
        Some(_) => Err(KeyError::Malformed(
            "rsaEncryption parameters must be NULL".into(),
        )),
    }
}

/// The name of an algorithm, for errors.
fn algorithm_name(oid: &ObjectIdentifier) -> &'static str {
    KNOWN_ALGORITHMS
        .iter()
        .find(|(known, _)| known == oid)
        .map_or("unknown", |(_, name)| *name)
}

/// Size, then parity, then exponent.
fn check_numbers(modulus: UintRef<'_>, exponent: UintRef<'_>) -> Result<(), KeyError> {
    let n = strip(modulus.as_bytes());
    let bits = n
        .first()
        .map_or(0, |top| n.len() * 8 - top.leading_zeros() as usize);
    if bits != MODULUS_BITS {
        return Err(KeyError::WrongSize { bits });
    }
    if n.last().is_some_and(|low| low & 1 == 0) {
        return Err(KeyError::Malformed("the RSA modulus is even".into()));
    }
    let e = strip(exponent.as_bytes());
    let value = if e.len() > 8 {
        u64::MAX
    } else {
        e.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
    };
    if value != EXPONENT {
        return Err(KeyError::WrongExponent { exponent: value });
    }
    Ok(())
}

/// `a < b` for unsigned big-endian magnitudes.
fn less(a: &[u8], b: &[u8]) -> bool {
    let (a, b) = (strip(a), strip(b));
    (a.len(), a) < (b.len(), b)
}

fn strip(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// DER into memory that is cleared on drop, allocated once at its final size.
fn encode_secret(value: &impl Encode) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let len = value
        .encoded_len()
        .and_then(usize::try_from)
        .map_err(malformed("private key"))?;
    let mut out = Zeroizing::new(vec![0; len]);
    value
        .encode_to_slice(&mut out)
        .map_err(malformed("private key"))?;
    Ok(out)
}

fn malformed<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> KeyError {
    move |e| KeyError::Malformed(format!("{what}: {e}"))
}
