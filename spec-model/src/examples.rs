//! Examples: the answer the mock gives and the body it shows, assembled from the schema's own
//! examples, and synthesised from the schema (types, formats, lengths, ranges, enum values)
//! where a required member has none, so that every example decodes into the generated type.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::ir::{Constraints, Field, Ty, TypeDef, TypeKind};

/// An example of `ty`: the schema's examples where given; required members without one are
/// synthesised, optional ones without any example inside are left out.
pub(crate) fn example(types: &BTreeMap<String, TypeDef>, ty: &Ty) -> Option<Value> {
    value(types, ty, &Constraints::default())
}

/// Whether the schema gives an example anywhere inside `ty`.
pub(crate) fn has_example(types: &BTreeMap<String, TypeDef>, ty: &Ty) -> bool {
    match ty {
        Ty::Named(name) => match types.get(name).map(|t| &t.kind) {
            Some(TypeKind::Struct(fields)) => fields
                .iter()
                .any(|f| f.example.is_some() || has_example(types, &f.ty)),
            _ => false,
        },
        Ty::Vec(inner) | Ty::Map(inner) => has_example(types, inner),
        _ => false,
    }
}

fn value(types: &BTreeMap<String, TypeDef>, ty: &Ty, c: &Constraints) -> Option<Value> {
    match ty {
        Ty::Named(name) => match &types.get(name)?.kind {
            TypeKind::Enum(variants) => variants.first().map(|v| Value::String(v.value.clone())),
            TypeKind::NumberEnum(_, variants) => variants
                .first()
                .and_then(|v| serde_json::from_str(&v.value).ok()),
            TypeKind::Struct(fields) => {
                let mut map = serde_json::Map::new();
                for f in fields {
                    let wanted = f.required || f.example.is_some() || has_example(types, &f.ty);
                    if let Some(v) = field_value(types, f).filter(|_| wanted) {
                        map.insert(f.wire_name.clone(), v);
                    }
                }
                Some(Value::Object(map))
            }
        },
        Ty::Vec(inner) => {
            let each = c.items.as_deref().cloned().unwrap_or_default();
            let item = value(types, inner, &each)?;
            let count = c.min_items.unwrap_or(1).max(1);
            Some(Value::Array(vec![item; count.min(8) as usize]))
        }
        Ty::String => Some(Value::String(text(c))),
        Ty::DateTime => Some(json!("2015-05-20T13:29:35+08:00")),
        Ty::I32 | Ty::I64 => Some(json!(integer(c))),
        Ty::F64 => Some(json!(integer(c) as f64)),
        Ty::Bool => Some(json!(true)),
        Ty::Json | Ty::Map(_) => Some(json!({})),
        Ty::File => None,
    }
}

/// How deep [`complete`] goes before giving up (a required member that contains itself).
const COMPLETE_DEPTH: usize = 32;

/// A complete example of `ty` for the rustdoc of a constructor: `given` where it has the
/// right shape, with every required member it lacks synthesised; optional members are left
/// out (constructors do not take them). `None` for a file, or a type that requires itself.
pub(crate) fn complete(
    types: &BTreeMap<String, TypeDef>,
    ty: &Ty,
    c: &Constraints,
    given: Option<&Value>,
) -> Option<Value> {
    complete_at(types, ty, c, given, 0)
}

/// [`complete`] for a struct field: its own example when `given` is absent, a JSON string's
/// document parsed, and the first value a narrowing `enum` allows.
pub(crate) fn complete_field(
    types: &BTreeMap<String, TypeDef>,
    f: &Field,
    given: Option<&Value>,
) -> Option<Value> {
    complete_field_at(types, f, given, 0)
}

fn complete_field_at(
    types: &BTreeMap<String, TypeDef>,
    f: &Field,
    given: Option<&Value>,
    depth: usize,
) -> Option<Value> {
    let own = given.or(f.example.as_ref());
    let parsed = match own {
        Some(Value::String(text)) if f.json_string => serde_json::from_str(text).ok(),
        _ => None,
    };
    let own = match f.json_string {
        true => parsed.as_ref().or(own.filter(|v| !v.is_string())),
        false => own,
    };
    let subset = f.constraints.enum_subset.as_ref().and_then(|s| s.first());
    let narrowed = match (own, subset) {
        (None, Some(first)) => serde_json::from_str(first)
            .ok()
            .filter(Value::is_number)
            .or_else(|| Some(Value::String(first.clone()))),
        _ => None,
    };
    complete_at(
        types,
        &f.ty,
        &f.constraints,
        own.or(narrowed.as_ref()),
        depth,
    )
}

