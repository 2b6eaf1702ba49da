//! Snapshot tests (insta): one small spec per endpoint shape (`fixtures/ok/*`) with the whole
//! generated output, and one per kind of broken spec (`fixtures/broken/*`) with the error message.
//!
//! A changed output fails with a diff and leaves `tests/snapshots/*.snap.new` for review. To
//! accept every change in one command: `INSTA_UPDATE=always cargo test -p wechatpay-generator`
//! (or `cargo insta review` / `cargo insta accept` with `cargo-insta` installed). Review the diff
//! in `git diff` before committing.

use std::path::{Path, PathBuf};

fn fixture(kind: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(kind)
        .join(name)
}

/// Compares with `tests/snapshots/<name>.snap` through insta: a mismatch fails with a diff
/// and leaves `<name>.snap.new` next to it for review.
fn assert_snapshot(name: &str, actual: &str) {
    insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!(name, actual);
    });
}

/// All generated files of a fixture, in order, plus its cargo features.
fn render_ok(name: &str) -> String {
    let output = wechatpay_generator::generate_dir(&fixture("ok", name), "wechatpay_api")
        .unwrap_or_else(|e| panic!("fixture {name} should generate:\n{e}"));
    let mut text = String::new();
    for file in &output.files {
        text.push_str(&format!("//// {}\n{}\n", file.path, file.contents));
    }
    text.push_str(&format!("//// [features]\n{}", output.features));
    if !output.warnings.is_empty() {
        text.push_str("//// warnings\n");
        for warning in &output.warnings {
            text.push_str(&format!("{warning}\n"));
        }
    }
    text
}

fn render_err(name: &str) -> String {
    let sources = wechatpay_generator::read_dir(&fixture("broken", name)).unwrap();
    match std::panic::catch_unwind(|| wechatpay_generator::lower(&sources)) {
        Ok(Ok(_)) => panic!("broken fixture {name} was accepted"),
        Ok(Err(e)) => format!("{e}\n"),
        Err(_) => panic!("the generator panicked on broken fixture {name}"),
    }
}

macro_rules! ok_fixtures {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            let first = render_ok(stringify!($name));
            assert_eq!(first, render_ok(stringify!($name)), "output must be deterministic");
            assert_snapshot(stringify!($name), &first);
        }
    )*};
}

macro_rules! broken_fixtures {
    ($($name:ident => $needle:expr),* $(,)?) => {$(
        #[test]
        fn $name() {
            let message = render_err(stringify!($name));
            // Every error is located: file name and line.
            for line in message.lines() {
                assert!(line.contains(".yaml:"), "error without file and line: {line}");
            }
            assert!(message.contains($needle), "{message}");
            assert_snapshot(concat!("broken_", stringify!($name)), &message);
        }
    )*};
}

ok_fixtures!(
    path_params,
    query_params,
    header_params,
    nested_objects,
    shared_refs,
    scalar_types,
    enums,
    responses,
    hosts,
    encrypted_fields,
    keywords,
    non_ascii,
    param_collision,
    accepted,
    date_times,
    hostile_docs,
    schema_keywords,
    nullable_fields,
    number_enums,
    enum_names,
    degraded,
    maps,
    property_names,
    deprecated,
    required_enum_query,
    uploads,
    events,
    all_of,
    json_strings,
    encrypted_answers,
    encrypted_params,
    rust_names,
    idempotency,
);

/// `x-wechatpay-rust-name` names the type of an inline schema wherever it sits: a parameter's
/// enum, an array's items, an enum inside them, an upload's `meta`.
#[test]
fn rust_names_name_inline_types_everywhere() {
    let api = wechatpay_generator::load_dir(&fixture("ok", "rust_names")).unwrap();
    let names: Vec<&str> = api.types.keys().map(String::as_str).collect();
    for wanted in ["OrderChannel", "OrderLine", "LineState", "ImageMeta"] {
        assert!(names.contains(&wanted), "{wanted} not in {names:?}");
    }
    assert!(
        !names
            .iter()
            .any(|n| n.ends_with("Item") || n.ends_with("Channel") && *n != "OrderChannel"),
        "{names:?}"
    );
}

broken_fixtures!(
    bad_flows => "`settle` is not an action",
    flow_names => "no resource is named `parcel`",
    unknown_key => "unknown field `requried`",
    unresolved_ref => "unresolved $ref `#/components/schemas/Missing`",
    duplicate_operation_id => "duplicate operationId `getThing`",
    missing_operation_id => "missing `operationId`",
    name_collision => "Rust name `OrderInfo`",
    unsupported_construct => "unsupported construct `oneOf`",
    yaml_syntax => "spec.yaml:",
    unknown_extension => "unknown field `x-wechatpay-retries`",
    unknown_mock_behaviour => "unknown variant `refund-bill`, expected one of `trade-bill`",
    bad_file_name => "the file name `Bad_Name` must be lowercase words",
    group_extension => "`x-wechatpay-group` is no longer supported",
    several_files => "c-lowered.yaml:",
    bad_events => "would also decode as this one",
    bad_upload => "an upload has exactly two parts, `file` and `meta`; this one has `file`, `meta`, `note`",
    all_of_conflict => "property `amount` is defined twice with different types",
    all_of_non_object => "merges objects, and this schema is not one",
    all_of_enum_not_subset => "PENDING is not a value of `State`",
    all_of_cycle => "recursive schemas are not supported",
    json_string_misplaced => "`x-wechatpay-json-string` goes on a `type: string` property",
    misplaced_encryption => "`x-wechatpay-encrypted` applies to",
    bad_merchant_modes => "unknown merchant mode `partner`: use `direct` or `service-provider`",
);

/// A file that does not parse hides no other file's errors.
#[test]
fn every_files_errors_come_back_at_once() {
    let message = render_err("several_files");
    for needle in [
        "a-broken.yaml:14:",
        "unknown field `maxLenght`",
        "b-broken.yaml:5:",
        "unknown field `x-wechatpay-owner`",
        "c-lowered.yaml:",
        "missing `operationId`",
    ] {
        assert!(message.contains(needle), "{needle} in:\n{message}");
    }
    assert!(!message.contains("unresolved"), "{message}");
}

#[test]
fn the_real_spec_generates_what_is_checked_in() {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
    let output = wechatpay_generator::generate_dir(&spec, "wechatpay_api").unwrap();
    for file in &output.files {
        assert!(
            file.contents.starts_with("// @generated"),
            "{} lacks the @generated marker",
            file.path
        );
    }
    assert_eq!(
        output,
        wechatpay_generator::generate_dir(&spec, "wechatpay_api").unwrap()
    );
}
