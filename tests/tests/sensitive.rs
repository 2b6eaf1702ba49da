//! Sensitive values outside request bodies, end to end over real HTTP against the mock serving
//! the generator's fixtures `encrypted_answers` and `encrypted_params`: answer fields the
//! platform encrypts with the merchant key, and query and header parameters the client encrypts
//! with the platform key. The fixtures are not in `wechatpay-api`, so the two operations here are
//! written by hand; `the_hand_written_operations_declare_what_the_generator_prints` ties their
//! sensitive lists to the generator's output for the same fixtures, and the journey test compiles
//! and runs the generated ones. `openssl` checks that both directions are standard RSA-OAEP with
//! SHA-1.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use bytes::Bytes;
use wechatpay_core::operation::{HeaderName, Method, Operation, Request, Sensitive};
use wechatpay_core::Backend;
use wechatpay_core::{Client, Credentials, Error, KeyStore, PrivateKey};
use wechatpay_mock::{Fault, MockPlatform};

const CONTACT_NAME: &str = "张三";
const ACCOUNT_1: &str = "6222020000000000001";
const ACCOUNT_3: &str = "6217000000000000003";
const ID_CARD: &str = "110101199003077777";
const PAYER_NAME: &str = "李四";
const PHONE: &str = "13800138000";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../generator/tests/fixtures/ok")
        .join(name)
}

