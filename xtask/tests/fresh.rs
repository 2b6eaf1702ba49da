//! `cargo test` alone catches generated code that is stale against `spec/`.

#[test]
fn generated_code_is_fresh() {
    let root = xtask::workspace_root();
    let changed = xtask::codegen(
        &root.join("spec"),
        &root.join("wechatpay-api"),
        xtask::Mode::Check,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        changed.is_empty(),
        "stale generated files {changed:?}: run `cargo xtask codegen` and commit the result"
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
            std::fs::copy(&path, dir.path().join(to).join(path.file_name().unwrap())).unwrap();
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
    assert!(xtask::codegen(&spec, &api, xtask::Mode::Check)
        .unwrap()
        .is_empty());
    let file = spec.join("papay.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replace("                appid:\n", "                remark:\n                  type: string\n                  description: 新增的可选字段\n                appid:\n");
    assert_ne!(edited, text);
    std::fs::write(&file, edited).unwrap();
    assert_eq!(
        xtask::codegen(&spec, &api, xtask::Mode::Check).unwrap(),
        ["src/generated/papay.rs"]
    );
    assert_eq!(
        xtask::codegen(&spec, &api, xtask::Mode::Write).unwrap(),
        ["src/generated/papay.rs"]
    );
    let generated = std::fs::read_to_string(api.join("src/generated/papay.rs")).unwrap();
    assert!(generated.contains("pub remark: ::std::option::Option<::std::string::String>"));
    assert!(xtask::codegen(&spec, &api, xtask::Mode::Check)
        .unwrap()
        .is_empty());
    // Twice gives byte-identical files.
    assert!(xtask::codegen(&spec, &api, xtask::Mode::Write)
        .unwrap()
        .is_empty());
}

#[test]
fn a_broken_spec_is_a_located_error_not_a_panic() {
    let dir = scratch_copy();
    let file = dir.path().join("spec/papay.yaml");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("required: [mchid, appid]", "requried: [mchid, appid]");
    std::fs::write(&file, text).unwrap();
    let err = xtask::codegen(
        &dir.path().join("spec"),
        &dir.path().join("api"),
        xtask::Mode::Check,
    )
    .unwrap_err();
    assert!(
        err.starts_with("papay.yaml:") && err.contains("unknown field `requried`"),
        "{err}"
    );
}
