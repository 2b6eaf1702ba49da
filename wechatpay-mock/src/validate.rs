//! Validation of requests against the IR: required fields, types, enum values, `maxLength`,
//! and `null` (which WeChat Pay forbids). Each failure names the field, for the `detail` of a
//! 400 `PARAM_ERROR`.

use serde_json::Value;
use wechatpay_spec::ir::{Api, Constraints, Param, Ty, TypeKind};

/// One validation failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Issue {
    /// `body.audit_result`, `query.limit`, `path.contract_id`, `header.X`.
    pub(crate) field: String,
    /// What is wrong.
    pub(crate) issue: String,
}

fn issue(field: &str, text: impl Into<String>) -> Issue {
    Issue {
        field: field.to_owned(),
        issue: text.into(),
    }
}

fn check_constraints(field: &str, text: &str, c: &Constraints) -> Result<(), Issue> {
    let len = text.chars().count() as u64;
    if let Some(max) = c.max_length {
        if len > max {
            return Err(issue(
                field,
                format!("is {len} characters long; at most {max} allowed"),
            ));
        }
    }
    if let Some(min) = c.min_length {
        if len < min {
            return Err(issue(
                field,
                format!("is {len} characters long; at least {min} required"),
            ));
        }
    }
    if c.format.as_deref() == Some("date-time")
        && time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .is_err()
    {
        return Err(issue(field, "is not an RFC 3339 date-time"));
    }
    Ok(())
}

fn check_number(field: &str, n: f64, c: &Constraints) -> Result<(), Issue> {
    if c.minimum.is_some_and(|m| n < m) || c.maximum.is_some_and(|m| n > m) {
        return Err(issue(field, format!("{n} is out of range")));
    }
    Ok(())
}

fn enum_values(api: &Api, name: &str) -> Option<Vec<String>> {
    match &api.types.get(name)?.kind {
        TypeKind::Enum(variants) => Some(variants.iter().map(|v| v.value.clone()).collect()),
        TypeKind::Struct(_) => None,
    }
}

/// Checks one textual parameter value (path, query or header).
pub(crate) fn check_text(
    api: &Api,
    field: &str,
    ty: &Ty,
    text: &str,
    c: &Constraints,
) -> Result<(), Issue> {
    match ty {
        Ty::String | Ty::DateTime => check_constraints(field, text, c),
        Ty::I32 => text
            .parse::<i32>()
            .map_err(|_| issue(field, "is not a 32-bit integer"))
            .and_then(|n| check_number(field, n as f64, c)),
        Ty::I64 => text
            .parse::<i64>()
            .map_err(|_| issue(field, "is not an integer"))
            .and_then(|n| check_number(field, n as f64, c)),
        Ty::F64 => text
            .parse::<f64>()
            .map_err(|_| issue(field, "is not a number"))
            .and_then(|n| check_number(field, n, c)),
        Ty::Bool => match text {
            "true" | "false" => Ok(()),
            _ => Err(issue(field, "is not `true` or `false`")),
        },
        Ty::Named(name) => match enum_values(api, name) {
            Some(values) if values.iter().any(|v| v == text) => Ok(()),
            Some(values) => Err(issue(
                field,
                format!("`{text}` is not one of {}", values.join(", ")),
            )),
            None => Ok(()),
        },
        Ty::Json | Ty::Vec(_) => Ok(()),
    }
}

/// Checks a parameter's values (several for an exploded query array).
pub(crate) fn check_param(
    api: &Api,
    param: &Param,
    values: &[String],
    location: &str,
) -> Result<(), Issue> {
    let field = format!("{location}.{}", param.wire_name);
    if values.is_empty() {
        return if param.required {
            Err(issue(&field, "is required"))
        } else {
            Ok(())
        };
    }
    match &param.ty {
        Ty::Vec(inner) => {
            let items: Vec<&str> = if param.explode {
                values.iter().map(String::as_str).collect()
            } else {
                values.iter().flat_map(|v| v.split(',')).collect()
            };
            items
                .iter()
                .try_for_each(|v| check_text(api, &field, inner, v, &param.constraints))
        }
        ty => check_text(api, &field, ty, &values[0], &param.constraints),
    }
}

