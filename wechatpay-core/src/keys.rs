//! Trust anchors: platform certificates and WeChat Pay public keys, held together in one
//! [`KeyStore`] and chosen per message by `Wechatpay-Serial`; and the APIv3 key.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use zeroize::Zeroizing;

use crate::crypto::{parse, Backend, PublicKey};
use crate::error::{CertificateNotValid, KeyError, VerifyError};

/// A platform certificate: its serial, its key and its validity.
#[derive(Clone, Debug)]
pub struct Certificate {
    /// The serial, upper-case hex (40 digits for WeChat Pay platform certificates).
    pub serial: String,
    /// The certificate's public key (RSA; SM2 with the `shangmi` feature).
    pub public_key: PublicKey,
    /// Start of validity, unix seconds.
    pub not_before: i64,
    /// End of validity, unix seconds.
    pub not_after: i64,
    /// The PEM text.
    pub pem: String,
}

impl Certificate {
    /// Parses a PEM certificate with the default backend.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        Self::from_pem_with(pem, Backend::default())
    }

    /// Parses a PEM certificate with the given backend. Its key must be RSA-2048 with exponent
    /// 65537 (or SM2, with the `shangmi` feature), checked as for [`PublicKey::from_pem_with`].
    pub fn from_pem_with(pem: &str, backend: Backend) -> Result<Self, KeyError> {
        let cert = parse::certificate_pem(pem)?;
        Ok(Self {
            public_key: PublicKey::from_spki_der(&cert.spki, backend)?,
            serial: cert.serial,
            not_before: cert.not_before,
            not_after: cert.not_after,
            pem: pem.to_owned(),
        })
    }
}

#[derive(Clone, Debug)]
enum Anchor {
    PublicKey,
    Certificate { not_before: i64, not_after: i64 },
}

impl Anchor {
    /// Refuses a certificate outside its validity window at `now` (public keys have none).
    fn check(&self, serial: &str, now: i64) -> Result<(), CertificateNotValid> {
        match *self {
            Anchor::Certificate {
                not_before,
                not_after,
            } if now < not_before || now > not_after => Err(CertificateNotValid {
                serial: serial.to_owned(),
                not_before,
                not_after,
                now,
            }),
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Default)]
struct Store {
    keys: BTreeMap<String, (PublicKey, Anchor)>,
    public_key_id: Option<String>,
}

/// WeChat Pay public keys (`PUB_KEY_ID_…`) and platform certificates, side by side. Cheap to
/// clone; clones share the keys, so a background refresh is seen by every client.
#[derive(Clone, Debug, Default)]
pub struct KeyStore {
    inner: Arc<RwLock<Store>>,
}

impl KeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the WeChat Pay public key. Its id is then sent as `Wechatpay-Serial` on every
    /// request, which makes the platform sign answers with this key (public-key mode and
    /// migration), and it becomes the key for sensitive fields.
    pub fn add_public_key(&self, id: impl Into<String>, key: PublicKey) {
        let id = id.into();
        let mut store = self.write();
        store.keys.insert(id.clone(), (key, Anchor::PublicKey));
        store.public_key_id = Some(id);
    }

    /// Adds a platform certificate. The key held under a serial is pinned: a certificate with
    /// the same serial and another key is refused (a certificate with the same key, e.g. the
    /// same one downloaded again, is accepted).
    pub fn add_certificate(&self, cert: &Certificate) -> Result<(), KeyError> {
        self.add_certificates(std::slice::from_ref(cert))
    }

