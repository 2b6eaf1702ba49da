//! Many merchants in one process: each merchant's calls go out under its own keys, each
//! notification is opened by the merchant it is for (by the route the merchant chose, or on one
//! shared route by trying the merchants that hold its key), and a merchant's client is replaced
//! at run time without failing the call in flight. Two mock platforms stand for two merchants,
//! each with its own keys, APIv3 key and merchant id.

mod common;

use std::time::Duration;

use common::{audit, client};
use serde_json::json;
use wechatpay_api::certificates::DownloadCertificates;
use wechatpay_api::{Client, Merchants, NotificationError};
use wechatpay_mock::{Fault, MockPlatform};

const SHOP: &str = "1230000109";
const BRAND: &str = "1900000109";
/// Platform certificates are the platform's, shared by merchants: both mocks name theirs so.
const SHARED_SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";

/// A merchant's mock platform, signing notifications with its certificate, and a client that
/// downloaded that certificate.
async fn merchant(mchid: &str) -> (MockPlatform, Client) {
    let mock = MockPlatform::builder()
        .mchid(mchid)
        .platform_certificate_serial(SHARED_SERIAL)
        .start()
        .unwrap();
    mock.sign_notifications_with_certificate(true);
    let client = client(&mock);
    client
        .refresh_certificates(&DownloadCertificates)
        .await
        .unwrap();
    (mock, client)
}

fn complaint(mock: &MockPlatform, id: &str) -> wechatpay_mock::SignedNotification {
    mock.notification(
        "COMPLAINT.CREATE",
        "投诉单创建",
        "complaint",
        &json!({"complaint_id": id, "action_type": "CREATE_COMPLAINT"}),
        None,
    )
}

#[tokio::test]
async fn each_merchant_calls_and_is_notified_with_its_own_keys() {
    let ((shop, shop_client), (brand, brand_client)) =
        (merchant(SHOP).await, merchant(BRAND).await);
    let merchants = Merchants::new();
    assert!(merchants.insert(shop_client).is_none());
    assert!(merchants.insert(brand_client).is_none());
    assert_eq!(merchants.mchids(), [SHOP, BRAND]);

    merchants
        .get(SHOP)
        .unwrap()
        .execute(&audit())
        .await
        .unwrap();
    merchants
        .get(BRAND)
        .unwrap()
        .execute(&audit())
        .await
        .unwrap();
    merchants
        .get(BRAND)
        .unwrap()
        .execute(&audit())
        .await
        .unwrap();
    // Each refreshed its certificates, then made its calls.
    assert_eq!((shop.requests().len(), brand.requests().len()), (2, 3));

    // By the merchant's own route.
    let to_shop = complaint(&shop, "SHOP-1");
    let opened = merchants
        .parse_for(SHOP, &to_shop.headers, &to_shop.body)
        .unwrap();
    assert_eq!(opened.resource["complaint_id"], "SHOP-1");
    let misrouted = merchants.parse_for(BRAND, &to_shop.headers, &to_shop.body);
    assert!(
        matches!(misrouted, Err(NotificationError::Verify(_))),
        "{misrouted:?}"
    );
    let unknown = merchants.parse_for("1000000000", &to_shop.headers, &to_shop.body);
    assert!(
        matches!(&unknown, Err(NotificationError::UnknownMerchant { mchid }) if mchid == "1000000000"),
        "{unknown:?}"
    );

    // On one shared route: both hold a key under the serial named; only one opens it.
    let to_brand = complaint(&brand, "BRAND-1");
    let (mchid, opened) = merchants
        .parse_any(&to_brand.headers, &to_brand.body)
        .unwrap();
    assert_eq!(
        (mchid.as_str(), &opened.resource["complaint_id"]),
        (BRAND, &json!("BRAND-1"))
    );
    let (mchid, _) = merchants
        .parse_any(&to_shop.headers, &to_shop.body)
        .unwrap();
    assert_eq!(mchid, SHOP);

    // Two merchants whose keys both open it (a shared APIv3 key) are not told apart by guessing.
    let twins = Merchants::new();
    let creds = shop.credentials();
    for mchid in [SHOP, "1230000110"] {
        let twin = wechatpay_api::Client::builder(wechatpay_api::Credentials::new(
            mchid,
            creds.merchant_serial.clone(),
            wechatpay_api::PrivateKey::from_pem(&creds.merchant_private_key_pem).unwrap(),
        ))
        .key_store(merchants.get(SHOP).unwrap().key_store().clone())
        .apiv3_key(creds.apiv3_key().unwrap())
        .base_url(shop.base_url())
        .build()
        .unwrap();
        twins.insert(twin);
    }
    let ambiguous = twins.parse_any(&to_shop.headers, &to_shop.body);
    assert!(
        matches!(&ambiguous, Err(NotificationError::AmbiguousMerchant { mchids }) if mchids.len() == 2),
        "{ambiguous:?}"
    );

    // A notification no merchant can open is refused, whoever it claims to be from.
    let (stranger, _) = merchant("1111111111").await;
    let alien = complaint(&stranger, "ALIEN-1");
    assert!(merchants.parse_any(&alien.headers, &alien.body).is_err());
    merchants.remove(SHOP).unwrap();
    let gone = merchants.parse_any(&to_shop.headers, &to_shop.body);
    assert!(gone.is_err(), "{gone:?}");
}

#[tokio::test]
async fn a_client_replaced_at_run_time_lets_the_call_in_flight_finish() {
    let (old, old_client) = merchant(SHOP).await;
    let merchants = Merchants::new();
    merchants.insert(old_client);
    // A slow answer keeps a call in flight while the merchant's keys change.
    old.fault_next(Fault::Slow(Duration::from_millis(600)));
    let in_flight = {
        let client = merchants.get(SHOP).unwrap();
        tokio::spawn(async move { client.execute(&audit()).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    // New keys, a new serial, new APIv3 key: the same merchant on a new set of credentials.
    let (rotated, rotated_client) = merchant(SHOP).await;
    let replaced = merchants.insert(rotated_client);
    assert!(replaced.is_some());
    assert!(
        in_flight.await.unwrap().is_ok(),
        "the call in flight finished"
    );
    merchants
        .get(SHOP)
        .unwrap()
        .execute(&audit())
        .await
        .unwrap();
    // One refresh and one call each.
    assert_eq!((old.requests().len(), rotated.requests().len()), (2, 2));
    // Notifications now open with the new APIv3 key only.
    let before = complaint(&old, "OLD-1");
    assert!(merchants
        .parse_for(SHOP, &before.headers, &before.body)
        .is_err());
    let after = complaint(&rotated, "NEW-1");
    assert!(merchants
        .parse_for(SHOP, &after.headers, &after.body)
        .is_ok());
}
