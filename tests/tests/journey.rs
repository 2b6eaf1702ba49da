//! The promise "edit YAML, get a typed, working method", as a test: copy `spec/`, add an
//! endpoint in YAML, regenerate with the real codegen, build a crate that calls the new typed
//! operation, and run it against a mock started on the extended spec. A second scratch crate
//! compiles every generator fixture and exercises its generated code.
//!
//! Both build crates with cargo, so they are `#[ignore]`d for a quick `cargo test`; `.ci/run`
//! runs them (`--include-ignored`). They share one target folder, `scratch/` in the workspace's target folder.

use std::path::{Path, PathBuf};

mod common;
use common::workspace;
use std::process::Command;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The scratch crates' target folder, shared by every test that builds one: `scratch/` in the
/// target folder of the workspace.
fn scratch_target() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"))
        .join("scratch")
}

/// Runs cargo in a scratch workspace with the shared scratch target folder and our lock file.
fn cargo(dir: &Path, args: &[&str]) -> String {
    std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let out = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", scratch_target())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "cargo {args:?} failed:\n{text}");
    text
}

fn dep(name: &str) -> String {
    format!(
        "{name} = {{ path = {:?} }}",
        workspace().join(name).display().to_string()
    )
}

/// A standalone copy of the `wechatpay-api` crate skeleton, to be filled by the codegen.
fn api_crate(dir: &Path) {
    write(
        &dir.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"wechatpay-api\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[features]\ndefault = [\"full\"]\n# @generated-features-start\nfull = []\n# @generated-features-end\n\n[dependencies]\n{}\nserde = {{ version = \"1\", features = [\"derive\"] }}\nserde_json = \"1\"\ntime = {{ version = \"0.3\", features = [\"serde\", \"formatting\", \"parsing\"] }}\n",
            dep("wechatpay-core")
        ),
    );
    write(
        &dir.join("src/lib.rs"),
        "#[rustfmt::skip]\nmod generated;\npub use generated::*;\npub use wechatpay_core;\n",
    );
}

