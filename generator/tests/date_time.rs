//! `format: date-time` fields are `time::OffsetDateTime` (RFC 3339): WeChat Pay's
//! `2015-05-20T13:29:35+08:00` must come back byte for byte after deserialize → serialize. The
//! structs below carry exactly the attributes the generator prints (checked against the output of
//! the `date_times` fixture), since the generated crate itself needs the core to compile.

use std::path::Path;

const REQUIRED: &str = r#"#[serde(with = "::time::serde::rfc3339")]"#;
const OPTIONAL: &str = r#"#[serde(with = "::time::serde::rfc3339::option")]"#;

#[derive(serde::Serialize, serde::Deserialize)]
struct Answer {
    #[serde(with = "::time::serde::rfc3339")]
    success_time: ::time::OffsetDateTime,
    #[serde(with = "::time::serde::rfc3339::option")]
    #[serde(skip_serializing_if = "::std::option::Option::is_none")]
    #[serde(default)]
    refund_time: ::std::option::Option<::time::OffsetDateTime>,
}

#[test]
fn the_generator_prints_these_attributes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ok/date_times");
    let output = wechatpay_generator::generate_dir(&dir, "wechatpay_api").unwrap();
    let text = &output.files[0].contents;
    assert!(text.contains(REQUIRED), "{text}");
    assert!(text.contains(OPTIONAL), "{text}");
    assert!(
        text.contains("pub success_time: ::time::OffsetDateTime,"),
        "{text}"
    );
    assert!(
        text.contains("pub refund_time: ::std::option::Option<::time::OffsetDateTime>,"),
        "{text}"
    );
}

#[test]
fn wechatpay_date_times_round_trip_byte_exactly() {
    for json in [
        r#"{"success_time":"2015-05-20T13:29:35+08:00","refund_time":"2018-06-08T10:34:56+08:00"}"#,
        r#"{"success_time":"2015-05-20T13:29:35+08:00"}"#,
        r#"{"success_time":"2024-01-01T00:00:00Z"}"#,
    ] {
        let answer: Answer = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&answer).unwrap(), json);
    }
    let answer: Answer =
        serde_json::from_str(r#"{"success_time":"2015-05-20T13:29:35+08:00"}"#).unwrap();
    assert_eq!(answer.success_time.offset().whole_hours(), 8);
    assert!(answer.refund_time.is_none());
}

#[test]
fn a_malformed_date_time_is_a_serde_error() {
    let err = serde_json::from_str::<Answer>(r#"{"success_time":"2015-05-20 13:29:35"}"#);
    assert!(err.is_err());
}