    /// Adds platform certificates all at once or not at all: every one is checked against the
    /// keys held and against the others of the list (one serial with two keys is refused)
    /// before any is stored.
    pub fn add_certificates(&self, certs: &[Certificate]) -> Result<(), KeyError> {
        let mut store = self.write();
        for (i, cert) in certs.iter().enumerate() {
            let held = store.keys.get(&cert.serial).map(|(key, _)| key);
            let listed = certs[..i].iter().filter(|c| c.serial == cert.serial);
            let mut pinned = held.into_iter().chain(listed.map(|c| &c.public_key));
            if pinned.any(|key| !key.same_key(&cert.public_key)) {
                return Err(KeyError::PinnedKeyMismatch {
                    serial: cert.serial.clone(),
                });
            }
        }
        for cert in certs {
            let anchor = Anchor::Certificate {
                not_before: cert.not_before,
                not_after: cert.not_after,
            };
            store
                .keys
                .insert(cert.serial.clone(), (cert.public_key.clone(), anchor));
        }
        Ok(())
    }

    /// The key with this serial or public key id, whatever its validity.
    pub fn get(&self, serial: &str) -> Option<PublicKey> {
        self.read().keys.get(serial).map(|(k, _)| k.clone())
    }

    /// The key to verify a message signed under `serial` at unix time `now`: unknown serials and
    /// certificates outside their validity window are refused.
    pub fn verifying_key(&self, serial: &str, now: i64) -> Result<PublicKey, VerifyError> {
        let store = self.read();
        let (key, anchor) = store
            .keys
            .get(serial)
            .ok_or_else(|| VerifyError::UnknownSerial(serial.to_owned()))?;
        anchor.check(serial, now)?;
        Ok(key.clone())
    }

    /// The configured WeChat Pay public key id, if any.
    pub fn public_key_id(&self) -> Option<String> {
        self.read().public_key_id.clone()
    }

    /// Whether the store holds no key at all.
    pub fn is_empty(&self) -> bool {
        self.read().keys.is_empty()
    }

    /// Whether the store holds a platform certificate (valid now or not).
    pub fn has_certificates(&self) -> bool {
        (self.read().keys.values()).any(|(_, anchor)| matches!(anchor, Anchor::Certificate { .. }))
    }

    /// Every serial held, in order.
    pub fn serials(&self) -> Vec<String> {
        self.read().keys.keys().cloned().collect()
    }

    /// The key for sensitive fields at unix time `now`, and its serial: the public key if
    /// configured, else the valid platform certificate that expires last. `Ok(None)` when no
    /// key is held; an error when certificates are held but none is valid now.
    pub fn encryption_key(
        &self,
        now: i64,
    ) -> Result<Option<(String, PublicKey)>, CertificateNotValid> {
        let store = self.read();
        if let Some(id) = &store.public_key_id {
            return Ok(store.keys.get(id).map(|(k, _)| (id.clone(), k.clone())));
        }
        let mut first_invalid = None;
        let mut best: Option<(i64, &String, &PublicKey)> = None;
        for (serial, (key, anchor)) in &store.keys {
            let Anchor::Certificate { not_after, .. } = *anchor else {
                continue;
            };
            match anchor.check(serial, now) {
                Ok(()) if best.is_none_or(|(end, _, _)| not_after > end) => {
                    best = Some((not_after, serial, key));
                }
                Ok(()) => {}
                Err(e) => {
                    first_invalid.get_or_insert(e);
                }
            }
        }
        match (best, first_invalid) {
            (Some((_, serial, key)), _) => Ok(Some((serial.clone(), key.clone()))),
            (None, Some(invalid)) => Err(invalid),
            (None, None) => Ok(None),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Store> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Store> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// The 32-byte APIv3 key (decrypts notifications and certificates). Cleared on drop; `Debug`
/// prints it redacted.
#[derive(Clone)]
pub struct ApiV3Key(Zeroizing<[u8; 32]>);

impl ApiV3Key {
    /// From the 32-character key set in the merchant platform.
    pub fn new(key: &str) -> Result<Self, KeyError> {
        let bytes = key.as_bytes();
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|_| KeyError::ApiV3KeyLength { len: bytes.len() })?;
        Ok(Self(Zeroizing::new(array)))
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for ApiV3Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiV3Key(<redacted>)")
    }
}
