//! The names a spec file cannot take are one list each in `wechatpay-spec`
//! (`RESERVED_MODULES`, `RESERVED_FEATURES`); this checks them against what `wechatpay-api`
//! really declares, so that a module or feature added by hand to the facade cannot be shadowed
//! by (or shadow) a generated group of the same name unnoticed.

use std::collections::BTreeSet;
use std::path::Path;

use wechatpay_spec::{RESERVED_FEATURES, RESERVED_MODULES};

fn api_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../wechatpay-api")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

/// The names the crate root declares next to the generated modules: `pub mod x;` and
/// `mod x;`, `pub use a::x;` and the items of `pub use a::{x, y};` that are modules
/// (lowercase).
fn root_names(lib: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let code: Vec<&str> = lib
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect();
    let code = code.join("\n");
    for item in code.split(';') {
        // Attributes come before the item, on lines of their own.
        let Some(start) = (item.rfind("mod ")).or_else(|| item.rfind("pub use ")) else {
            continue;
        };
        let rest = &item[start..];
        let rest = rest.trim();
        if let Some(module) = rest.strip_prefix("mod ") {
            names.insert(module.trim().to_owned());
        } else if let Some(path) = rest.strip_prefix("pub use ") {
            let path = path.replace(char::is_whitespace, "");
            let leaves: Vec<String> = match path.split_once('{') {
                Some((_, list)) => list
                    .trim_end_matches('}')
                    .split(',')
                    .map(str::to_owned)
                    .collect(),
                None => vec![path.rsplit("::").next().unwrap_or_default().to_owned()],
            };
            for leaf in leaves {
                // Modules are lowercase; the glob of generated modules is checked by the
                // generator itself (two groups, one module name).
                if leaf.starts_with(|c: char| c.is_ascii_lowercase()) && leaf != "*" {
                    names.insert(leaf);
                }
            }
        }
    }
    names
}

#[test]
fn every_module_the_facade_declares_by_hand_is_reserved_or_a_group_it_extends() {
    let names = root_names(&api_file("src/lib.rs"));
    for expected in [
        "generated",
        "time",
        "wechatpay_core",
        "operation",
        "bills",
        "certificates",
    ] {
        assert!(names.contains(expected), "the parser found {names:?}");
    }
    // `bills` and `certificates` are generated groups the facade extends on purpose (each
    // re-exports its generated module whole); every other name must be reserved.
    let extended = ["bills", "certificates"];
    let unreserved: Vec<&String> = names
        .iter()
        .filter(|n| !extended.contains(&n.as_str()) && !RESERVED_MODULES.contains(&n.as_str()))
        .collect();
    assert!(
        unreserved.is_empty(),
        "wechatpay-api's root declares {unreserved:?}, which RESERVED_MODULES does not reserve"
    );
}

#[test]
fn every_feature_declared_by_hand_is_reserved() {
    let manifest = api_file("Cargo.toml");
    let features = manifest
        .split("[features]")
        .nth(1)
        .expect("a [features] table")
        .split("\n[")
        .next()
        .unwrap_or_default();
    let generated = features
        .split("# @generated-features-start")
        .nth(1)
        .and_then(|rest| rest.split("# @generated-features-end").next())
        .unwrap_or_default();
    let by_hand: Vec<&str> = features
        .lines()
        .filter(|l| !generated.contains(*l))
        .filter_map(|l| l.split_once(" = ").map(|(name, _)| name.trim()))
        .filter(|name| !name.starts_with('#'))
        .collect();
    assert!(
        by_hand.contains(&"aws-lc") && by_hand.contains(&"default"),
        "{by_hand:?}"
    );
    for name in by_hand {
        assert!(
            RESERVED_FEATURES.contains(&name),
            "wechatpay-api declares the feature `{name}` by hand, which RESERVED_FEATURES does not reserve"
        );
    }
    // `full` is written by the generator but is not a group either.
    assert!(RESERVED_FEATURES.contains(&"full"));
}
