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
