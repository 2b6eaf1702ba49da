//! The platform's side of sensitive values outside request bodies: query and header parameters
//! arrive encrypted with the platform key and are decrypted before validation; answer fields
//! are encrypted with the merchant's public key before the answer is signed.

use base64::Engine as _;
use serde_json::Value;
use wechatpay_core::__private::pointer::Pointer;
use wechatpay_core::{PrivateKey, PublicKey};
use wechatpay_spec::ir::Param;

use crate::validate::Issue;

/// A sensitive parameter's values, decrypted with the platform key; other parameters' values
/// as they are.
pub(crate) fn decrypt_param(
    param: &Param,
    values: Vec<String>,
    location: &str,
    key: Option<&PrivateKey>,
) -> Result<Vec<String>, Issue> {
    if !param.encrypted {
        return Ok(values);
    }
    let refused = || {
        Issue {
        field: format!("{location}.{}", param.wire_name),
        issue: "is sensitive and does not decrypt with the platform key named by Wechatpay-Serial (RSA-OAEP-SHA1, base64)".to_owned(),
    }
    };
    let key = key.ok_or_else(refused)?;
    let decrypt = |value: &String| {
        let plain = key.decrypt_field(value).map_err(|_| refused())?;
        Ok(plain.as_str().to_owned())
    };
    values.iter().map(decrypt).collect()
}

/// The answer with the string fields at `pointers` encrypted with the merchant's public key;
/// with `tamper`, each ciphertext is altered (still base64) so that it no longer decrypts.
pub(crate) fn encrypt_answer(
    mut answer: Value,
    pointers: &[String],
    merchant: &PublicKey,
    tamper: bool,
) -> Value {
    let b64 = base64::engine::general_purpose::STANDARD;
    for pointer in pointers.iter().filter_map(|p| Pointer::parse(p).ok()) {
        let _ = pointer.for_each_mut(&mut answer, &mut |field| {
            if let Value::String(text) = field {
                let mut ciphertext = merchant.encrypt(text.as_bytes())?;
                if tamper {
                    ciphertext[0] ^= 0x01;
                }
                *text = b64.encode(ciphertext);
            }
            Ok::<_, wechatpay_core::CryptoError>(())
        });
    }
    answer
}
