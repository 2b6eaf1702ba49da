//! The synthetic spec of the benchmarks: deterministic, accepted without a warning, and with
//! the shape mix it promises.

use std::collections::BTreeMap;

use wechatpay_generator::ir::{Api, Field, ParamLocation, SuccessKind, Ty, TypeKind};
use xtask::synth::{quota, synth_spec, Shape, SHAPES};

fn lowered(ops: usize, seed: u64) -> Api {
    let api = wechatpay_generator::lower(&synth_spec(ops, seed)).unwrap_or_else(|e| panic!("{e}"));
    let warnings: Vec<String> = api.warnings.iter().map(|w| w.to_string()).collect();
    assert!(warnings.is_empty(), "{}", warnings.join("\n"));
    api
}

#[test]
fn same_arguments_give_the_same_bytes_and_the_seed_matters() {
    let text = |ops, seed| -> Vec<(String, String)> {
        synth_spec(ops, seed)
            .into_iter()
            .map(|s| (s.name, s.text))
            .collect()
    };
    assert_eq!(text(100, 7), text(100, 7));
    assert_ne!(text(100, 7), text(100, 8));
}

#[test]
fn files_are_a_seventh_of_the_operations_plus_shared_definitions() {
    let names: Vec<String> = synth_spec(100, 1).into_iter().map(|s| s.name).collect();
    assert_eq!(names.iter().filter(|n| n.starts_with("group-")).count(), 15);
    assert_eq!(names.iter().filter(|n| n.starts_with("shared-")).count(), 1);
    assert_eq!(names[0], "common.yaml");
}

/// Counts the operations of the lowered API that show each shape, reading the IR (not the plan).
fn shapes_seen(api: &Api) -> BTreeMap<Shape, usize> {
    let mut seen = BTreeMap::new();
    for group in &api.groups {
        for op in &group.operations {
            let mut types = Vec::new();
            if let Some(Ty::Named(n)) = &op.body {
                types.push(n.as_str());
            }
            if let SuccessKind::Json(Ty::Named(n)) = &op.success.kind {
                types.push(n.as_str());
            }
            let fields: Vec<&Field> = types
                .iter()
                .filter_map(|n| match &api.types[*n].kind {
                    TypeKind::Struct(fields) => Some(fields),
                    _ => None,
                })
                .flatten()
                .collect();
            let kind = |f: &Field| match &f.ty {
                Ty::Named(n) => Some(&api.types[n].kind),
                _ => None,
            };
            let checks = [
                (Shape::Body, op.body.is_some()),
                (Shape::Answer204, op.success.status == 204),
                (Shape::Answer202, op.success.status == 202),
                (Shape::Upload, op.upload.is_some()),
                (Shape::Download, op.success.kind == SuccessKind::Bytes),
                (Shape::PathParam, op.params.iter().any(|p| p.location == ParamLocation::Path)),
                (Shape::QueryParams, op.params.iter().any(|p| p.location == ParamLocation::Query && !p.encrypted)),
                (Shape::SerialHeader, op.platform_serial_header),
                (Shape::EncryptedField, !op.encrypted_fields.is_empty()),
                (Shape::EncryptedQuery, op.params.iter().any(|p| p.location == ParamLocation::Query && p.encrypted)),
                (Shape::EncryptedAnswer, !op.encrypted_answer_fields.is_empty()),
                (Shape::StringEnum, fields.iter().any(|f| matches!(kind(f), Some(TypeKind::Enum(_))))),
                (Shape::CrossFileRef, fields.iter().any(|f| !f.json_string && matches!(&f.ty, Ty::Named(n) if api.types[n].module.starts_with("shared_")))),
                (Shape::Default, fields.iter().any(|f| f.notes.default.is_some())),
                (Shape::IntegerEnum, fields.iter().any(|f| f.rust_name == "level" && matches!(kind(f), Some(TypeKind::NumberEnum(..))))),
                (Shape::NumberEnum, fields.iter().any(|f| f.rust_name == "rate" && matches!(kind(f), Some(TypeKind::NumberEnum(..))))),
                (Shape::Nullable, fields.iter().any(|f| f.nullable && f.rust_name == "remark")),
                (Shape::Deprecated, op.deprecated),
                (Shape::ItemBounds, fields.iter().any(|f| f.constraints.max_items.is_some() && f.constraints.min_items.is_some())),
                (Shape::FreeForm, fields.iter().any(|f| f.ty == Ty::Json)),
                (Shape::OddName, fields.iter().any(|f| f.wire_name != f.rust_name)),
                (Shape::AllOf, fields.iter().any(|f| {
                    matches!(f.rust_name.as_str(), "settlement" | "detail") && matches!(kind(f), Some(TypeKind::Struct(_)))
                })),
                (Shape::JsonString, fields.iter().any(|f| f.json_string)),
            ];
            for (shape, shown) in checks {
                *seen.entry(shape).or_insert(0) += usize::from(shown);
            }
        }
    }
    seen
}

#[test]
fn the_spec_lowers_without_warnings_with_the_real_shape_mix() {
    for ops in [10, 100] {
        let api = lowered(ops, 42);
        assert_eq!(api.operations().count(), ops);
        let expected: BTreeMap<Shape, usize> = SHAPES
            .iter()
            .map(|&(s, real)| (s, quota(real, ops)))
            .collect();
        assert_eq!(shapes_seen(&api), expected, "at {ops} operations");
        let json = api
            .operations()
            .filter(|op| matches!(op.success.kind, SuccessKind::Json(_)))
            .count();
        assert_eq!(json, ops - quota(100, ops) - quota(7, ops) - quota(5, ops));
    }
}

#[test]
fn the_written_spec_generates_every_group_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    xtask::bench::write_spec(30, 5, dir.path()).unwrap();
    let output = wechatpay_generator::generate_dir(dir.path(), "wechatpay_api")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(output.warnings.is_empty());
    let groups: Vec<&str> = output
        .files
        .iter()
        .filter_map(|f| f.path.strip_prefix("src/generated/group_"))
        .collect();
    assert_eq!(groups.len(), 30usize.div_ceil(7));
    assert!(groups.windows(2).all(|w| w[0] < w[1]), "{groups:?}");
    assert_eq!(
        output
            .features
            .lines()
            .filter(|l| l.starts_with("group-"))
            .count(),
        groups.len()
    );
}