/// Checks a JSON value against a type.
pub(crate) fn check_json(
    api: &Api,
    field: &str,
    ty: &Ty,
    value: &Value,
    c: &Constraints,
) -> Result<(), Issue> {
    if value.is_null() {
        return Err(issue(field, "is null: omit absent fields instead"));
    }
    match ty {
        Ty::String | Ty::DateTime => match value.as_str() {
            Some(s) => check_constraints(field, s, c),
            None => Err(issue(field, "must be a string")),
        },
        Ty::I32 | Ty::I64 => match value.as_i64() {
            Some(n) if *ty == Ty::I64 || i32::try_from(n).is_ok() => {
                check_number(field, n as f64, c)
            }
            _ => Err(issue(field, "must be an integer")),
        },
        Ty::F64 => value
            .as_f64()
            .ok_or_else(|| issue(field, "must be a number"))
            .and_then(|n| check_number(field, n, c)),
        Ty::Bool => value
            .as_bool()
            .map(|_| ())
            .ok_or_else(|| issue(field, "must be a boolean")),
        Ty::Json => Ok(()),
        Ty::Vec(inner) => match value.as_array() {
            Some(items) => items.iter().enumerate().try_for_each(|(i, v)| {
                check_json(
                    api,
                    &format!("{field}[{i}]"),
                    inner,
                    v,
                    &Constraints::default(),
                )
            }),
            None => Err(issue(field, "must be an array")),
        },
        Ty::Named(name) => match api.types.get(name).map(|t| &t.kind) {
            Some(TypeKind::Enum(_)) => match value.as_str() {
                Some(s) => check_text(api, field, ty, s, c),
                None => Err(issue(field, "must be a string")),
            },
            Some(TypeKind::Struct(fields)) => {
                let Some(object) = value.as_object() else {
                    return Err(issue(field, "must be an object"));
                };
                for f in fields {
                    let child = format!("{field}.{}", f.wire_name);
                    match object.get(&f.wire_name) {
                        None if f.required => return Err(issue(&child, "is required")),
                        None => {}
                        Some(v) => check_json(api, &child, &f.ty, v, &f.constraints)?,
                    }
                }
                Ok(())
            }
            None => Ok(()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> Api {
        wechatpay_spec::lower(&crate::embedded::embedded_spec()).expect("the embedded spec loads")
    }

    fn body_ty(api: &Api, id: &str) -> Ty {
        api.operations()
            .find(|o| o.id == id)
            .and_then(|o| o.body.clone())
            .expect("operation with a body")
    }

    #[test]
    fn valid_example_bodies_pass() {
        let api = api();
        for op in api.operations() {
            if let (Some(ty), Some(example)) = (&op.body, &op.body_example) {
                assert_eq!(
                    check_json(&api, "body", ty, example, &Constraints::default()),
                    Ok(()),
                    "{}",
                    op.id
                );
            }
        }
    }

    #[test]
    fn each_rule_names_the_field() {
        let api = api();
        let ty = body_ty(&api, "notifyAuditResult");
        let ok = serde_json::json!({"out_request_no": "x", "mchid": "1", "audit_result": "PASS"});
        assert_eq!(
            check_json(&api, "body", &ty, &ok, &Constraints::default()),
            Ok(())
        );
        let cases = [
            (
                serde_json::json!({"mchid": "1", "audit_result": "PASS"}),
                "body.out_request_no",
                "is required",
            ),
            (
                serde_json::json!({"out_request_no": 5, "mchid": "1", "audit_result": "PASS"}),
                "body.out_request_no",
                "must be a string",
            ),
            (
                serde_json::json!({"out_request_no": "x", "mchid": "1", "audit_result": "MAYBE"}),
                "body.audit_result",
                "is not one of",
            ),
            (
                serde_json::json!({"out_request_no": "x".repeat(65), "mchid": "1", "audit_result": "PASS"}),
                "body.out_request_no",
                "at most 64",
            ),
            (
                serde_json::json!({"out_request_no": "x", "mchid": null, "audit_result": "PASS"}),
                "body.mchid",
                "is null",
            ),
            (
                serde_json::json!({"out_request_no": "x", "mchid": "1", "audit_result": "PASS", "audit_finish_time": "yesterday"}),
                "body.audit_finish_time",
                "RFC 3339",
            ),
        ];
        for (value, field, text) in cases {
            let e = check_json(&api, "body", &ty, &value, &Constraints::default()).unwrap_err();
            assert_eq!(e.field, field);
            assert!(e.issue.contains(text), "{e:?}");
        }
    }
}
