//! Sensitive values outside the request body: query and header parameters, encrypted with the
//! platform key like the body's sensitive fields, and answer fields, decrypted with the
//! merchant key once the answer is verified. The operation lists them
//! ([`crate::operation::Sensitive`]); the pipeline calls these functions.

use std::borrow::Cow;

use base64::Engine as _;
use bytes::Bytes;
use zeroize::{Zeroize as _, Zeroizing};

use crate::credentials::Credentials;
use crate::crypto::{PublicKey, B64};
use crate::error::{CryptoError, Error};
use crate::protocol::pointer::Pointer;

/// A query pair or header: its name and unencoded value.
type Pair<'a, K> = (K, Cow<'a, str>);

/// The pairs with each value whose name is `sensitive` replaced by its ciphertext
/// (RSA-OAEP-SHA1, base64); borrowed as they are when none is.
pub(crate) fn encrypt_pairs<'r, 'a, K: AsRef<str> + Clone>(
    pairs: &'r [Pair<'a, K>],
    sensitive: impl Fn(&str) -> bool,
    key: Option<&PublicKey>,
) -> Result<Cow<'r, [Pair<'a, K>]>, CryptoError> {
    let named = |name: &K| sensitive(name.as_ref());
    let Some(key) = key.filter(|_| pairs.iter().any(|(name, _)| named(name))) else {
        return Ok(Cow::Borrowed(pairs));
    };
    let encrypt = |(name, value): &Pair<'a, K>| {
        let value = match named(name) {
            true => Cow::Owned(key.encrypt_field(value)?),
            false => value.clone(),
        };
        Ok((name.clone(), value))
    };
    pairs.iter().map(encrypt).collect::<Result<_, _>>()
}

/// The verified answer with the fields at `pointers` decrypted with the merchant key, in
/// memory cleared on drop; `None` (and no parsing at all) when the operation has no sensitive
/// answer fields. An answer that is not JSON is left to the decoder to refuse.
pub(crate) fn decrypt_answer(
    credentials: &Credentials,
    operation: &str,
    pointers: &[&str],
    body: &Bytes,
    request_id: Option<&String>,
) -> Result<Option<Bytes>, Error> {
    if pointers.is_empty() {
        return Ok(None);
    }
    let decrypter = credentials.decrypter().ok_or_else(|| Error::NoDecrypter {
        operation: operation.to_owned(),
    })?;
    let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Ok(None);
    };
    for text in pointers {
        let failed = || Error::SensitiveField {
            operation: operation.to_owned(),
            pointer: (*text).to_owned(),
            request_id: request_id.cloned(),
        };
        let pointer = Pointer::parse(text).map_err(|_| failed())?;
        pointer.for_each_mut(&mut json, &mut |field| {
            let serde_json::Value::String(text) = field else {
                return Ok(());
            };
            let ciphertext = B64.decode(text.trim()).map_err(|_| failed())?;
            let plain = decrypter.decrypt(&ciphertext).map_err(|_| failed())?;
            *text = std::str::from_utf8(&plain)
                .map_err(|_| failed())?
                .to_owned();
            Ok::<_, Error>(())
        })?;
    }
    // A `Value` always serializes.
    let plain = Zeroizing::new(serde_json::to_vec(&json).unwrap_or_default());
    forget_plaintext(&mut json, pointers);
    Ok(Some(Bytes::from_owner(plain)))
}

/// Clears the decrypted strings in place before the value is dropped.
fn forget_plaintext(json: &mut serde_json::Value, pointers: &[&str]) {
    for pointer in pointers.iter().filter_map(|p| Pointer::parse(p).ok()) {
        let _ = pointer.for_each_mut(json, &mut |field| {
            if let serde_json::Value::String(text) = field {
                text.zeroize();
            }
            Ok::<_, ()>(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{Backend, PrivateKey};

    #[test]
    fn only_named_values_are_encrypted_and_nothing_is_copied_without_them() {
        let key = PrivateKey::generate(Backend::default()).unwrap();
        let public = key.public_key().unwrap();
        let pairs = [("card", Cow::from("6222")), ("limit", Cow::from("5"))];
        let none = encrypt_pairs(&pairs, |n| n == "other", Some(&public)).unwrap();
        assert!(matches!(none, Cow::Borrowed(_)));
        let sent = encrypt_pairs(&pairs, |n| n == "card", Some(&public)).unwrap();
        assert_eq!(sent[1], ("limit", Cow::from("5")));
        assert_eq!(key.decrypt_field(&sent[0].1).unwrap().as_str(), "6222");
    }

    #[test]
    fn answer_fields_decrypt_in_place_and_non_strings_are_left_alone() {
        let key = PrivateKey::generate(Backend::default()).unwrap();
        let name = key.public_key().unwrap().encrypt_field("张三").unwrap();
        let credentials = Credentials::new("1900000001", "SERIAL", key);
        let body = Bytes::from(serde_json::json!({"a": [{"n": name}, {"n": 7}]}).to_string());
        assert_eq!(
            decrypt_answer(&credentials, "op", &[], &body, None).unwrap(),
            None
        );
        let plain = decrypt_answer(&credentials, "op", &["/a/*/n"], &body, None).unwrap();
        let plain: serde_json::Value = serde_json::from_slice(&plain.unwrap()).unwrap();
        assert_eq!(plain, serde_json::json!({"a": [{"n": "张三"}, {"n": 7}]}));
    }
}