fn complete_at(
    types: &BTreeMap<String, TypeDef>,
    ty: &Ty,
    c: &Constraints,
    given: Option<&Value>,
    depth: usize,
) -> Option<Value> {
    if depth > COMPLETE_DEPTH {
        return None;
    }
    let kept = |keep: fn(&Value) -> bool| given.filter(|v| keep(v)).cloned();
    match ty {
        Ty::Named(name) => match &types.get(name)?.kind {
            TypeKind::Struct(fields) => {
                let given = given.and_then(Value::as_object);
                let mut map = serde_json::Map::new();
                for f in fields.iter().filter(|f| f.required) {
                    let own = given.and_then(|g| g.get(&f.wire_name));
                    let value = complete_field_at(types, f, own, depth + 1)?;
                    map.insert(f.wire_name.clone(), value);
                }
                Some(Value::Object(map))
            }
            TypeKind::Enum(variants) => {
                let known = |v: &Value| variants.iter().any(|k| v.as_str() == Some(&k.value));
                given
                    .filter(|v| known(v))
                    .cloned()
                    .or_else(|| variants.first().map(|v| Value::String(v.value.clone())))
            }
            TypeKind::NumberEnum(_, variants) => {
                let numbers = variants
                    .iter()
                    .filter_map(|v| serde_json::from_str::<Value>(&v.value).ok());
                let numbers: Vec<Value> = numbers.collect();
                given
                    .filter(|v| numbers.contains(v))
                    .cloned()
                    .or_else(|| numbers.first().cloned())
            }
        },
        Ty::Vec(inner) => {
            // Every given item, completed, then repeated up to `minItems` (at most 8 items).
            let each = c.items.as_deref().cloned().unwrap_or_default();
            let given: Vec<Option<&Value>> = match given.and_then(Value::as_array) {
                Some(items) if !items.is_empty() => items.iter().take(8).map(Some).collect(),
                _ => vec![None],
            };
            let mut items = Vec::with_capacity(given.len());
            for item in given {
                items.push(complete_at(types, inner, &each, item, depth + 1)?);
            }
            let wanted = (c.min_items.unwrap_or(1).clamp(1, 8)) as usize;
            while items.len() < wanted {
                let last = items.last().cloned().unwrap_or(Value::Null);
                items.push(last);
            }
            Some(Value::Array(items))
        }
        Ty::String | Ty::DateTime => kept(Value::is_string).or_else(|| value(types, ty, c)),
        Ty::I32 | Ty::I64 => kept(|v| v.is_i64()).or_else(|| value(types, ty, c)),
        Ty::F64 => kept(Value::is_number).or_else(|| value(types, ty, c)),
        Ty::Bool => kept(Value::is_boolean).or_else(|| value(types, ty, c)),
        Ty::Json => given.cloned().or_else(|| value(types, ty, c)),
        Ty::Map(_) => kept(Value::is_object).or_else(|| value(types, ty, c)),
        Ty::File => None,
    }
}

/// A field's example: its own, else its type's (the first value a narrowing `enum` allows);
/// a JSON string's is written as a string if it is not one.
fn field_value(types: &BTreeMap<String, TypeDef>, f: &Field) -> Option<Value> {
    let subset = f.constraints.enum_subset.as_ref().and_then(|s| s.first());
    let number_enum = |ty: &Ty| match ty {
        Ty::Named(n) => matches!(
            types.get(n).map(|t| &t.kind),
            Some(TypeKind::NumberEnum(..))
        ),
        _ => false,
    };
    let value = match (&f.example, subset) {
        (Some(own), _) => own.clone(),
        (None, Some(first)) if number_enum(&f.ty) => serde_json::from_str(first).ok()?,
        (None, Some(first)) => Value::String(first.clone()),
        (None, None) => value(types, &f.ty, &f.constraints)?,
    };
    Some(match value {
        value if f.json_string && !value.is_string() => Value::String(value.to_string()),
        value => value,
    })
}

/// A string of the format, within the length limits.
fn text(c: &Constraints) -> String {
    let by_format = match c.format.as_deref() {
        Some("date-time") => Some("2015-05-20T13:29:35+08:00"),
        Some("date") => Some("2015-05-20"),
        Some("uri" | "url") => Some("https://www.example.com/wechatpay"),
        Some("email") => Some("merchant@example.com"),
        _ => None,
    };
    if let Some(text) = by_format {
        return text.to_owned();
    }
    let min = c.min_length.unwrap_or(1).max(1);
    let len = c.max_length.map_or(min.max(8), |max| min.max(8).min(max));
    "example0".chars().cycle().take(len as usize).collect()
}

/// An integer within the range: the minimum, else 1 (or the maximum when 1 is above it).
fn integer(c: &Constraints) -> i64 {
    let low = c.minimum.map(|m| {
        let m = m.ceil() as i64;
        if c.exclusive_minimum && m as f64 == c.minimum.unwrap_or_default() {
            m + 1
        } else {
            m
        }
    });
    let n = low.unwrap_or(1);
    match c.maximum {
        Some(max) if (n as f64) > max => max.floor() as i64,
        _ => n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_follow_format_and_lengths() {
        let c = |format: Option<&str>, min, max| Constraints {
            format: format.map(str::to_owned),
            min_length: min,
            max_length: max,
            ..Constraints::default()
        };
        assert_eq!(
            text(&c(Some("uri"), None, None)),
            "https://www.example.com/wechatpay"
        );
        assert_eq!(text(&c(None, Some(12), Some(32))).len(), 12);
        assert_eq!(text(&c(None, None, Some(3))).len(), 3);
        assert_eq!(text(&c(None, None, None)).len(), 8);
    }

    #[test]
    fn integers_stay_in_range() {
        let c = |min, exclusive, max| Constraints {
            minimum: min,
            exclusive_minimum: exclusive,
            maximum: max,
            ..Constraints::default()
        };
        assert_eq!(integer(&c(Some(5.0), false, None)), 5);
        assert_eq!(integer(&c(Some(5.0), true, None)), 6);
        assert_eq!(integer(&c(None, false, Some(0.0))), 0);
        assert_eq!(integer(&c(None, false, None)), 1);
    }
}
