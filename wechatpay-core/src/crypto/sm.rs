//! 商用密码 (ShangMi, feature `shangmi`): what WeChat Pay's `WECHATPAY2-SM2-WITH-SM3` mode uses
//! in place of RSA and AES.
//!
//! - Signatures: SM2 with SM3 over the same message lines as RSA, with the user id
//!   `1234567812345678` (GB/T 35276's default), DER-encoded `SEQUENCE { r, s }`, base64.
//! - Sensitive fields: SM2 public-key encryption, `C1C3C2` in its DER form (GM/T 0009:
//!   `SEQUENCE { x, y, C3, C2 }`), base64.
//! - `AEAD_SM4_GCM` resources (notifications, certificates): SM4 in GCM mode with a 12-byte nonce
//!   and a 16-byte tag, under the first 16 bytes of the SM3 digest of the APIv3 key's 32 bytes.
//!
//! Keys are the `sm2` crate's; they are read from PKCS#8 (`PRIVATE KEY`) and SPKI
//! (`PUBLIC KEY`, or a certificate's key) and must be on the SM2 curve.
//!
//! Memory: the `SecretKey` is cleared on drop, and SM4's round keys and GCM's hash key are too
//! (the crates' `zeroize` features). The `sm2` crate's signing and decrypting keys, made for
//! each signature or decryption, copy the secret scalar and do not clear their copy on drop;
//! the RSA path (aws-lc) leaves no such copy. An empty sensitive field cannot be SM2-encrypted
//! (the crate refuses an empty message): it fails with [`CryptoError::Encrypt`].

use aes_gcm_sm4::aead::{Aead, KeyInit, Payload};
use sm2::dsa::signature::{Signer as _, Verifier as _};
use sm2::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use zeroize::Zeroizing;

use crate::error::{CryptoError, KeyError};

/// The SM2 user id (distinguishing identifier) WeChat Pay signs and verifies with.
pub(crate) const USER_ID: &str = "1234567812345678";

/// `AEAD_SM4_GCM`: the algorithm name of SM4-GCM resources.
pub const AEAD_SM4_GCM: &str = "AEAD_SM4_GCM";

/// SM4 in GCM mode with a 96-bit nonce and a 128-bit tag.
type Sm4Gcm = aes_gcm_sm4::AesGcm<sm4::Sm4, aes_gcm_sm4::aead::consts::U12>;

/// A new SM2 private key from the operating system's random source.
pub(crate) fn generate() -> sm2::SecretKey {
    use sm2::elliptic_curve::Generate as _;
    sm2::SecretKey::generate()
}

/// An SM2 private key from a PKCS#8 PEM.
pub(crate) fn private_key_pem(pem: &str) -> Result<sm2::SecretKey, KeyError> {
    sm2::SecretKey::from_pkcs8_pem(pem)
        .map_err(|e| KeyError::Malformed(format!("not an SM2 PKCS#8 private key: {e}")))
}

/// The PKCS#8 PEM of an SM2 private key.
pub(crate) fn private_key_to_pem(key: &sm2::SecretKey) -> Zeroizing<String> {
    // Encoding a valid key cannot fail; an empty string would fail to load, never silently.
    key.to_pkcs8_pem(sm2::pkcs8::LineEnding::LF)
        .map(|pem| Zeroizing::new(pem.as_str().to_owned()))
        .unwrap_or_default()
}

/// An SM2 public key from a DER `SubjectPublicKeyInfo`.
pub(crate) fn public_key_spki(der: &[u8]) -> Result<sm2::PublicKey, KeyError> {
    sm2::PublicKey::from_public_key_der(der)
        .map_err(|e| KeyError::Malformed(format!("not an SM2 public key: {e}")))
}

/// The SPKI DER of an SM2 public key.
pub(crate) fn public_key_der(key: &sm2::PublicKey) -> Vec<u8> {
    key.to_public_key_der()
        .map(|d| d.as_bytes().to_vec())
        .unwrap_or_default()
}

/// SM2 with SM3 and the user id [`USER_ID`]; the signature DER-encoded.
pub(crate) fn sign(key: &sm2::SecretKey, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let signing = sm2::dsa::SigningKey::new(USER_ID, key).map_err(|_| CryptoError::Sign)?;
    let signature: sm2::dsa::Signature =
        signing.try_sign(message).map_err(|_| CryptoError::Sign)?;
    Ok(signature.to_der().as_bytes().to_vec())
}

/// Checks a DER SM2 signature with SM3 and the user id [`USER_ID`].
pub(crate) fn verify(key: &sm2::PublicKey, message: &[u8], signature: &[u8]) -> bool {
    let Ok(signature) = sm2::dsa::Signature::from_der(signature) else {
        return false;
    };
    sm2::dsa::VerifyingKey::new(USER_ID, *key)
        .is_ok_and(|verifying| verifying.verify(message, &signature).is_ok())
}

/// SM2 encryption, `C1C3C2` in DER.
pub(crate) fn encrypt(key: &sm2::PublicKey, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut rng = sm2::elliptic_curve::common::getrandom::SysRng;
    sm2::pke::EncryptingKey::new(*key)
        .encrypt_der(&mut rng, plaintext)
        .map_err(|_| CryptoError::Encrypt)
}

/// SM2 decryption of `C1C3C2` in DER.
pub(crate) fn decrypt(
    key: &sm2::SecretKey,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    sm2::pke::DecryptingKey::new(key.clone())
        .decrypt_der(ciphertext)
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Decrypt)
}

/// The SM4 key of an APIv3 key: the first 16 bytes of the SM3 digest of its 32 bytes.
fn sm4_key(apiv3_key: &[u8; 32]) -> Zeroizing<[u8; 16]> {
    use sm3::Digest as _;
    let digest: Zeroizing<[u8; 32]> = Zeroizing::new(sm3::Sm3::digest(apiv3_key).into());
    let mut key = Zeroizing::new([0; 16]);
    key.copy_from_slice(&digest[..16]);
    key
}

/// Opens an `AEAD_SM4_GCM` ciphertext‖tag.
pub(crate) fn sm4_gcm_decrypt(
    apiv3_key: &[u8; 32],
    nonce: &[u8],
    associated_data: &[u8],
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let cipher = Sm4Gcm::new_from_slice(&*sm4_key(apiv3_key)).map_err(|_| CryptoError::Decrypt)?;
    let nonce = nonce.try_into().map_err(|_| CryptoError::Decrypt)?;
    let payload = Payload {
        msg: ciphertext,
        aad: associated_data,
    };
    cipher
        .decrypt(nonce, payload)
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Decrypt)
}

/// Seals with `AEAD_SM4_GCM`: ciphertext‖tag (what the platform sends; the mock's side).
pub fn sm4_gcm_encrypt(
    apiv3_key: &[u8; 32],
    nonce: &[u8],
    associated_data: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let cipher = Sm4Gcm::new_from_slice(&*sm4_key(apiv3_key)).map_err(|_| CryptoError::Encrypt)?;
    let nonce = nonce.try_into().map_err(|_| CryptoError::Encrypt)?;
    let payload = Payload {
        msg: plaintext,
        aad: associated_data,
    };
    cipher
        .encrypt(nonce, payload)
        .map_err(|_| CryptoError::Encrypt)
}