/// The YAML block of the worked example in `spec/README.md`.
fn readme_example() -> String {
    let readme = std::fs::read_to_string(workspace().join("spec/README.md")).unwrap();
    let start = readme
        .find("```yaml\n")
        .expect("the README has a YAML example")
        + "```yaml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let block = &readme[start..end];
    let indent =
        block.lines().next().unwrap().len() - block.lines().next().unwrap().trim_start().len();
    block
        .lines()
        .map(|l| l.get(indent..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

const EXTRA: &str = r#"openapi: 3.0.3
info:
  title: 新增接口 (an endpoint added by a user)
  version: "1.0"
paths:
  /v3/extra/things/{thing_id}:
    get:
      operationId: getExtraThing
      summary: 查询新增资源
      parameters:
        - { name: thing_id, in: path, required: true, schema: { type: string } }
        - { name: limit, in: query, required: true, schema: { type: integer, format: int32, maximum: 50 } }
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [thing_id, state]
                properties:
                  thing_id: { type: string, example: "T-1" }
                  state: { type: string, enum: [ACTIVE, CLOSED], example: ACTIVE }
  /v3/extra/images/upload:
    post:
      operationId: uploadExtraImage
      summary: 上传图片
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              required: [file, meta]
              properties:
                file: { type: string, format: binary }
                meta:
                  type: object
                  required: [filename, sha256]
                  properties:
                    filename: { type: string }
                    sha256: { type: string }
            encoding:
              file: { contentType: "image/png, image/jpeg" }
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [media_id]
                properties:
                  media_id: { type: string, example: "M-1" }
  /v3/extra/files/{name}:
    get:
      operationId: downloadExtraFile
      x-wechatpay-unsigned-response: true
      parameters:
        - { name: name, in: path, required: true, schema: { type: string } }
      responses:
        "200":
          description: the file
          content:
            text/plain:
              schema: { type: string, format: binary }
              example: "extra file contents\n"
"#;

#[test]
#[ignore = "builds a scratch crate with cargo; run by .ci/run"]
fn extend_the_spec_journey() {
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path();
    // 1. Copy spec/ and 2. add an endpoint in YAML.
    std::fs::create_dir_all(root.join("spec")).unwrap();
    for entry in std::fs::read_dir(workspace().join("spec")).unwrap() {
        let path = entry.unwrap().path();
        // The spec files and the README; not the notes in `spec/sources/`.
        if path.is_file() {
            std::fs::copy(&path, root.join("spec").join(path.file_name().unwrap())).unwrap();
        }
    }
    write(&root.join("spec/extra.yaml"), EXTRA);
    // The worked example of spec/README.md, verbatim, so the documentation stays true.
    write(
        &root.join("spec/membercard-activity.yaml"),
        &readme_example(),
    );
    // 3. Run the generator, exactly as `cargo xtask codegen` does.
    api_crate(&root.join("api"));
    let written = wechatpay_generator::codegen(
        &root.join("spec"),
        &root.join("api"),
        wechatpay_generator::Mode::Write,
    )
    .unwrap();
    assert!(
        written
            .created
            .contains(&"src/generated/extra.rs".to_owned()),
        "{written:?}"
    );
    assert!(
        written
            .operations_added
            .contains(&"extra::GetExtraThing".to_owned()),
        "{written:?}"
    );
    assert!(wechatpay_generator::codegen(
        &root.join("spec"),
        &root.join("api"),
        wechatpay_generator::Mode::Check
    )
    .unwrap()
    .is_empty());
    // 4. A crate that calls the new typed operation, and 5. runs it against a mock on the
    // extended spec.
    write(
        &root.join("Cargo.toml"),
        "[workspace]\nresolver = \"2\"\nmembers = [\"api\", \"user\"]\n",
    );
    write(
        &root.join("user/Cargo.toml"),
        &format!(
            "[package]\nname = \"user\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[dependencies]\nwechatpay-api = {{ path = \"../api\" }}\n{}\ntokio = {{ version = \"1\", features = [\"rt-multi-thread\", \"macros\"] }}\n",
            dep("wechatpay-mock")
        ),
    );
    write(
        &root.join("user/src/main.rs"),
        r#"use wechatpay_api::extra::{GetExtraThing, GetExtraThingRequired, GetExtraThingResponseState};

#[tokio::main]
async fn main() {
    let spec = std::env::args().nth(1).expect("spec folder");
    let mock = wechatpay_mock::MockPlatform::builder().spec_dir(spec).start().expect("mock");
    let client = mock.credentials().client_builder(mock.base_url()).unwrap().build().unwrap();
    let op = GetExtraThing::new(GetExtraThingRequired { thing_id: "T 1/ä".into(), limit: 20 });
    let answer = client.execute(&op).await.expect("the new operation works end to end");
    // The mock's answer echoes the path parameter the request gave.
    assert_eq!(answer.data.thing_id, "T 1/ä");
    assert_eq!(answer.data.state, GetExtraThingResponseState::Active);
    let seen = mock.requests();
    assert_eq!(seen[0].target, "/v3/extra/things/T%201%2F%C3%A4?limit=20");
    let too_many = client.execute(&GetExtraThing::new(GetExtraThingRequired { thing_id: "T".into(), limit: 51 })).await.unwrap_err();
    assert!(too_many.to_string().contains("query.limit"), "{too_many}");
    let image = wechatpay_api::wechatpay_core::Upload::new("a.png", vec![0x89, b'P', b'N', b'G']);
    let uploaded = client.execute(&wechatpay_api::extra::UploadExtraImage::new(image)).await.expect("the upload works");
    assert_eq!(uploaded.data.media_id, "M-1");
    // The digest, computed once with `openssl dgst -sha1` over the served example.
    let checksum = wechatpay_api::wechatpay_core::Checksum::Sha1("d0af24c15cf3b14f2569c39a985f9c6159488269".into());
    let mut file = Vec::new();
    let download = wechatpay_api::extra::DownloadExtraFile::new("report.txt");
    client.download(&download, &mut file, Some(&checksum)).await.expect("the download works");
    assert_eq!(file, b"extra file contents\n");
    let activity = client.execute(&wechatpay_api::membercard_activity::QueryMemberActivity::new("126002309")).await.unwrap();
    assert_eq!(activity.data.activity_status, wechatpay_api::membercard_activity::QueryMemberActivityResponseActivityStatus::Ongoing);
    println!("journey ok: {} {:?}", answer.data.thing_id, answer.request_id);
}
"#,
    );
    cargo(root, &["check", "-q", "-p", "user"]);
    let out = cargo(
        root,
        &[
            "run",
            "-q",
            "-p",
            "user",
            "--",
            root.join("spec").to_str().unwrap(),
        ],
    );
    assert!(out.contains("journey ok: T 1/ä"), "{out}");
}

const FIXTURE_CHECKS: &str = r##"
#[cfg(test)]
mod checks {
    use wechatpay_core::operation::{Answer, Body, Host, Operation};
    use wechatpay_core::__private::{encode_query, fill_path};
    use wechatpay_core::Bytes;

    /// The path and query as sent, and the extra headers.
    fn wire<O: Operation>(op: &O) -> (String, String, Vec<(String, String)>) {
        let r = op.request();
        let headers = r.headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        (fill_path(r.path, &r.path_params).unwrap(), encode_query(&r.query), headers)
    }

    #[test]
    fn enums_are_open_and_unknown_values_round_trip() {
        use crate::enums::spec::{ComplaintState, ComplaintStateUpdate};
        let v: ComplaintStateUpdate = serde_json::from_str(r#"{"state":"ESCALATED"}"#).unwrap();
        assert_eq!(v.state, ComplaintState::Unknown("ESCALATED".into()));
        assert_eq!(serde_json::to_string(&v).unwrap(), r#"{"state":"ESCALATED"}"#);
        assert_eq!("PENDING".parse::<ComplaintState>().unwrap(), ComplaintState::Pending);
        assert_eq!(ComplaintState::UnknownValue.as_str(), "UNKNOWN");
        assert_eq!(ComplaintState::V1st.to_string(), "1st");
    }

    #[test]
    fn keywords_and_colliding_names_keep_their_wire_names() {
        use crate::keywords::spec::{UseKeywords, UseKeywordsRequired};
        let op = UseKeywords::new(UseKeywordsRequired { type_: "a/b".into(), body_type_: "t".into(), ref_: "r".into(), body_self_: "s".into(), client: "c".into() }).with_body_query("q").with_self("h");
        let (path, query, headers) = wire(&op);
        assert_eq!(path, "/v3/keywords/a%2Fb");
        assert_eq!(query, "body=q");
        assert_eq!(headers, vec![("self".to_string(), "h".to_string())]);
        let json = serde_json::to_value(&op.body).unwrap();
        assert_eq!(json, serde_json::json!({"type": "t", "ref": "r", "self": "s", "client": "c"}));
    }

    #[test]
    fn query_arrays_explode_or_join() {
        use crate::query_params::spec::{ListBills, ListBillsBillType};
        let op = ListBills::new("2026-01-01").with_limit(5).with_bill_type(ListBillsBillType::Refund).with_sub_mchids(vec!["a".into(), "b".into()]).with_states(vec!["X".into(), "Y".into()]);
        let (_, query, _) = wire(&op);
        assert_eq!(query, "bill_date=2026-01-01&limit=5&bill_type=REFUND&sub_mchids=a&sub_mchids=b&states=X%2CY");
    }

    #[test]
    fn encrypted_fields_are_found_in_nested_objects_and_arrays() {
        use crate::encrypted_fields::spec::*;
        let op = SubmitApplyment::new(SubmitApplymentRequired { contact: SubmitApplymentRequestContact::new("张三"), accounts: vec![] });
        let request = op.request();
        let Body::Json { encrypted, .. } = request.body else { panic!("a JSON body") };
        assert_eq!(encrypted, &["/contact/name", "/contact/mobile", "/accounts/*/account_number"]);
        assert_eq!(request.sensitive.answer, &["/id_card_number"]);
        assert!(request.platform_serial);
        assert!(!format!("{op:?}").contains("张三"));
    }

    #[test]
    fn hosts_and_responses_follow_the_spec() {
        assert_eq!(crate::hosts::hongkong::PingHongKong.request().host, Host::HongKong);
        assert_eq!(crate::hosts::mainland::PingMainland.request().host, Host::Mainland);
        let download = crate::responses::spec::DownloadBill::new("tok");
        assert_eq!(download.request().answer, Answer::Download);
        let raw = Bytes::from_static(b"raw,csv");
        assert_eq!(download.decode(&raw).unwrap(), raw);
        assert_eq!(crate::responses::spec::ResetStatus.request().answer, Answer::Empty);
        assert_eq!(crate::responses::spec::ResetStatus.decode(&Bytes::new()).unwrap(), ());
    }

    #[test]
    fn number_enums_are_open_and_unknown_values_round_trip() {
        use crate::number_enums::spec::*;
        let level: Level = serde_json::from_str("7").unwrap();
        assert_eq!(level, Level::Unknown(7));
        assert_eq!(serde_json::to_string(&level).unwrap(), "7");
        assert_eq!(serde_json::from_str::<Level>("2").unwrap(), Level::Premium);
        assert_eq!(SetLevelRequestRatio::from(2.5), SetLevelRequestRatio::V2_5);
        assert_eq!(SetLevelRequestRatio::Minus2_5.value(), -2.5);
        let op = SetLevel::new(SetLevelRequired { priority: SetLevelPriority::V2, level: SetLevelRequestLevel::Minus1 })
            .with_tier(Level::Unknown(9))
            .with_ratio(SetLevelRequestRatio::Unknown(0.25));
        let (_, query, _) = wire(&op);
        assert_eq!(query, "priority=2");
        assert_eq!(
            serde_json::to_value(&op.body).unwrap(),
            serde_json::json!({"level": -1, "ratio": 0.25, "tier": 9})
        );
    }

    #[test]
    fn null_in_an_answer_is_none_and_requests_never_send_null() {
        use crate::nullable_fields::spec::*;
        let answer: UpdateProfileResponse = serde_json::from_str(
            r#"{"nickname":"n","avatar":null,"updated_at":null,"tags":null}"#,
        )
        .unwrap();
        assert_eq!((answer.avatar, answer.updated_at, answer.tags), (None, None, None));
        let answer: UpdateProfileResponse = serde_json::from_str(r#"{"nickname":"n"}"#).unwrap();
        assert_eq!(answer.avatar, None);
        let op = UpdateProfile::new("n");
        assert_eq!(serde_json::to_string(&op.body).unwrap(), r#"{"nickname":"n"}"#);
    }

    #[test]
    fn maps_carry_their_entries() {
        use crate::maps::spec::*;
        let labels = std::collections::BTreeMap::from([("a".to_string(), "x".to_string())]);
        let op = PutSettings::new(labels).with_limits([("n".to_string(), 3)].into());
        assert_eq!(
            serde_json::to_value(&op.body).unwrap(),
            serde_json::json!({"labels": {"a": "x"}, "limits": {"n": 3}})
        );
        let answer: PutSettingsResponse =
            serde_json::from_str(r#"{"accounts":{"x":{"balance":5}},"raw":{"k":[1]}}"#).unwrap();
        assert_eq!(answer.accounts.unwrap()["x"].balance, 5);
    }

    #[test]
    fn odd_property_names_keep_their_wire_names() {
        use crate::property_names::spec::*;
        let op = SendOddNames::new("1").with_type("t").with_a_b_c(3).with_1st_choice("c");
        assert_eq!(
            serde_json::to_value(&op.body).unwrap(),
            serde_json::json!({"sub-mchid": "1", "1st_choice": "c", "@type": "t", "a/b:c": 3})
        );
        let answer: SendOddNamesResponse =
            serde_json::from_str(r#"{"2nd-level":"x","Content.Type":"y"}"#).unwrap();
        assert_eq!(answer._2nd_level.as_deref(), Some("x"));
    }

    #[test]
    fn enum_values_without_a_latin_name() {
        use crate::enum_names::spec::*;
        let answer: GetMerchantResponse =
            serde_json::from_str(r#"{"grade":"一级","region":"华东"}"#).unwrap();
        assert_eq!(answer.grade, GetMerchantResponseGrade::U4E00U7EA7);
        assert_eq!(answer.region, GetMerchantResponseRegion::EastChina);
        assert_eq!(GetMerchantResponseRegion::SouthChina.as_str(), "华南");
    }

    #[test]
    fn required_enum_parameters_are_sent() {
        use crate::required_enum_query::spec::*;
        let op = ListByState::new(ListByStateRequired { kind: ListByStateKind::Refund, state: ListByStateState::Open, level: ListByStateLevel::V2, wechatpay_mode: ListByStateWechatpayMode::Safe });
        let (path, query, headers) = wire(&op);
        assert_eq!(path, "/v3/required-enum/REFUND/bills");
        assert_eq!(query, "state=OPEN&level=2");
        assert_eq!(headers, vec![("wechatpay-mode".to_string(), "SAFE".to_string())]);
        let op = ListMixed::new(ListMixedRequired { state: ListMixedState::Closed, states: vec![ListMixedStatesItem::Open, ListMixedStatesItem::Unknown("X".into())] })
        .with_limit(5);
        let (_, query, _) = wire(&op);
        assert_eq!(query, "state=CLOSED&limit=5&states=OPEN&states=X");
    }

    #[test]
    #[allow(deprecated)]
    fn deprecated_items_still_work() {
        use crate::deprecated::spec::*;
        let op = OldCall::new("1").with_limit(2);
        assert_eq!(wire(&op).1, "limit=2");
        let op = NewCall::new(NewCallRequired { id: "1".into(), legacy_id: "old".into() }).with_legacy_flag(true).with_page(3);
        assert_eq!(wire(&op).1, "page=3");
        assert_eq!(
            serde_json::to_value(&op.body).unwrap(),
            serde_json::json!({"id": "1", "legacy_id": "old", "legacy_flag": true})
        );
    }

    #[test]
    fn uploads_carry_their_file_and_meta_fields() {
        use crate::uploads::spec::{UploadImage, UploadReceipt, UploadReceiptRequired, UploadVideo};
        let file = wechatpay_core::Upload::new("a.jpg", &b"jpeg"[..]);
        let image = UploadImage::new(file.clone());
        assert!(matches!(
            image.request().body,
            Body::Multipart { meta: None, filename_in_meta: true, .. }
        ));
        let video = UploadVideo::new(file.clone());
        assert!(matches!(video.request().body, Body::Multipart { meta: None, .. }));
        let receipt = UploadReceipt::new(UploadReceiptRequired { transaction_id: "4200".into(), file: file }).with_out_trade_no("T1");
        assert_eq!(
            serde_json::to_value(&receipt.body).unwrap(),
            serde_json::json!({"transaction_id": "4200", "out_trade_no": "T1"})
        );
        match receipt.request().body {
            Body::Multipart { meta: Some(_), file, filename_in_meta: false, .. } => {
                assert_eq!(file.filename(), "a.jpg")
            }
            other => panic!("{other:?}"),
        }
        let download = crate::uploads::spec::DownloadImage::new("m 1");
        assert_eq!(download.request().answer, Answer::Download);
    }

    #[test]
    fn notification_events_are_typed_by_event_type() {
        use crate::events::Event;
        use wechatpay_core::{Notification, NotificationEvent};
        let notification = |event_type: &str, resource| Notification {
            id: "EV-1".into(),
            create_time_raw: String::new(),
            create_time: None,
            event_type: event_type.into(),
            resource_type: "encrypt-resource".into(),
            summary: None,
            original_type: None,
            resource,
        };
        let paid = notification(
            "TRANSACTION.SUCCESS",
            serde_json::json!({"out_trade_no": "T-1", "trade_state": "SUCCESS", "amount": {"total": 5}}),
        );
        match Event::from_notification(&paid).unwrap() {
            Event::TransactionSuccess(order) => {
                assert_eq!(order.out_trade_no, "T-1");
                assert_eq!(order.amount.unwrap().total, Some(5));
            }
            other => panic!("{other:?}"),
        }
        let finished = notification("MCHTRANSFER.BILL.FINISHED", serde_json::json!({"out_bill_no": "B"}));
        let event = Event::from_notification(&finished).unwrap();
        assert_eq!(event.event_type(), "MCHTRANSFER.BILL.FINISHED");
        assert!(matches!(event, Event::TransferFinished(_)));
        let other = notification("COMPLAINT.CREATE", serde_json::json!({"complaint_id": "C"}));
        match Event::from_notification(&other).unwrap() {
            Event::Unknown { event_type, resource } => {
                assert_eq!(event_type, "COMPLAINT.CREATE");
                assert_eq!(resource["complaint_id"], "C");
            }
            other => panic!("{other:?}"),
        }
        let wrong = notification("REFUND.ABNORMAL", serde_json::json!({"out_refund_no": 1}));
        assert!(Event::from_notification(&wrong).is_err());
    }

    #[test]
    fn a_declared_202_is_an_accepted_answer() {
        let op = crate::accepted::spec::StartJob::new(crate::accepted::spec::StartJobRequired { job_id: "J-1".into(), mchid: "1900000001".into() });
        assert_eq!(op.request().answer, Answer::Accepted);
        assert_eq!(op.decode(&Bytes::new()).unwrap(), ());
    }

    /// A mock serving one fixture, a client for it, and a runtime to drive the client.
    fn served(fixture: &str) -> (wechatpay_mock::MockPlatform, wechatpay_core::Client, tokio::runtime::Runtime) {
        let dir = std::path::Path::new(crate::FIXTURES).join(fixture);
        let mock = wechatpay_mock::MockPlatform::builder().spec_dir(dir).start().unwrap();
        let client = mock.credentials().client_builder(mock.base_url()).unwrap().build().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        (mock, client, runtime)
    }

    #[test]
    fn sensitive_answer_fields_are_decrypted_end_to_end() {
        use crate::encrypted_answers::spec::*;
        let (_mock, client, runtime) = served("encrypted_answers");
        let op = QueryApplyment::new("A-1");
        assert_eq!(op.request().sensitive.answer, &["/contact_name", "/accounts/*/account_number"]);
        let answer = runtime.block_on(client.execute(&op)).unwrap().data;
        assert_eq!(answer.contact_name, "张三");
        let numbers: Vec<_> = answer.accounts.iter().map(|a| a.account_number.as_deref()).collect();
        assert_eq!(numbers, [Some("6222020000000000001"), None, Some("6217000000000000003")]);
        let shown = format!("{answer:?}");
        assert!(!shown.contains("张三") && !shown.contains("6222020000000000001"), "{shown}");
    }

    #[test]
    fn sensitive_parameters_are_encrypted_end_to_end() {
        use crate::encrypted_params::spec::*;
        let (mock, client, runtime) = served("encrypted_params");
        let op = FindPayer::new(FindPayerRequired { id_card_number: "110101199003077777".into(), x_payer_phone: "13800138000".into() }).with_name("李四").with_limit(5);
        let shown = format!("{op:?}");
        assert!(!shown.contains("110101199003077777") && shown.contains("limit: Some(5)"), "{shown}");
        assert!(runtime.block_on(client.execute(&op)).unwrap().data.found);
        let seen = &mock.requests()[0];
        assert!(!seen.target.contains("110101199003077777") && seen.target.ends_with("&limit=5"));
        assert_ne!(seen.header("X-Payer-Phone"), Some("13800138000"));
        let plain: Vec<(&str, &str)> = seen.plaintext_params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(plain, [("id_card_number", "110101199003077777"), ("name", "李四"), ("X-Payer-Phone", "13800138000")]);
        assert_eq!(seen.header("Wechatpay-Serial"), Some(mock.credentials().public_key_id.as_str()));
    }

    #[test]
    fn all_of_members_merge_into_one_struct() {
        use crate::all_of::spec::*;
        let answer = r#"{"out_trade_no":"T-1","mchid":"1900000001","payer_name":"cipher","success_time":"2015-05-20T13:29:35+08:00","trade_state":"REFUND","refund":null,"note":"n","detail":{"goods":"g"},"attach":"a"}"#;
        let t: Transaction = serde_json::from_str(answer).unwrap();
        assert_eq!((t.out_trade_no.as_str(), t.mchid.as_str()), ("T-1", "1900000001"));
        assert_eq!(t.trade_state, State::Refund);
        assert_eq!((t.refund, t.note.as_deref()), (None, Some("n")));
        assert_eq!(t.detail.unwrap().goods, "g");
        assert!(!format!("{:?}", serde_json::from_str::<Transaction>(answer).unwrap()).contains("cipher"));
        // A required member field of a component is required in the merged struct.
        assert!(serde_json::from_str::<Transaction>(r#"{"mchid":"1","payer_name":"p","trade_state":"SUCCESS"}"#).is_err());
        let op = CreateTransaction::new(CreateTransactionRequired { out_trade_no: "T-1".into(), mchid: "1900000001".into(), payer: Payer::new("o-1"), amount: Amount::new(100), channel: Channel::Jsapi })
            .with_payer_name("张三");
        assert_eq!(
            serde_json::to_string(&op.body).unwrap(),
            r#"{"out_trade_no":"T-1","mchid":"1900000001","payer_name":"张三","payer":{"openid":"o-1"},"amount":{"total":100},"channel":"JSAPI"}"#
        );
        let Body::Json { encrypted, .. } = op.request().body else { panic!("a JSON body") };
        assert_eq!(encrypted, &["/payer_name"]);
    }

    #[test]
    fn json_strings_travel_as_strings_and_round_trip_byte_for_byte() {
        use crate::json_strings::spec::*;
        let op = CreateOrder::new(CreateOrderRequired { out_trade_no: "T-1".into(), scene_info: SceneInfo::new("S1").with_device_id("D9") })
            .with_extra(CreateOrderRequestExtra::default().with_level(2));
        assert_eq!(
            serde_json::to_string(&op.body).unwrap(),
            r#"{"out_trade_no":"T-1","scene_info":"{\"store_id\":\"S1\",\"device_id\":\"D9\"}","extra":"{\"level\":2}"}"#
        );
        let answer = r#"{"out_trade_no":"T-1","scene_info":"{\"store_id\":\"S1\"}","promotion":"{\"coupon_id\":\"C1\",\"amount\":5}"}"#;
        let decoded = op.decode(&Bytes::from_static(answer.as_bytes())).unwrap();
        assert_eq!(decoded.scene_info.store_id, "S1");
        assert_eq!(decoded.promotion.as_ref().and_then(|p| p.amount), Some(5));
        let back = serde_json::to_string(&CreateOrder::new(CreateOrderRequired { out_trade_no: "T-1".into(), scene_info: decoded.scene_info }).body).unwrap();
        assert_eq!(back, r#"{"out_trade_no":"T-1","scene_info":"{\"store_id\":\"S1\"}"}"#);
        let null: CreateOrderResponse = serde_json::from_str(r#"{"out_trade_no":"T","scene_info":"{\"store_id\":\"S\"}","promotion":null}"#).unwrap();
        assert_eq!(null.promotion, None);
        // The document itself, not a string holding it, is refused.
        assert!(serde_json::from_str::<CreateOrderResponse>(r#"{"out_trade_no":"T","scene_info":{"store_id":"S"}}"#).is_err());
    }

    #[test]
    fn date_times_round_trip_in_the_platforms_form() {
        use crate::date_times::spec::{ClosePayment, ClosePaymentRequired, ClosePaymentResponse};
        let answer: ClosePaymentResponse =
            serde_json::from_str(r#"{"success_time":"2015-05-20T13:29:35+08:00"}"#).unwrap();
        assert_eq!(answer.success_time.offset(), time::macros::offset!(+8));
        let op = ClosePayment::new(ClosePaymentRequired {
            out_trade_no: "T-1".into(),
            closed_at: answer.success_time,
        });
        assert_eq!(
            serde_json::to_string(&op.body).unwrap(),
            r#"{"closed_at":"2015-05-20T13:29:35+08:00"}"#
        );
    }
}
"##;

#[test]
#[ignore = "builds a scratch crate with cargo; run by .ci/run"]
fn every_generator_fixture_compiles_and_behaves() {
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path();
    let fixtures = workspace().join("generator/tests/fixtures/ok");
    let mut names: Vec<String> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // Generated code must not trip over its own deprecated items.
    let mut lib = String::from("#![allow(dead_code)]\n#![deny(deprecated)]\n");
    let mut features = std::collections::BTreeSet::new();
    for name in &names {
        // The operations' rustdoc examples name the crate root as `fixtures::<name>`.
        let output =
            wechatpay_generator::generate_dir(&fixtures.join(name), &format!("fixtures::{name}"))
                .unwrap();
        for file in &output.files {
            let rel = file.path.strip_prefix("src/generated/").unwrap();
            write(&root.join("src").join(name).join(rel), &file.contents);
        }
        for line in output
            .features
            .lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with("full"))
        {
            features.insert(line.split(" = ").next().unwrap().to_owned());
        }
        // Each fixture is a module standing for a crate root like `wechatpay_api`'s: its
        // groups, and the `Client` and `Upload` its examples use.
        lib.push_str(&format!(
            "#[rustfmt::skip]\n#[path = \"{name}/mod.rs\"]\nmod {name}_generated;\npub mod {name} {{\n    pub use super::{name}_generated::*;\n    pub use wechatpay_core::{{Client, Upload}};\n}}\n"
        ));
    }
    lib.push_str(&format!(
        "\npub const FIXTURES: &str = {:?};\n",
        fixtures.display().to_string()
    ));
    lib.push_str(FIXTURE_CHECKS);
    write(&root.join("src/lib.rs"), &lib);
    let all: Vec<String> = features.iter().map(|f| format!("\"{f}\"")).collect();
    let feature_lines: String = features.iter().map(|f| format!("{f} = []\n")).collect();
    write(
        &root.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"fixtures\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[features]\ndefault = [{}]\n{feature_lines}\n[dependencies]\n{}\nserde = {{ version = \"1\", features = [\"derive\"] }}\nserde_json = \"1\"\ntime = {{ version = \"0.3\", features = [\"serde\", \"macros\", \"formatting\", \"parsing\"] }}\n\n[dev-dependencies]\n{}\ntokio = {{ version = \"1\", features = [\"rt\"] }}\n\n[workspace]\n",
            all.join(", "),
            dep("wechatpay-core"),
            dep("wechatpay-mock")
        ),
    );
    let out = cargo(root, &["test", "-q"]);
    assert!(out.contains("20 passed"), "{out}");
    // Every operation's rustdoc example compiled (`no_run`) as a doctest.
    let operations: usize = names
        .iter()
        .map(|name| {
            let output = wechatpay_generator::generate_dir(&fixtures.join(name), "x").unwrap();
            output
                .files
                .iter()
                .map(|f| f.contents.matches("/// # Example").count())
                .sum::<usize>()
        })
        .sum();
    assert!(operations > 30, "{operations}");
    assert!(
        out.contains(&format!("{operations} passed")),
        "{operations} doctests expected:\n{out}"
    );
}

/// Names a spec can choose, hostile ones first: Rust keywords and prelude names, names the
/// crate root, the generated code and serde's derives use, names that collide once converted
/// to Rust, and names with no Latin letter. (`bills` and `certificates` are left out: the
/// crate's hand-written modules of those names read the real spec's types.)
mod pools {
    pub const FILES: &[&str] = &[
        "orders",
        "generated",
        "self",
        "crate",
        "super",
        "mod",
        "type",
        "events",
        "std",
        "core",
        "client",
        "tests",
        "lib",
        "1st",
        "a-b",
        "Upload",
        "async",
        "_",
        "订单",
        "time",
        "operation",
        "serde",
        "serde_json",
        "wechatpay_core",
        "prelude",
        "full",
    ];
    pub const TYPES: &[&str] = &[
        "Order",
        "Self",
        "Option",
        "Result",
        "String",
        "Vec",
        "Box",
        "Request",
        "Operation",
        "Client",
        "Value",
        "Error",
        "Bytes",
        "Default",
        "Serialize",
        "Deserialize",
        "Fn",
        "type",
        "self",
        "Response",
        "Upload",
        "Output",
        "Required",
        "OrderRequired",
        "Event",
        "Events",
        "i32",
        "str",
        "bool",
        "Cow",
        "Method",
        "Answer",
        "Body",
        "Sensitive",
        "Host",
        "_",
        "1x",
        "a-b",
        "订单",
        "Send",
        "Sync",
        "Sized",
        "Clone",
        "Debug",
        "PhantomData",
        "Formatter",
        "Deserializer",
        "Map",
        "OffsetDateTime",
    ];
    pub const MEMBERS: &[&str] = &[
        "type",
        "self",
        "Self",
        "super",
        "crate",
        "body",
        "file",
        "new",
        "required",
        "with_amount",
        "amount",
        "Amount",
        "AMOUNT",
        "0",
        "1a",
        "_",
        "__",
        "a-b",
        "a b",
        "a.b",
        "*",
        "~",
        "/",
        "é",
        "订单号",
        "request",
        "decode",
        "into",
        "default",
        "clone",
        "fmt",
        "serialize",
        "mod",
        "async",
        "await",
        "dyn",
        "try",
        "union",
        "extra",
        "other",
        "id",
        "meta",
        "filename",
        "sha256",
        "op",
        "value",
        "f",
        "serializer",
        "deserializer",
        "__field0",
        "Ok",
        "Err",
        "None",
        "Some",
        "output",
        "build",
        "set_amount",
        "r#type",
    ];
    pub const OPERATIONS: &[&str] = &[
        "createOrder",
        "new",
        "self",
        "Self",
        "type",
        "Option",
        "request",
        "decode",
        "Operation",
        "Output",
        "client",
        "with",
        "default",
        "a-b",
        "1op",
        "订单",
        "String",
        "Result",
        "Required",
        "create_order",
        "CreateOrder",
        "Box",
        "Order",
        "OrderRequired",
    ];
    pub const VALUES: &[&str] = &[
        "A", "a", "Other", "OTHER", "Unknown", "None", "Some", "Self", "self", "_", "1", "-",
        "a-b", "A B", "成功", "type", "Ok", "Err", "Default", "",
    ];
}

/// One spec file of a hostile-names case: a named schema, an operation using it, maybe an
/// upload, maybe an event.
#[derive(Debug, Clone)]
struct HostileFile {
    name: &'static str,
    schema: &'static str,
    schema_members: Vec<(&'static str, usize)>,
    operation: &'static str,
    post: bool,
    path_param: &'static str,
    query: Vec<&'static str>,
    header: Option<&'static str>,
    body_members: Vec<(&'static str, usize)>,
    values: Vec<&'static str>,
    rust_name: Option<&'static str>,
    upload_meta: Option<Vec<&'static str>>,
    event: Option<&'static str>,
}

fn hostile_file() -> impl proptest::strategy::Strategy<Value = HostileFile> {
    use proptest::prelude::*;
    use proptest::sample::select;
    let member = || (select(pools::MEMBERS), 0usize..7);
    (
        (
            select(pools::FILES),
            select(pools::TYPES),
            proptest::collection::vec(member(), 1..4),
            select(pools::OPERATIONS),
            any::<bool>(),
            select(pools::MEMBERS),
        ),
        (
            proptest::collection::vec(select(pools::MEMBERS), 0..3),
            proptest::option::of(select(pools::MEMBERS)),
            proptest::collection::vec(member(), 1..4),
            proptest::collection::vec(select(pools::VALUES), 1..4),
            proptest::option::of(select(pools::TYPES)),
            proptest::option::weighted(
                0.3,
                proptest::collection::vec(select(pools::MEMBERS), 1..3),
            ),
            proptest::option::weighted(0.3, select(pools::TYPES)),
        ),
    )
        .prop_map(
            |(
                (name, schema, schema_members, operation, post, path_param),
                (query, header, body_members, values, rust_name, upload_meta, event),
            )| HostileFile {
                name,
                schema,
                schema_members,
                operation,
                post,
                path_param,
                query,
                header,
                body_members,
                values,
                rust_name,
                upload_meta,
                event,
            },
        )
}

/// The schema of a member of kind `kind`: a string, an integer, an enum of `values` (named
/// `rust_name` if given), an object, an array, a map, or the file's named schema.
fn member_schema(
    kind: usize,
    file: &HostileFile,
    inner: &[(&'static str, usize)],
) -> serde_json::Value {
    use serde_json::json;
    match kind {
        0 => json!({"type": "string"}),
        1 => json!({"type": "integer", "format": "int64"}),
        2 => {
            let mut e = json!({"type": "string", "enum": file.values});
            if let Some(name) = file.rust_name {
                e["x-wechatpay-rust-name"] = json!(name);
            }
            e
        }
        3 => {
            let properties: serde_json::Map<String, serde_json::Value> = (inner.iter())
                .map(|(n, _)| (n.to_string(), json!({"type": "string"})))
                .collect();
            json!({"type": "object", "properties": properties})
        }
        4 => json!({"type": "array", "items": {"type": "string"}}),
        5 => json!({"type": "object", "additionalProperties": {"type": "string"}}),
        _ => json!({"$ref": format!("#/components/schemas/{}", file.schema)}),
    }
}

fn object(members: &[(&'static str, usize)], file: &HostileFile) -> serde_json::Value {
    let mut properties = serde_json::Map::new();
    for (name, kind) in members {
        // A member of the named schema that refers to that schema would be an infinite type:
        // keep kinds 0..6 there.
        properties.insert(name.to_string(), member_schema(*kind, file, members));
    }
    let required: Vec<&str> = members.iter().take(1).map(|(n, _)| *n).collect();
    serde_json::json!({"type": "object", "required": required, "properties": properties})
}

/// The YAML (written as JSON, which YAML reads, pretty-printed so that each key has its line)
/// of one file of a case.
fn hostile_yaml(index: usize, file: &HostileFile) -> String {
    use serde_json::json;
    let schema_members: Vec<_> = (file.schema_members.iter())
        .map(|(n, k)| (*n, k % 6))
        .collect();
    let mut parameters = vec![json!({
        "name": file.path_param, "in": "path", "required": true, "schema": {"type": "string"}
    })];
    for q in &file.query {
        parameters.push(json!({"name": q, "in": "query", "schema": {"type": "string"}}));
    }
    if let Some(h) = file.header {
        parameters.push(json!({"name": h, "in": "header", "schema": {"type": "string"}}));
    }
    let mut operation = json!({
        "operationId": file.operation,
        "summary": "hostile names",
        "parameters": parameters,
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": object(&file.body_members, file)}}}},
    });
    if file.post {
        operation["requestBody"] = match &file.upload_meta {
            Some(meta) => {
                let mut properties = serde_json::Map::new();
                properties.insert("filename".into(), json!({"type": "string"}));
                properties.insert("sha256".into(), json!({"type": "string"}));
                for m in meta {
                    properties.insert(m.to_string(), json!({"type": "string"}));
                }
                json!({"required": true, "content": {"multipart/form-data": {
                    "schema": {"type": "object", "required": ["file", "meta"], "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "meta": {"type": "object", "required": ["filename", "sha256"], "properties": properties},
                    }},
                    "encoding": {"file": {"contentType": "image/png"}, "meta": {"contentType": "application/json"}},
                }}})
            }
            None => {
                json!({"required": true, "content": {"application/json": {"schema": object(&file.body_members, file)}}})
            }
        };
    }
    let method = if file.post { "post" } else { "get" };
    let mut spec = json!({
        "openapi": "3.0.3",
        "info": {"title": "hostile names", "version": "1.0"},
        "paths": {format!("/v3/case{index}/{{{}}}", file.path_param): {method: operation}},
        "components": {"schemas": {file.schema: object(&schema_members, file)}},
    });
    if let Some(event) = file.event {
        spec["x-wechatpay-events"] = json!({
            format!("{}.SUCCESS", event.to_uppercase()): {
                "summary": "hostile event",
                "resource": {"$ref": format!("#/components/schemas/{}", file.schema)},
            }
        });
    }
    serde_json::to_string_pretty(&spec).unwrap()
}

/// Whether every error names its YAML file and, unless it is about the whole file (its name),
/// its line.
fn every_error_located(error: &wechatpay_generator::Error) -> bool {
    match error {
        wechatpay_generator::Error::Spec(errors) => errors
            .0
            .iter()
            .all(|e| e.file.ends_with(".yaml") && (e.line.is_some() || e.path.is_empty())),
        wechatpay_generator::Error::Io { .. } => false,
    }
}

/// Cases of hostile names the generator accepts, to be compiled (`WECHATPAY_HOSTILE_CASES`
/// for a longer run); each case is one or two spec files. Most random cases are refused (one
/// refused name refuses the case), so up to 200 draws per case are made to find them.
fn hostile_cases() -> usize {
    std::env::var("WECHATPAY_HOSTILE_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(64)
}

#[test]
#[ignore = "builds a scratch crate with cargo; run by .ci/run"]
fn a_hostile_name_in_any_position_compiles_or_is_a_located_error() {
    use proptest::strategy::{Strategy, ValueTree};
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path();
    let api = workspace().join("wechatpay-api");
    let lib = std::fs::read_to_string(api.join("src/lib.rs")).unwrap();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = proptest::collection::vec(hostile_file(), 1..3);
    let (mut refused, mut members) = (0, Vec::new());
    let wanted = hostile_cases();
    for case in 0..wanted * 200 {
        if members.len() == wanted {
            break;
        }
        let files = strategy.new_tree(&mut runner).unwrap().current();
        let dir = root.join(format!("spec-{case}"));
        for (i, file) in files.iter().enumerate() {
            write(
                &dir.join(format!("{}.yaml", file.name)),
                &hostile_yaml(case * 10 + i, file),
            );
        }
        let output = match wechatpay_generator::generate_dir(&dir, "wechatpay_api") {
            Ok(output) => output,
            Err(e) => {
                assert!(
                    every_error_located(&e),
                    "case {case} ({files:?}): an error without file and line:\n{e}"
                );
                refused += 1;
                continue;
            }
        };
        // A crate like `wechatpay-api`: its own root module and hand-written modules, the
        // case's generated code and features.
        let krate = root.join(format!("case-{case}"));
        for file in &output.files {
            write(&krate.join(&file.path), &file.contents);
        }
        write(&krate.join("src/lib.rs"), &lib);
        for hand_written in [
            "src/bills/mod.rs",
            "src/bills/download.rs",
            "src/bills/parse.rs",
            "src/certificates.rs",
        ] {
            write(
                &krate.join(hand_written),
                &std::fs::read_to_string(api.join(hand_written)).unwrap(),
            );
        }
        let features: String = (output.features.lines())
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        write(
            &krate.join("Cargo.toml"),
            &format!(
                "[package]\nname = \"case-{case}\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[features]\ndefault = [\"full\"]\n{features}\n[dependencies]\n{}\nserde = {{ version = \"1\", features = [\"derive\"] }}\nserde_json = \"1\"\ntime = {{ version = \"0.3\", features = [\"serde\", \"formatting\", \"parsing\"] }}\nflate2 = \"1\"\nhttp = \"1\"\npercent-encoding = \"2\"\nthiserror = \"2\"\ntokio = {{ version = \"1\", features = [\"io-util\"] }}\n\n# The root's `bills`, `certificates`, `axum` and `blocking` features are not the case's.\n[lints.rust]\nunexpected_cfgs = \"allow\"\n",
                dep("wechatpay-core")
            ),
        );
        members.push(format!("\"case-{case}\""));
    }
    // Both halves of the promise were exercised.
    assert_eq!(members.len(), wanted, "{refused} refused");
    assert!(refused >= wanted, "{refused} refused");
    write(
        &root.join("Cargo.toml"),
        &format!(
            "[workspace]\nresolver = \"2\"\nmembers = [{}]\n",
            members.join(", ")
        ),
    );
    cargo(root, &["check", "-q", "--workspace"]);
}