#[test]
fn the_hand_written_operations_declare_what_the_generator_prints() {
    let printed = |name: &str| -> String {
        let output = wechatpay_generator::generate_dir(&fixture(name), "fixture").unwrap();
        output.files.iter().map(|f| f.contents.as_str()).collect()
    };
    let answers = printed("encrypted_answers");
    assert!(answers.contains(r#".with_answer(&["/contact_name", "/accounts/*/account_number"])"#));
    let params = printed("encrypted_params");
    assert!(params.contains(r#".with_query(&["id_card_number", "name"])"#));
    // `FindPayer` spells the header as the spec does, to check that case does not matter.
    assert!(params.contains(r#".with_headers(&["x-payer-phone"])"#));
}

fn mock_on(fixture_name: &str) -> MockPlatform {
    MockPlatform::builder()
        .spec_dir(fixture(fixture_name))
        .start()
        .expect("the mock starts on the fixture")
}

/// A public-key-mode client whose merchant key is loaded with `backend`.
fn client_with(mock: &MockPlatform, backend: Backend) -> Client {
    let creds = mock.credentials();
    let key = PrivateKey::from_pem_with(&creds.merchant_private_key_pem, backend).unwrap();
    let credentials = Credentials::new(&creds.mchid, &creds.merchant_serial, key);
    Client::builder(credentials)
        .key_store(creds.key_store().unwrap())
        .base_url(mock.base_url())
        .build()
        .unwrap()
}

fn client(mock: &MockPlatform) -> Client {
    client_with(mock, Backend::default())
}

/// `GET /v3/applyments/{applyment_id}` of the `encrypted_answers` fixture.
#[derive(Debug)]
struct QueryApplyment(String);

#[derive(Debug, serde::Deserialize)]
struct Applyment {
    contact_name: String,
    accounts: Vec<Account>,
}

#[derive(Debug, serde::Deserialize)]
struct Account {
    account_number: Option<String>,
}

fn request<'a>(id: &'a str, path: &'a str, sensitive: Sensitive<'a>) -> Request<'a> {
    Request::new(id, Method::GET, path)
        .with_platform_serial()
        .with_sensitive(sensitive)
}

impl Operation for QueryApplyment {
    type Output = Applyment;
    fn request(&self) -> Request<'_> {
        let sensitive =
            Sensitive::NONE.with_answer(&["/contact_name", "/accounts/*/account_number"]);
        let mut request = request("queryApplyment", "/v3/applyments/{applyment_id}", sensitive);
        request.path_params = vec![("applyment_id", self.0.as_str().into())];
        request.platform_serial = false;
        request
    }
    fn decode(&self, body: &Bytes) -> Result<Applyment, serde_json::Error> {
        serde_json::from_slice(body)
    }
}

/// `GET /v3/payers` of the `encrypted_params` fixture.
#[derive(Debug)]
struct FindPayer {
    id_card_number: String,
    name: String,
    phone: String,
}

impl FindPayer {
    fn new() -> Self {
        Self {
            id_card_number: ID_CARD.into(),
            name: PAYER_NAME.into(),
            phone: PHONE.into(),
        }
    }
}

impl Operation for FindPayer {
    type Output = serde_json::Value;
    fn request(&self) -> Request<'_> {
        let sensitive = Sensitive::NONE
            .with_query(&["id_card_number", "name"])
            // As the spec spells it: header names match without regard to case, for
            // encryption and `Debug` alike.
            .with_headers(&["X-Payer-Phone"]);
        let mut request = request("findPayer", "/v3/payers", sensitive);
        request.query = vec![
            ("id_card_number", self.id_card_number.as_str().into()),
            ("name", self.name.as_str().into()),
            ("limit", "5".into()),
        ];
        let phone = HeaderName::from_static("x-payer-phone");
        request.headers = vec![(phone, self.phone.as_str().into())];
        request
    }
    fn decode(&self, body: &Bytes) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_slice(body)
    }
}

/// Decrypts base64 `ciphertext` with the PEM `key` by the `openssl` CLI: RSA-OAEP, SHA-1 and
/// MGF1-SHA-1.
fn openssl_decrypt(key_pem: &str, ciphertext_b64: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("key.pem"), key_pem).unwrap();
    let ciphertext = base64::engine::general_purpose::STANDARD
        .decode(ciphertext_b64)
        .unwrap();
    std::fs::write(dir.path().join("ct"), ciphertext).unwrap();
    let out = Command::new("openssl")
        .args(["pkeyutl", "-decrypt", "-inkey", "key.pem", "-in", "ct"])
        .args([
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha1",
        ])
        .args(["-pkeyopt", "rsa_mgf1_md:sha1"])
        .current_dir(dir.path())
        .output()
        .expect("the openssl CLI is installed (see .ci/run)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn sensitive_answer_fields_arrive_decrypted_with_either_backend() {
    let mock = mock_on("encrypted_answers");
    let mut backends = vec![Backend::AwsLc];
    backends.push(Backend::RustCrypto);
    for backend in backends {
        let answer = client_with(&mock, backend)
            .execute(&QueryApplyment("A-1".into()))
            .await
            .unwrap();
        assert_eq!(answer.data.contact_name, CONTACT_NAME, "{backend:?}");
        let numbers: Vec<Option<&str>> = (answer.data.accounts.iter())
            .map(|a| a.account_number.as_deref())
            .collect();
        assert_eq!(numbers, [Some(ACCOUNT_1), None, Some(ACCOUNT_3)]);
    }
}

#[tokio::test]
async fn the_mock_encrypts_answer_fields_with_standard_oaep_sha1_for_the_merchant_key() {
    let mock = mock_on("encrypted_answers");
    // The generic call declares no sensitive fields: it hands over the answer as sent.
    let raw = client(&mock)
        .chain("/v3/applyments/A-1")
        .get()
        .await
        .unwrap()
        .data
        .unwrap();
    let key = mock.credentials().merchant_private_key_pem.clone();
    let name = raw["contact_name"].as_str().unwrap();
    assert_ne!(name, CONTACT_NAME);
    assert_eq!(openssl_decrypt(&key, name), CONTACT_NAME);
    let third = raw["accounts"][2]["account_number"].as_str().unwrap();
    assert_eq!(openssl_decrypt(&key, third), ACCOUNT_3);
    assert_eq!(raw["accounts"][1].get("account_number"), None);
}

#[tokio::test]
async fn a_tampered_answer_field_is_a_typed_error_naming_the_field_and_no_secret() {
    let mock = mock_on("encrypted_answers");
    mock.fault_next(Fault::TamperedCiphertext);
    let err = client(&mock)
        .execute(&QueryApplyment("A-1".into()))
        .await
        .unwrap_err();
    let Error::SensitiveField {
        operation,
        pointer,
        request_id,
    } = &err
    else {
        panic!("expected a sensitive-field error, got {err:?}");
    };
    assert_eq!(
        (operation.as_str(), pointer.as_str()),
        ("queryApplyment", "/contact_name")
    );
    assert!(request_id
        .as_deref()
        .is_some_and(|id| id.starts_with("mock-")));
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains(CONTACT_NAME) && !shown.contains("=="),
        "{shown}"
    );
    // The signature was valid: the same call without the fault succeeds.
    let again = client(&mock).execute(&QueryApplyment("A-1".into())).await;
    assert_eq!(again.unwrap().data.contact_name, CONTACT_NAME);
}

#[tokio::test]
async fn credentials_without_a_decrypter_are_refused_before_decoding() {
    let mock = mock_on("encrypted_answers");
    let creds = mock.credentials();
    let key = PrivateKey::from_pem(&creds.merchant_private_key_pem).unwrap();
    let key = std::sync::Arc::new(key);
    let signer = Credentials::with_signer(&creds.mchid, &creds.merchant_serial, key);
    let client = Client::builder(signer)
        .key_store(creds.key_store().unwrap())
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let err = client
        .execute(&QueryApplyment("A-1".into()))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::NoDecrypter { operation } if operation == "queryApplyment"),
        "{err}"
    );
}

