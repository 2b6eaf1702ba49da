//! The spec the mock serves: the embedded one is every file of `spec/` (the crate's link to the
//! workspace's `spec/`), byte for byte; a folder of one's own replaces it.

use std::path::Path;

use wechatpay_mock::{MockError, MockPlatform};

#[test]
fn the_embedded_spec_is_every_file_of_spec() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("spec");
    let on_disk: Vec<(String, String)> = wechatpay_spec::read_dir(&dir)
        .unwrap()
        .into_iter()
        .map(|s| (s.name, s.text))
        .collect();
    let embedded: Vec<(String, String)> = wechatpay_mock::embedded_spec()
        .into_iter()
        .map(|s| (s.name, s.text))
        .collect();
    assert!(on_disk
        .iter()
        .any(|(name, _)| name == "pay-transactions.yaml"));
    assert_eq!(embedded, on_disk);
}

#[test]
fn a_spec_folder_of_ones_own_replaces_the_embedded_one_and_an_empty_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let empty = MockPlatform::builder().spec_dir(dir.path()).start();
    match empty {
        Err(MockError::NoSpec(path)) => assert_eq!(path, dir.path()),
        other => panic!("{other:?}"),
    }
    // One group of ours and the file its `$ref`s name.
    for file in ["papay.yaml", "common.yaml"] {
        let ours = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("spec")
            .join(file);
        std::fs::copy(ours, dir.path().join(file)).unwrap();
    }
    let mock = MockPlatform::builder()
        .spec_dir(dir.path())
        .start()
        .unwrap();
    let groups: Vec<&str> = mock
        .api()
        .groups
        .iter()
        .map(|g| g.module.as_str())
        .collect();
    assert_eq!(groups, ["common", "papay"]);
}
