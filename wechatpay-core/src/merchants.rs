//! Many merchants in one process: a registry of clients by merchant id, notifications routed to
//! the merchant they are for, and clients replaced at run time.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use crate::client::Client;
use crate::notify::{Notification, NotificationError};
use crate::VerifyError;

/// The clients of many merchants (a service provider's sub-merchants, or several brands), by
/// merchant id. Cloning shares the registry.
///
/// A client is replaced at run time by inserting another under the same merchant id: new keys,
/// a new merchant certificate serial, or a platform certificate turned into a WeChat Pay public
/// key. Calls already in flight finish with the client they started with (each holds its own
/// handle), and the next [`get`](Self::get) gives the new one. Nothing is restarted.
#[derive(Debug, Clone, Default)]
pub struct Merchants {
    clients: Arc<RwLock<BTreeMap<String, Client>>>,
}

impl Merchants {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the client of its merchant ([`Client::mchid`]), or replaces the one held; gives
    /// back the replaced client.
    pub fn insert(&self, client: Client) -> Option<Client> {
        let mchid = client.mchid().to_owned();
        self.write().insert(mchid, client)
    }

    /// The client of `mchid`.
    pub fn get(&self, mchid: &str) -> Option<Client> {
        self.read().get(mchid).cloned()
    }

    /// Removes the client of `mchid`; calls in flight with it finish.
    pub fn remove(&self, mchid: &str) -> Option<Client> {
        self.write().remove(mchid)
    }

    /// The merchant ids held, in order.
    pub fn mchids(&self) -> Vec<String> {
        self.read().keys().cloned().collect()
    }

    /// A notification received on the route the merchant chose for itself (say
    /// `/notify/{mchid}`): verified and decrypted with that merchant's keys and APIv3 key only.
    pub fn parse_for(
        &self,
        mchid: &str,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<Notification, NotificationError> {
        let client = self
            .get(mchid)
            .ok_or_else(|| NotificationError::UnknownMerchant {
                mchid: mchid.to_owned(),
            })?;
        let handler = client
            .notification_handler()
            .map_err(|_| NotificationError::NoApiV3Key {
                mchid: mchid.to_owned(),
            })?;
        handler.parse(headers, body)
    }

    /// A notification received on one route shared by every merchant: tried with each merchant
    /// whose key store holds the key its `Wechatpay-Serial` names (platform certificates are
    /// shared between merchants, so several may), and only one merchant's APIv3 key opens its
    /// resource (AES-GCM authenticates it). Gives the merchant id with the notification; two
    /// merchants that open it (a shared APIv3 key) are refused as ambiguous. Each candidate costs
    /// one signature check, which anyone posting to the route can make the service spend; prefer
    /// [`parse_for`](Self::parse_for) where the route names the merchant.
    pub fn parse_any(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<(String, Notification), NotificationError> {
        let serial = headers
            .get("Wechatpay-Serial")
            .and_then(|v| v.to_str().ok())
            .ok_or(NotificationError::Verify(VerifyError::MissingHeader(
                "Wechatpay-Serial",
            )))?;
        let candidates: Vec<(String, Client)> = (self.read().iter())
            .filter(|(_, client)| client.key_store().get(serial).is_some())
            .map(|(mchid, client)| (mchid.clone(), client.clone()))
            .collect();
        let mut opened = Vec::new();
        let mut last = None;
        for (mchid, client) in candidates {
            let Ok(handler) = client.notification_handler() else {
                continue;
            };
            match handler.parse(headers, body) {
                Ok(notification) => opened.push((mchid, notification)),
                Err(e) => last = Some(e),
            }
        }
        // Two merchants sharing an APIv3 key cannot be told apart: refuse rather than guess.
        if opened.len() > 1 {
            let mchids = opened.into_iter().map(|(mchid, _)| mchid).collect();
            return Err(NotificationError::AmbiguousMerchant { mchids });
        }
        match opened.pop() {
            Some(found) => Ok(found),
            None => Err(
                last.unwrap_or_else(|| NotificationError::NoMerchantHoldsKey {
                    serial: serial.to_owned(),
                }),
            ),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Client>> {
        self.clients.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Client>> {
        self.clients.write().unwrap_or_else(|e| e.into_inner())
    }
}
