//! `cargo test` alone catches generated code that is stale against `spec/`.

#[test]
fn generated_code_is_fresh() {
    let root = xtask::workspace_root();
    let changed = wechatpay_generator::codegen(
        &root.join("spec"),
        &root.join("wechatpay-api"),
        wechatpay_generator::Mode::Check,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        changed.is_empty(),
        "stale generated files:\n{changed}run `cargo xtask codegen` and commit the result"
    );
}

/// Copies `spec/` and the generated files of `wechatpay-api` to a scratch folder.
fn scratch_copy() -> tempfile::TempDir {
    let root = xtask::workspace_root();
    let dir = tempfile::tempdir().unwrap();
    for (from, to) in [
        ("spec", "spec"),
        ("wechatpay-api/src/generated", "api/src/generated"),
    ] {
        std::fs::create_dir_all(dir.path().join(to)).unwrap();
        for entry in std::fs::read_dir(root.join(from)).unwrap() {
            let path = entry.unwrap().path();
            // Files only: not the notes in `spec/sources/`.
            if path.is_file() {
                std::fs::copy(&path, dir.path().join(to).join(path.file_name().unwrap())).unwrap();
            }
        }
    }
    std::fs::copy(
        root.join("wechatpay-api/Cargo.toml"),
        dir.path().join("api/Cargo.toml"),
    )
    .unwrap();
    dir
}

