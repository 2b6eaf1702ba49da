//! Invoking payment on the client side: from a prepay answer's `prepay_id`, the parameters a
//! mini program (`wx.requestPayment`), an official-account page
//! (`WeixinJSBridge.invoke('getBrandWCPayRequest', …)`) or an app (the App SDK's `PayReq`)
//! passes to WeChat, signed with the merchant key (SHA256 with RSA, base64).
//!
//! Each serializes with the exact field names the front end expects, so the JSON can be handed
//! to it as it is.

use base64::Engine as _;
use serde::Serialize;

use crate::credentials::Credentials;
use crate::crypto::B64;
use crate::error::CryptoError;

/// The parameters of `wx.requestPayment` and of the JSAPI `getBrandWCPayRequest`:
/// `appId`, `timeStamp`, `nonceStr`, `package` (`prepay_id=…`), `signType` (`RSA`) and
/// `paySign`, the signature of `appId\ntimeStamp\nnonceStr\npackage\n`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsapiPayment {
    /// The app id the order was placed with (`appid`, or `sub_appid` for a sub-merchant's).
    #[serde(rename = "appId")]
    pub app_id: String,
    /// Unix seconds, as text.
    #[serde(rename = "timeStamp")]
    pub time_stamp: String,
    /// A random string.
    #[serde(rename = "nonceStr")]
    pub nonce_str: String,
    /// `prepay_id=` and the prepay answer's `prepay_id`.
    pub package: String,
    /// Always `RSA`.
    #[serde(rename = "signType")]
    pub sign_type: String,
    /// The signature, base64.
    #[serde(rename = "paySign")]
    pub pay_sign: String,
}

/// The parameters of the App SDK's payment request: `appid`, `partnerid`, `prepayid`,
/// `package` (`Sign=WXPay`), `noncestr`, `timestamp` and `sign`, the signature of
/// `appid\ntimestamp\nnoncestr\nprepayid\n`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppPayment {
    /// The app id the order was placed with.
    pub appid: String,
    /// The merchant that takes the payment: the merchant id, or the sub-merchant's
    /// (`sub_mchid`) for a service provider's order.
    pub partnerid: String,
    /// The prepay answer's `prepay_id`.
    pub prepayid: String,
    /// Always `Sign=WXPay`.
    pub package: String,
    /// A random string.
    pub noncestr: String,
    /// Unix seconds, as text.
    pub timestamp: String,
    /// The signature, base64.
    pub sign: String,
}

impl Credentials {
    /// The JSAPI / mini-program payment parameters for `prepay_id`, signed now-ish: give the
    /// time and a nonce (see `Client::jsapi_payment` for both filled in).
    pub async fn jsapi_payment(
        &self,
        app_id: &str,
        prepay_id: &str,
        timestamp: i64,
        nonce: &str,
    ) -> Result<JsapiPayment, CryptoError> {
        let package = format!("prepay_id={prepay_id}");
        let time_stamp = timestamp.to_string();
        let pay_sign = self
            .sign_lines(&[app_id, &time_stamp, nonce, &package])
            .await?;
        Ok(JsapiPayment {
            app_id: app_id.to_owned(),
            time_stamp,
            nonce_str: nonce.to_owned(),
            package,
            sign_type: "RSA".to_owned(),
            pay_sign,
        })
    }

    /// The App payment parameters for `prepay_id`; `partner_id` is the merchant id (or the
    /// sub-merchant's, for a service provider's order).
    pub async fn app_payment(
        &self,
        app_id: &str,
        partner_id: &str,
        prepay_id: &str,
        timestamp: i64,
        nonce: &str,
    ) -> Result<AppPayment, CryptoError> {
        let timestamp = timestamp.to_string();
        let sign = self
            .sign_lines(&[app_id, &timestamp, nonce, prepay_id])
            .await?;
        Ok(AppPayment {
            appid: app_id.to_owned(),
            partnerid: partner_id.to_owned(),
            prepayid: prepay_id.to_owned(),
            package: "Sign=WXPay".to_owned(),
            noncestr: nonce.to_owned(),
            timestamp,
            sign,
        })
    }

    /// Each line followed by `\n`, signed, base64. Only with an RSA signer: the parameters
    /// say `signType: RSA`, and the pages define no other type for them, so an SM2 merchant's
    /// signature is refused here ([`CryptoError::NotRsa`]) rather than sent mislabelled.
    async fn sign_lines(&self, lines: &[&str]) -> Result<String, CryptoError> {
        if self.scheme() != "WECHATPAY2-SHA256-RSA2048" {
            return Err(CryptoError::NotRsa);
        }
        let mut message = String::new();
        for line in lines {
            message.push_str(line);
            message.push('\n');
        }
        Ok(B64.encode(self.sign(message.as_bytes()).await?))
    }
}