#[tokio::test]
async fn sensitive_parameters_are_encrypted_with_the_key_named_in_the_serial() {
    let mock = mock_on("encrypted_params");
    let creds = mock.credentials();
    let certificate = {
        let keys = KeyStore::new();
        let pem = &creds.platform_certificate_pem;
        keys.add_certificate(&wechatpay_core::Certificate::from_pem(pem).unwrap())
            .unwrap();
        Client::builder(creds.credentials().unwrap())
            .key_store(keys)
            .base_url(mock.base_url())
            .build()
            .unwrap()
    };
    let clients = [
        (client(&mock), &creds.public_key_id),
        (certificate, &creds.platform_certificate_serial),
    ];
    for (i, (client, serial)) in clients.iter().enumerate() {
        let answer = client.execute(&FindPayer::new()).await.unwrap();
        assert_eq!(answer.data["found"], true);
        // The answer echoes the encrypted query value as the platform read it: in plaintext.
        assert_eq!(answer.data["name"], PAYER_NAME);
        let seen = &mock.requests()[i];
        assert_eq!(seen.header("Wechatpay-Serial"), Some(serial.as_str()));
        assert!(seen.target.contains("&limit=5"), "{}", seen.target);
        for secret in [ID_CARD, PHONE] {
            assert!(!seen.target.contains(secret) && seen.header("X-Payer-Phone") != Some(secret));
        }
        let expected = [
            ("id_card_number", ID_CARD),
            ("name", PAYER_NAME),
            ("X-Payer-Phone", PHONE),
        ];
        let plain: Vec<(&str, &str)> = (seen.plaintext_params.iter())
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(plain, expected);
    }
    let shown = format!("{:?}", FindPayer::new().request());
    assert!(shown.contains("<redacted>") && !shown.contains(ID_CARD) && !shown.contains(PHONE));
    assert!(shown.contains("\"limit\", \"5\""), "{shown}");
}

#[tokio::test]
async fn parameters_under_another_key_are_refused_and_are_standard_oaep_sha1() {
    let mock = mock_on("encrypted_params");
    let creds = mock.credentials();
    // The client holds a key of its own under the mock's key id: the mock cannot decrypt.
    let ours = PrivateKey::generate(Backend::default()).unwrap();
    let keys = KeyStore::new();
    keys.add_public_key(&creds.public_key_id, ours.public_key().unwrap());
    let client = Client::builder(creds.credentials().unwrap())
        .key_store(keys)
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let err = client.execute(&FindPayer::new()).await.unwrap_err();
    let Error::Api(api) = &err else {
        panic!("expected a 400, got {err:?}")
    };
    assert_eq!((api.status, api.code.as_str()), (400, "PARAM_ERROR"));
    assert!(api.message.contains("query.id_card_number"), "{api}");
    // What was sent decrypts, with OpenSSL and our key, to what the caller wrote.
    let seen = &mock.requests()[0];
    let query = seen.target.split_once('?').unwrap().1;
    let value = |name: &str| {
        let pair = query
            .split('&')
            .find(|p| p.starts_with(&format!("{name}=")));
        let encoded = pair.unwrap().split_once('=').unwrap().1;
        percent_encoding::percent_decode_str(encoded)
            .decode_utf8()
            .unwrap()
            .into_owned()
    };
    let pem = ours.to_pkcs8_pem();
    assert_eq!(openssl_decrypt(&pem, &value("id_card_number")), ID_CARD);
    assert_eq!(openssl_decrypt(&pem, &value("name")), PAYER_NAME);
    let header = seen.header("X-Payer-Phone").unwrap();
    assert_eq!(openssl_decrypt(&pem, header), PHONE);
}

/// Where `x-wechatpay-encrypted` may go, checked from both ends: schemas with the mark at
/// random depths, under objects, arrays and maps, with member names the core's pointers must
/// escape (`*`, `~`, `/`). Either lowering refuses the spec with an error located at a mark, or
/// every marked value of an instance is reached by the operation's pointers, read by the core's
/// own pointer code: replaced there, no marked value is left in plaintext and no other value is
/// touched.
mod marks_at_any_depth {
    use proptest::prelude::*;
    use serde_json::{json, Map, Value};
    use wechatpay_core::__private::pointer::Pointer;
    use wechatpay_generator::{lower, Source};

    /// A schema: a string (marked or not), or an object, array or map of schemas.
    #[derive(Debug, Clone)]
    enum Node {
        Text { marked: bool },
        Object(Vec<Node>),
        Array(Box<Node>),
        Map(Box<Node>),
    }