#[test]
fn adding_an_optional_field_makes_the_check_fail_until_regenerated() {
    let dir = scratch_copy();
    let (spec, api) = (dir.path().join("spec"), dir.path().join("api"));
    assert!(
        wechatpay_generator::codegen(&spec, &api, wechatpay_generator::Mode::Check)
            .unwrap()
            .is_empty()
    );
    let file = spec.join("papay.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replace("                appid:\n", "                remark:\n                  type: string\n                  description: 新增的可选字段\n                appid:\n");
    assert_ne!(edited, text);
    std::fs::write(&file, edited).unwrap();
    let check =
        wechatpay_generator::codegen(&spec, &api, wechatpay_generator::Mode::Check).unwrap();
    assert_eq!(check.changed, ["src/generated/papay.rs"]);
    assert_eq!(check.files().count(), 1, "{check}");
    let write =
        wechatpay_generator::codegen(&spec, &api, wechatpay_generator::Mode::Write).unwrap();
    assert_eq!(write, check, "check and write report the same");
    assert!(write.operations_added.is_empty() && write.modules_added.is_empty());
    let generated = std::fs::read_to_string(api.join("src/generated/papay.rs")).unwrap();
    assert!(generated.contains("pub remark: ::std::option::Option<::std::string::String>"));
    assert!(
        wechatpay_generator::codegen(&spec, &api, wechatpay_generator::Mode::Check)
            .unwrap()
            .is_empty()
    );
    // Twice gives byte-identical files.
    assert!(
        wechatpay_generator::codegen(&spec, &api, wechatpay_generator::Mode::Write)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_broken_spec_is_a_located_error_not_a_panic() {
    let dir = scratch_copy();
    let file = dir.path().join("spec/papay.yaml");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("required: [mchid, appid]", "requried: [mchid, appid]");
    std::fs::write(&file, text).unwrap();
    let before = std::fs::read(dir.path().join("api/Cargo.toml")).unwrap();
    let err = wechatpay_generator::codegen(
        &dir.path().join("spec"),
        &dir.path().join("api"),
        wechatpay_generator::Mode::Check,
    )
    .unwrap_err();
    assert!(
        err.starts_with("papay.yaml:") && err.contains("unknown field `requried`"),
        "{err}"
    );
    // Nothing is written when the spec is broken.
    let err = wechatpay_generator::codegen(
        &dir.path().join("spec"),
        &dir.path().join("api"),
        wechatpay_generator::Mode::Write,
    )
    .unwrap_err();
    assert!(err.contains("requried"), "{err}");
    assert_eq!(
        before,
        std::fs::read(dir.path().join("api/Cargo.toml")).unwrap()
    );
}

#[test]
fn the_summary_names_added_and_removed_operations_modules_and_features() {
    let dir = scratch_copy();
    let (spec, api) = (dir.path().join("spec"), dir.path().join("api"));
    // One more operation in an existing file.
    let file = spec.join("papay.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let extra = "paths:\n  /v3/papay/ping:\n    get:\n      operationId: pingPapay\n      responses:\n        \"204\": { description: ok }\n";
    let edited = text.replacen("paths:\n", extra, 1);
    assert_ne!(edited, text);
    std::fs::write(&file, edited).unwrap();
    // One file renamed: its module and feature go, new ones come.
    std::fs::rename(
        spec.join("webank-recover.yaml"),
        spec.join("webank-ledger.yaml"),
    )
    .unwrap();
    let summary =
        wechatpay_generator::codegen(&spec, &api, wechatpay_generator::Mode::Write).unwrap();
    assert_eq!(
        summary.operations_added,
        ["papay::PingPapay", "webank_ledger::RecoverLedgerControl"]
    );
    assert_eq!(
        summary.operations_removed,
        ["webank_recover::RecoverLedgerControl"]
    );
    assert_eq!(summary.modules_added, ["webank_ledger"]);
    assert_eq!(summary.modules_removed, ["webank_recover"]);
    assert_eq!(summary.features_added, ["webank-ledger"]);
    assert_eq!(summary.features_removed, ["webank-recover"]);
    assert_eq!(summary.created, ["src/generated/webank_ledger.rs"]);
    assert_eq!(summary.removed, ["src/generated/webank_recover.rs"]);
    assert!(summary.changed.contains(&"Cargo.toml".to_owned()));
    let printed = summary.to_string();
    assert!(
        printed.contains("operation added: papay::PingPapay\n"),
        "{printed}"
    );
    assert!(
        printed.contains("feature removed: webank-recover\n"),
        "{printed}"
    );
    assert!(!api.join("src/generated/webank_recover.rs").exists());
    assert!(
        wechatpay_generator::codegen(&spec, &api, wechatpay_generator::Mode::Check)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn feature_names_are_validated_before_cargo_toml_is_written() {
    let dir = scratch_copy();
    let (spec, api) = (dir.path().join("spec"), dir.path().join("api"));
    // `papay.yml` gives the module and feature `papay` a second time; `blocking` is reserved.
    std::fs::copy(spec.join("papay.yaml"), spec.join("papay.yml")).unwrap();
    std::fs::copy(spec.join("webank-recover.yaml"), spec.join("blocking.yaml")).unwrap();
    let before = std::fs::read(api.join("Cargo.toml")).unwrap();
    let err =
        wechatpay_generator::codegen(&spec, &api, wechatpay_generator::Mode::Write).unwrap_err();
    assert!(
        err.contains(
            "papay.yml: the file name `papay` gives the module `papay`, as `papay.yaml` does"
        ),
        "{err}"
    );
    assert!(
        err.contains("blocking.yaml: the file name `blocking`"),
        "{err}"
    );
    assert_eq!(before, std::fs::read(api.join("Cargo.toml")).unwrap());
}

#[test]
fn warnings_are_errors_under_deny_warnings_and_nothing_is_written() {
    let spec = xtask::workspace_root().join("generator/tests/fixtures/ok/degraded");
    let api = tempfile::tempdir().unwrap();
    let err = wechatpay_generator::codegen_with(
        &spec,
        api.path(),
        wechatpay_generator::Mode::Write,
        true,
    )
    .unwrap_err();
    assert!(err.contains("required property `missing_field`"), "{err}");
    assert!(err.contains("spec.yaml:15:"), "{err}");
    assert!(err.contains("--deny-warnings"), "{err}");
    assert_eq!(std::fs::read_dir(api.path()).unwrap().count(), 0);
}
