//! Credentials and the platform's address: from a profile file (`--profile`) or the environment,
//! under the names the quickstart reads and `wechatpay serve` writes. Values are never printed:
//! errors name the variable, not what it holds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use wechatpay_api::{ApiV3Key, Client, Credentials, KeyStore, PrivateKey, PublicKey};

use crate::Failure;

/// Merchant id.
const MCHID: &str = "WECHATPAY_MCHID";
/// Serial of the merchant API certificate.
const MERCHANT_SERIAL: &str = "WECHATPAY_MERCHANT_SERIAL";
/// Merchant private key, PEM.
const PRIVATE_KEY_PATH: &str = "WECHATPAY_PRIVATE_KEY_PATH";
/// WeChat Pay public key id (`PUB_KEY_ID_…`).
const PUBLIC_KEY_ID: &str = "WECHATPAY_PUBLIC_KEY_ID";
/// WeChat Pay public key, PEM.
const PUBLIC_KEY_PATH: &str = "WECHATPAY_PUBLIC_KEY_PATH";
/// The APIv3 key.
const APIV3_KEY: &str = "WECHATPAY_APIV3_KEY";
/// Replaces every host.
const BASE_URL: &str = "WECHATPAY_BASE_URL";

/// The `WECHATPAY_*` settings of one merchant. No `Debug`: it holds the APIv3 key.
pub(crate) struct Config {
    values: BTreeMap<String, String>,
    /// Where relative key paths start: the profile's folder, or the working directory.
    base: PathBuf,
}

/// The most a profile may hold (64 KiB): a dozen `NAME=value` lines.
const MAX_PROFILE_BYTES: u64 = 64 << 10;

/// A profile's text, bounded.
fn read_profile(path: &Path) -> Result<String, Failure> {
    use std::io::Read as _;
    let cannot = |e: std::io::Error| {
        Failure::usage(format!("cannot read the profile {}: {e}", path.display()))
    };
    let mut text = String::new();
    std::fs::File::open(path)
        .map_err(cannot)?
        .take(MAX_PROFILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(cannot)?;
    if text.len() as u64 > MAX_PROFILE_BYTES {
        return Err(Failure::usage(format!(
            "the profile {} is larger than {MAX_PROFILE_BYTES} bytes",
            path.display()
        )));
    }
    Ok(text)
}

impl Config {
    /// Reads `profile` (`NAME=value` lines, optionally `export`ed, `#` comments), or the
    /// environment when there is none.
    pub(crate) fn load(profile: Option<&Path>) -> Result<Self, Failure> {
        let Some(path) = profile else {
            // `vars_os`: an unrelated variable that is not UTF-8 must not stop (or show in) a
            // command; a `WECHATPAY_*` one is named, never shown.
            let mut values = BTreeMap::new();
            for (name, value) in std::env::vars_os() {
                let Some(name) = name.to_str().filter(|n| n.starts_with("WECHATPAY_")) else {
                    continue;
                };
                let value = value
                    .into_string()
                    .map_err(|_| Failure::usage(format!("{name} is not UTF-8 text")))?;
                if !value.is_empty() {
                    values.insert(name.to_owned(), value);
                }
            }
            return Ok(Self {
                values,
                base: PathBuf::new(),
            });
        };
        let text = read_profile(path)?;
        let mut values = BTreeMap::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let line = line.strip_prefix("export ").unwrap_or(line);
            let Some((name, value)) = line.split_once('=') else {
                return Err(Failure::usage(format!(
                    "{}:{}: expected NAME=value",
                    path.display(),
                    number + 1
                )));
            };
            let value = value.trim();
            let value = (value.strip_prefix('"').and_then(|v| v.strip_suffix('"')))
                .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(value);
            values.insert(name.trim().to_owned(), value.to_owned());
        }
        Ok(Self {
            values,
            base: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    fn required(&self, name: &str, needed_for: &str) -> Result<&str, Failure> {
        self.get(name).ok_or_else(|| {
            Failure::usage(format!(
                "{name} is not set ({needed_for}); set it in the environment or in a --profile file"
            ))
        })
    }

    fn path(&self, name: &str, needed_for: &str) -> Result<PathBuf, Failure> {
        Ok(self.base.join(self.required(name, needed_for)?))
    }

    /// The merchant private key.
    pub(crate) fn private_key(&self) -> Result<PrivateKey, Failure> {
        let path = self.path(PRIVATE_KEY_PATH, "the merchant private key")?;
        PrivateKey::from_pem_file(&path)
            .map_err(|e| Failure::usage(format!("{PRIVATE_KEY_PATH} ({}): {e}", path.display())))
    }

    /// The APIv3 key.
    pub(crate) fn apiv3_key(&self) -> Result<ApiV3Key, Failure> {
        let key = self.required(APIV3_KEY, "it decrypts certificates and notifications")?;
        ApiV3Key::new(key).map_err(|e| Failure::usage(format!("{APIV3_KEY}: {e}")))
    }

    /// The WeChat Pay public keys configured (a public-key merchant): none when the merchant
    /// trusts platform certificates, which are downloaded when needed.
    pub(crate) fn key_store(&self) -> Result<KeyStore, Failure> {
        let keys = KeyStore::new();
        match (self.get(PUBLIC_KEY_ID), self.get(PUBLIC_KEY_PATH)) {
            (Some(id), Some(_)) => {
                let path = self.path(PUBLIC_KEY_PATH, "the WeChat Pay public key")?;
                let key = PublicKey::from_pem_file(&path).map_err(|e| {
                    Failure::usage(format!("{PUBLIC_KEY_PATH} ({}): {e}", path.display()))
                })?;
                keys.add_public_key(id, key);
            }
            (None, None) => {}
            _ => {
                return Err(Failure::usage(format!(
                    "set both {PUBLIC_KEY_ID} and {PUBLIC_KEY_PATH}, or neither (to trust platform certificates)"
                )))
            }
        }
        Ok(keys)
    }

    /// A client for this merchant, at `WECHATPAY_BASE_URL` when set. The APIv3 key is given
    /// when configured; commands that need it say so.
    pub(crate) fn client(&self) -> Result<Client, Failure> {
        let mchid = self.required(MCHID, "the merchant id")?;
        let serial = self.required(MERCHANT_SERIAL, "the merchant certificate serial")?;
        let credentials = Credentials::new(mchid, serial, self.private_key()?);
        let mut builder = Client::builder(credentials).key_store(self.key_store()?);
        if self.get(APIV3_KEY).is_some() {
            builder = builder.apiv3_key(self.apiv3_key()?);
        }
        if let Some(url) = self.get(BASE_URL) {
            builder = builder.base_url(url);
        }
        builder.build().map_err(Failure::from)
    }
}