    /// Names of string members, the ones pointers escape among them (each with a Rust name);
    /// a member's name is picked by its position, so that names within one object differ.
    /// Objects, arrays and maps are named `o0`, `o1`…: their names also name inline types.
    const NAMES: [&str; 6] = ["*", "~", "/", "a*b~1", "n", "x/~0"];

    fn name(i: usize, member: &Node) -> String {
        match member {
            Node::Text { .. } => NAMES[i].to_owned(),
            _ => format!("o{i}"),
        }
    }

    fn node() -> impl Strategy<Value = Node> {
        let leaf = any::<bool>().prop_map(|marked| Node::Text { marked });
        leaf.prop_recursive(5, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 1..4).prop_map(Node::Object),
                inner.clone().prop_map(|n| Node::Array(Box::new(n))),
                inner.prop_map(|n| Node::Map(Box::new(n))),
            ]
        })
    }

    fn schema(node: &Node) -> Value {
        match node {
            Node::Text { marked } => json!({"type": "string", "x-wechatpay-encrypted": marked}),
            Node::Object(members) => {
                let properties: Map<String, Value> = (members.iter().enumerate())
                    .map(|(i, member)| {
                        let mut schema = schema(member);
                        if let Node::Text { .. } = member {
                            schema["x-wechatpay-rust-name"] = json!(format!("t{i}"));
                        }
                        (name(i, member), schema)
                    })
                    .collect();
                json!({"type": "object", "properties": properties})
            }
            Node::Array(items) => json!({"type": "array", "items": schema(items)}),
            Node::Map(values) => json!({"type": "object", "additionalProperties": schema(values)}),
        }
    }

    /// An instance: marked strings hold `SECRET`, others `plain`; two items per array and two
    /// values per map.
    fn instance(node: &Node) -> Value {
        match node {
            Node::Text { marked } => json!(if *marked { "SECRET" } else { "plain" }),
            Node::Object(members) => Value::Object(
                (members.iter().enumerate())
                    .map(|(i, member)| (name(i, member), instance(member)))
                    .collect(),
            ),
            Node::Array(items) => json!([instance(items), instance(items)]),
            Node::Map(values) => json!({"k1": instance(values), "k2": instance(values)}),
        }
    }

    /// Whether a mark sits where nothing would encrypt it: under a map, or not directly in an
    /// object's property.
    fn misplaced(node: &Node, in_property: bool, under_map: bool) -> bool {
        match node {
            Node::Text { marked } => *marked && (!in_property || under_map),
            Node::Object(members) => (members.iter()).any(|m| misplaced(m, true, under_map)),
            Node::Array(items) => misplaced(items, false, under_map),
            Node::Map(values) => misplaced(values, false, true),
        }
    }

    fn count(value: &Value, text: &str) -> usize {
        match value {
            Value::String(s) => usize::from(s == text),
            Value::Array(items) => items.iter().map(|v| count(v, text)).sum(),
            Value::Object(map) => map.values().map(|v| count(v, text)).sum(),
            _ => 0,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn every_mark_is_encrypted_or_a_located_error(members in prop::collection::vec(node(), 1..4)) {
            let body = Node::Object(members);
            let spec = json!({
                "openapi": "3.0.3",
                "info": {"title": "t", "version": "1"},
                "paths": {"/v3/x": {"post": {
                    "operationId": "op",
                    "requestBody": {"content": {"application/json": {"schema": schema(&body)}}},
                    "responses": {"204": {"description": "ok"}},
                }}},
            });
            let source = Source {
                name: "spec.yaml".to_owned(),
                text: serde_json::to_string_pretty(&spec).unwrap(),
            };
            match lower(&[source]) {
                Err(errors) => {
                    prop_assert!(misplaced(&body, false, false), "refused: {errors}");
                    for e in &errors.0 {
                        prop_assert!(e.line.is_some(), "not located: {e}");
                        prop_assert!(e.message.contains("x-wechatpay-encrypted"), "{e}");
                    }
                }
                Ok(api) => {
                    prop_assert!(!misplaced(&body, false, false), "a misplaced mark was accepted");
                    let op = api.operations().next().unwrap();
                    let mut sent = instance(&body);
                    let (secrets, plain) = (count(&sent, "SECRET"), count(&sent, "plain"));
                    for text in &op.encrypted_fields {
                        Pointer::parse(text).unwrap().for_each_mut(&mut sent, &mut |field| {
                            *field = json!("CIPHER");
                            Ok::<_, ()>(())
                        }).unwrap();
                    }
                    prop_assert_eq!(count(&sent, "SECRET"), 0, "{:?}: {}", op.encrypted_fields, sent);
                    prop_assert_eq!(count(&sent, "CIPHER"), secrets);
                    prop_assert_eq!(count(&sent, "plain"), plain);
                }
            }
        }
    }
}
