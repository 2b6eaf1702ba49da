//! 微信支付平台证书 (platform certificates): the generated operation of `spec/certificates.yaml`,
//! and the key refresh that sends it.
//!
//! [`DownloadCertificates`] is generated like every other operation. Its answer implements
//! [`CertificateList`], so the client's certificate refresh sends this very operation:
//! [`Client::refresh_certificates`](crate::Client::refresh_certificates) downloads the list and
//! verifies it: with the key that signed it when that key is held, before the list is even
//! parsed; otherwise (the first download, or after the platform moved to a new certificate)
//! with the one listed certificate that signed it, decrypted with the APIv3 key. Then it
//! decrypts every certificate, checks each against the serial it is listed under and installs
//! them in the key store;
//! [`Client::spawn_certificate_refresh`](crate::Client::spawn_certificate_refresh) repeats
//! that in the background.
//!
//! ```no_run
//! use std::time::Duration;
//! use wechatpay_api::certificates::DownloadCertificates;
//! use wechatpay_api::{ApiV3Key, CertificateRefresh, Client, Credentials, PrivateKey};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let key = PrivateKey::from_pem_file("apiclient_key.pem")?;
//! let client = Client::builder(Credentials::new("1900000001", "MERCHANT_CERT_SERIAL", key))
//!     .apiv3_key(ApiV3Key::new(&std::env::var("WECHATPAY_APIV3_KEY")?)?)
//!     .build()?;
//! match client.refresh_certificates(&DownloadCertificates).await? {
//!     CertificateRefresh::Updated(serials) => println!("trusted: {serials:?}"),
//!     CertificateRefresh::NotAvailable => println!("a public-key merchant: no certificates"),
//! }
//! // Then every 12 hours, in a tokio task (abort the handle to stop it).
//! let refresh = client.spawn_certificate_refresh(DownloadCertificates, Duration::from_secs(12 * 3600));
//! # refresh.abort();
//! # Ok(()) }
//! ```
//!
//! Calling `client.execute(&DownloadCertificates)` also works once a key of the signer is held;
//! it only lists the certificates and trusts none of them.

pub use crate::generated::certificates::*;
use wechatpay_core::{CertificateList, ListedCertificate};

impl CertificateList for DownloadCertificatesResponse {
    fn certificates(&self) -> Vec<ListedCertificate<'_>> {
        self.data
            .iter()
            .map(|listed| {
                let sealed = &listed.encrypt_certificate;
                ListedCertificate {
                    serial_no: &listed.serial_no,
                    algorithm: sealed.algorithm.as_str(),
                    nonce: &sealed.nonce,
                    associated_data: &sealed.associated_data,
                    ciphertext: &sealed.ciphertext,
                }
            })
            .collect()
    }
}
