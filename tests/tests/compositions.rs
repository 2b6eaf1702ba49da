//! Composed schemas end to end: the mock serving the generator's `all_of` and `json_strings`
//! fixtures checks merged `allOf` bodies (with a sensitive member field the client encrypts),
//! narrowed enums and JSON documents carried in strings, and answers them in their wire form.

mod common;

use std::path::Path;

use common::*;
use serde_json::{json, Value};

use wechatpay_api::operation::{Body, Method, Request};
use wechatpay_api::wechatpay_core::Bytes;
use wechatpay_api::{Client, Error, Operation};
use wechatpay_mock::MockPlatform;

/// A `POST` of a JSON body to one of the fixtures' operations.
struct Post {
    id: &'static str,
    path: &'static str,
    body: Value,
    encrypted: &'static [&'static str],
}

impl Operation for Post {
    type Output = Value;
    fn request(&self) -> Request<'_> {
        let request = Request::new(self.id, Method::POST, self.path)
            .with_body(Body::json(&self.body, self.encrypted));
        match self.encrypted.is_empty() {
            true => request,
            false => request.with_platform_serial(),
        }
    }
    fn decode(&self, body: &Bytes) -> Result<Value, serde_json::Error> {
        serde_json::from_slice(body)
    }
}

fn serve(fixture: &str) -> (MockPlatform, Client) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../generator/tests/fixtures/ok")
        .join(fixture);
    let mock = MockPlatform::builder().spec_dir(dir).start().unwrap();
    let client = client(&mock);
    (mock, client)
}

/// The field a 400 `PARAM_ERROR` names.
fn refused_field(err: Error) -> String {
    let Error::Api(api) = err else {
        panic!("{err}")
    };
    assert_eq!((api.status, api.code.as_str()), (400, "PARAM_ERROR"));
    api.detail.unwrap()["field"].as_str().unwrap().to_owned()
}

fn transaction(body: Value) -> Post {
    Post {
        id: "createTransaction",
        path: "/v3/all-of/transactions",
        body,
        encrypted: &["/payer_name"],
    }
}

#[tokio::test]
async fn merged_all_of_bodies_are_checked_and_answered() {
    let (mock, client) = serve("all_of");
    let body = json!({
        "out_trade_no": "T-1", "mchid": "1900000001", "payer_name": "张三",
        "payer": {"openid": "o-1"}, "amount": {"total": 100}, "channel": "APP"
    });
    let answer = client.execute(&transaction(body.clone())).await.unwrap();
    // The sensitive field of a member component was encrypted on the wire.
    let sent: Value = serde_json::from_slice(&mock.requests()[0].body).unwrap();
    assert_ne!(sent["payer_name"], "张三");
    let plain = mock.requests()[0].plaintext_body.clone().unwrap();
    assert_eq!(plain["payer_name"], "张三");
    assert_eq!(sent["payer"], body["payer"]);
    // The answer is the merged `Transaction`, with the narrowed enum's first allowed value.
    assert_eq!(answer.data["trade_state"], "SUCCESS");
    assert_eq!(answer.data["out_trade_no"], "T-1");
    assert_eq!(answer.data["detail"], json!({"goods": "商品"}));
    let cases = [
        ("channel", json!("NATIVE"), "body.channel"),
        ("payer", json!({}), "body.payer.openid"),
        ("amount", json!({"total": "100"}), "body.amount.total"),
    ];
    for (key, value, field) in cases {
        let mut wrong = body.clone();
        wrong[key] = value;
        let err = client.execute(&transaction(wrong)).await.unwrap_err();
        assert_eq!(refused_field(err), field);
    }
    let mut missing = body;
    missing.as_object_mut().unwrap().remove("mchid");
    let err = client.execute(&transaction(missing)).await.unwrap_err();
    assert_eq!(refused_field(err), "body.mchid");
}

fn order(body: Value) -> Post {
    Post {
        id: "createOrder",
        path: "/v3/json-strings/orders",
        body,
        encrypted: &[],
    }
}

#[tokio::test]
async fn json_strings_are_checked_and_answered_as_strings() {
    let (_mock, client) = serve("json_strings");
    let scene = r#"{"store_id":"S1"}"#;
    let body = json!({"out_trade_no": "T-1", "scene_info": scene, "extra": r#"{"level":2}"#});
    let answer = client.execute(&order(body)).await.unwrap();
    let text = answer.data["scene_info"].as_str().expect("a string");
    let inner: Value = serde_json::from_str(text).unwrap();
    assert_eq!(inner["store_id"], "S1");
    assert!(answer.data["promotion"].is_string());
    let cases = [
        (json!({"store_id": "S1"}), "body.scene_info"),
        (json!("{\"device_id\":\"D\"}"), "body.scene_info.store_id"),
        (json!("{not json"), "body.scene_info"),
    ];
    for (scene, field) in cases {
        let err = client
            .execute(&order(json!({"out_trade_no": "T-1", "scene_info": scene})))
            .await
            .unwrap_err();
        assert_eq!(refused_field(err), field);
    }
    let err = client
        .execute(&order(
            json!({"out_trade_no": "T-1", "scene_info": scene, "extra": r#"{"level":"high"}"#}),
        ))
        .await
        .unwrap_err();
    assert_eq!(refused_field(err), "body.extra.level");
}
