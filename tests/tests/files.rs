//! Uploads and downloads over real HTTP against a mock serving the generator's `uploads`
//! fixture: the multipart body and its signature over `meta` (checked by the mock's own
//! parser), digests checked by `openssl`, streamed downloads with their limit and checksum.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use wechatpay_api::operation::{Answer, Body, Method, Operation, Request};
use wechatpay_api::{Bytes, Checksum, Client, Error, Limits, TransportErrorKind, Upload};
use wechatpay_mock::MockPlatform;

/// The file the fixture's `downloadImage` serves (its example).
const IMAGE: &str = "JFIF: the bytes of a complaint image";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../generator/tests/fixtures/ok/uploads")
}

fn mock() -> MockPlatform {
    MockPlatform::builder()
        .spec_dir(fixture())
        .start()
        .expect("the mock serves the uploads fixture")
}

fn client_with(mock: &MockPlatform, limits: Limits) -> Client {
    mock.credentials()
        .client_builder(mock.base_url())
        .unwrap()
        .limits(limits)
        .build()
        .unwrap()
}

/// `openssl dgst -<algorithm>` of `bytes`, lowercase hex.
fn openssl_digest(algorithm: &str, bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("file");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("openssl")
        .args(["dgst", &format!("-{algorithm}"), "-r"])
        .arg(&path)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.split_whitespace().next().unwrap().to_owned()
}

/// An upload written by hand, as a user would for an endpoint not in the spec: `meta` holds
/// `filename` and `sha256` (written by the client) plus `extra`.
struct ImageUpload {
    path: &'static str,
    extra: Option<serde_json::Value>,
    file: Upload,
}

impl Operation for ImageUpload {
    type Output = serde_json::Value;
    fn request(&self) -> Request<'_> {
        let meta = self.extra.as_ref().map(|m| m as _);
        let filename_in_meta = self.extra.is_none();
        Request::new("uploadImage", Method::POST, self.path).with_body(Body::multipart(
            meta,
            &self.file,
            filename_in_meta,
        ))
    }
    fn decode(&self, body: &Bytes) -> Result<Self::Output, serde_json::Error> {
        serde_json::from_slice(body)
    }
}

fn image(file: Upload) -> ImageUpload {
    ImageUpload {
        path: "/v3/merchant/media/upload",
        extra: None,
        file,
    }
}

/// A download of the file at `path` (no placeholders).
struct Fetch(&'static str);

/// The fixture's image download.
const IMAGE_PATH: Fetch = Fetch("/v3/merchant-service/images/m-1");

impl Operation for Fetch {
    type Output = Bytes;
    fn request(&self) -> Request<'_> {
        Request::new("downloadImage", Method::GET, self.0).with_answer(Answer::Download)
    }
    fn decode(&self, body: &Bytes) -> Result<Self::Output, serde_json::Error> {
        Ok(body.clone())
    }
}

#[tokio::test]
async fn an_upload_sends_two_parts_and_signs_the_meta_json() {
    let mock = mock();
    let client = common::client(&mock);
    let content: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let answer = client
        .execute(&image(Upload::new("商户图片.png", content.clone())))
        .await
        .expect("the mock accepts the parts and the signature over meta");
    assert!(answer.data["media_id"].is_string());
    let logged = &mock.requests()[0];
    let content_type = logged.headers["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
    // The mock read `meta` from the parts; its digest is the one openssl computes.
    let meta = logged.plaintext_body.as_ref().expect("the meta JSON");
    assert_eq!(meta["sha256"], openssl_digest("sha256", &content));
    assert_eq!(meta["filename"], "商户图片.png");
    // The file part carries the bytes unchanged.
    let body = &logged.body;
    assert!(body.windows(content.len()).any(|w| w == content.as_slice()));
    assert!(String::from_utf8_lossy(body).contains("Content-Type: image/png"));
}

#[tokio::test]
async fn the_mock_checks_the_parts_it_is_given() {
    let mock = mock();
    let client = common::client(&mock);
    // The fixture takes jpeg, png and bmp only.
    let err = client
        .execute(&image(Upload::new("clip.mp4", &b"video"[..])))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("body.file"), "{err}");
    // Extra meta fields are checked against the spec: `transaction_id` is required.
    let receipt = |extra| ImageUpload {
        path: "/v3/marketing/shopping-receipt/shoppingreceipts",
        extra: Some(extra),
        file: Upload::new("r.pdf", &b"%PDF"[..]),
    };
    let err = client
        .execute(&receipt(serde_json::json!({"out_trade_no": "1"})))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("body.meta.transaction_id"),
        "{err}"
    );
    let ok = client
        .execute(&receipt(serde_json::json!({"transaction_id": "42"})))
        .await
        .unwrap();
    assert_eq!(ok.data["receipt_id"], "r1");
    let meta = mock
        .requests()
        .last()
        .unwrap()
        .plaintext_body
        .clone()
        .unwrap();
    assert_eq!(meta["transaction_id"], "42");
    assert!(meta.get("filename").is_none());
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config::with_cases(48))]

    /// Client and mock agree on file names: whatever the client sends (`;`, `=`, spaces,
    /// quotes of other kinds, non-ASCII), the mock reads back the same name; what it cannot
    /// send, it refuses before sending.
    #[test]
    fn client_and_mock_agree_on_every_file_name(
        stem in "[a-z;= '`%&\\\\\"\u{4e00}-\u{4e05}\r\n]{1,12}",
    ) {
        let name = format!("{stem}.png");
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (mock, result) = runtime.block_on(async {
            let mock = mock();
            let result = common::client(&mock).execute(&image(Upload::new(&name, &b"x"[..]))).await;
            (mock, result)
        });
        let unsendable = name.contains(['"', '\\', '\r', '\n']);
        match result {
            Err(Error::Upload { .. }) => proptest::prop_assert!(unsendable, "{name:?} refused"),
            Err(e) => proptest::prop_assert!(false, "{name:?}: {e}"),
            Ok(_) => {
                proptest::prop_assert!(!unsendable, "{name:?} was sent");
                let meta = mock.requests()[0].plaintext_body.clone().unwrap();
                proptest::prop_assert_eq!(&meta["filename"], &serde_json::json!(name));
            }
        }
    }
}

#[tokio::test]
async fn file_names_that_would_break_the_part_header_are_refused_before_sending() {
    let mock = mock();
    let client = common::client(&mock);
    let err = client
        .execute(&image(Upload::new("a\"\r\nX: y.png", &b"x"[..])))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Upload { .. }), "{err:?}");
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn a_download_streams_to_a_writer_and_its_digest_is_checked() {
    let mock = mock();
    let client = common::client(&mock);
    for algorithm in ["sha1", "sm3"] {
        let digest = openssl_digest(algorithm, IMAGE.as_bytes());
        let checksum = Checksum::new(algorithm, digest.to_uppercase()).unwrap();
        let mut file = Vec::new();
        let done = client
            .download(&IMAGE_PATH, &mut file, Some(&checksum))
            .await
            .expect("the digest matches");
        assert_eq!(file, IMAGE.as_bytes());
        assert_eq!(done.len, IMAGE.len() as u64);
        assert!(done.request_id.is_some());
    }
    let wrong = Checksum::Sha1(openssl_digest("sha1", b"another file"));
    let err = client
        .download(&IMAGE_PATH, &mut Vec::new(), Some(&wrong))
        .await
        .unwrap_err();
    match &err {
        Error::DigestMismatch {
            algorithm, actual, ..
        } => {
            assert_eq!(*algorithm, "SHA1");
            assert_eq!(actual, &openssl_digest("sha1", IMAGE.as_bytes()));
        }
        other => panic!("expected a digest mismatch, got {other:?}"),
    }
    // `execute` gives the same bytes, bounded in memory.
    let whole = client.execute(&IMAGE_PATH).await.unwrap();
    assert_eq!(whole.data, IMAGE.as_bytes());
}

#[tokio::test]
async fn a_download_past_its_limit_stops() {
    let mock = mock();
    let limits = Limits {
        download: 10,
        ..Limits::default()
    };
    let client = client_with(&mock, limits);
    let mut file = Vec::new();
    let err = client
        .download(&IMAGE_PATH, &mut file, None)
        .await
        .unwrap_err();
    match &err {
        Error::Transport { source, .. } => {
            assert_eq!(source.kind(), TransportErrorKind::TooLarge { limit: 10 })
        }
        other => panic!("expected too large, got {other:?}"),
    }
    assert!(file.len() <= 10);
}

#[tokio::test]
async fn only_downloads_can_be_streamed_and_errors_stay_typed() {
    let mock = mock();
    let client = common::client(&mock);
    let upload = image(Upload::new("a.png", &b"x"[..]));
    let err = client
        .download(&upload, &mut Vec::new(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotADownload { .. }), "{err:?}");
    assert!(mock.requests().is_empty());
    // An error answer to a download is the platform's error, not a file.
    let mut file = Vec::new();
    let err = client
        .download(&Fetch("/v3/no/such/file"), &mut file, None)
        .await
        .unwrap_err();
    match err {
        Error::Api(api) => assert_eq!(api.status, 404),
        other => panic!("expected the platform's error, got {other:?}"),
    }
    assert!(file.is_empty());
}

#[test]
fn the_blocking_client_downloads_into_a_std_writer() {
    let mock = mock();
    let client = common::blocking_client(&mock);
    let mut file = std::io::Cursor::new(Vec::new());
    let checksum = Checksum::Sm3(openssl_digest("sm3", IMAGE.as_bytes()));
    client
        .download(&IMAGE_PATH, &mut file, Some(&checksum))
        .unwrap();
    assert_eq!(file.into_inner(), IMAGE.as_bytes());
}

/// The e-invoice upload (`fapiaoUploadFile`, from `spec/`): its `meta` carries the file's SM3 as
/// `digest` with `digest_alogrithm: SM3`, written by the client, which the mock checks against
/// the file part and `openssl` computes the same.
#[tokio::test]
async fn the_e_invoice_upload_carries_the_sm3_digest_openssl_computes() {
    use wechatpay_api::fapiao::{FapiaoFileType, FapiaoUploadFile, FapiaoUploadFileRequired};
    let mock = MockPlatform::start().unwrap();
    let client = common::client(&mock);
    let content: Vec<u8> = b"%PDF-1.7 an e-invoice".repeat(500);
    let answer = client
        .execute(&FapiaoUploadFile::new(FapiaoUploadFileRequired {
            file_type: FapiaoFileType::Pdf,
            file: Upload::new("fapiao.pdf", content.clone()),
        }))
        .await
        .expect("the mock finds the SM3 of the file part in meta");
    assert!(!answer.data.fapiao_media_id.is_empty());
    let logged = mock.last_request("fapiaoUploadFile").unwrap();
    let meta = logged.plaintext_body.as_ref().expect("the meta JSON");
    assert_eq!(meta["digest"], openssl_digest("sm3", &content));
    assert_eq!(meta["digest_alogrithm"], "SM3");
    assert_eq!(meta["file_type"], "PDF");
    assert!(meta.get("sha256").is_none(), "{meta}");
}
