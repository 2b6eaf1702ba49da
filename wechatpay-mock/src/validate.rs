//! Validation of requests against the IR: required fields, types, enum values, lengths,
//! ranges (inclusive or exclusive), `multipleOf`, `pattern`, item and property counts, distinct
//! items, `null` (which WeChat Pay forbids unless a field is `nullable`), the values a narrowing
//! `enum` next to `allOf` allows, and JSON documents carried in strings (`x-wechatpay-json-string`:
//! a string holding JSON valid against the inner schema). Each failure names the field, for the
//! `detail` of a 400 `PARAM_ERROR`.
//!
//! A `pattern` is ECMA 262 (unanchored); it is checked with the `regex` crate after `\d`, `\w`
//! and `\b` are made ASCII as in ECMA. A pattern using a construct the two read differently or
//! the `regex` crate lacks (lookaround, back-references, `\p`, class set operations, inline
//! flags) is not checked at all rather than checked wrongly.

use serde_json::Value;
use wechatpay_spec::ir::{
    Api, Constraints, Field, NumberKind, Operation, Param, ParamLocation, Ty, TypeKind, Variant,
};

/// One validation failure: what the mock answers as a 400 `PARAM_ERROR`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Issue {
    /// `body.audit_result`, `query.limit`, `path.contract_id`, `header.X`.
    pub field: String,
    /// What is wrong.
    pub issue: String,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.issue)
    }
}

impl std::error::Error for Issue {}

/// Checks a request in plaintext against its operation's schema, as the mock checks the requests
/// it receives: each parameter's values (`params` holds wire names and values, a name repeated
/// for an exploded query array) and the JSON body. Gives the first problem, naming the field.
pub fn check_request(
    api: &Api,
    op: &Operation,
    params: &[(String, String)],
    body: Option<&Value>,
) -> Result<(), Issue> {
    for p in &op.params {
        let values: Vec<String> = (params.iter())
            .filter(|(name, _)| *name == p.wire_name)
            .map(|(_, value)| value.clone())
            .collect();
        let location = match p.location {
            ParamLocation::Path => "path",
            ParamLocation::Query => "query",
            ParamLocation::Header => "header",
        };
        check_param(api, p, &values, location)?;
    }
    match (&op.body, body) {
        (Some(ty), Some(value)) => check_json(api, "body", ty, value, &Constraints::default()),
        (Some(_), None) if op.upload.is_none() => Err(issue("body", "is required")),
        (None, Some(_)) => Err(issue("body", "this operation takes no JSON body")),
        _ => Ok(()),
    }
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
    if let Some(pattern) = &c.pattern {
        if ecma_regex(pattern).is_some_and(|re| !re.is_match(text)) {
            return Err(issue(
                field,
                format!("does not match the pattern `{pattern}`"),
            ));
        }
    }
    match c.format.as_deref().map(|f| (f, format_problem(f, text))) {
        Some((_, Some(problem))) => Err(issue(field, problem)),
        _ => Ok(()),
    }
}

/// What is wrong with `text` as a `format` the mock checks: `date-time` (RFC 3339), `date`
/// (`YYYY-MM-DD`), `uri`/`url` (an absolute URL) and `email`. Other formats are not checked.
fn format_problem(format: &str, text: &str) -> Option<&'static str> {
    use time::format_description::well_known::Rfc3339;
    let ok = match format {
        "date-time" => time::OffsetDateTime::parse(text, &Rfc3339).is_ok(),
        "date" => {
            let description = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(text, description).is_ok()
        }
        "uri" | "url" => reqwest::Url::parse(text).is_ok_and(|u| u.has_host()),
        "email" => text.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !text.chars().any(|c| c.is_whitespace() || c.is_control())
                && !domain.contains('@')
        }),
        _ => true,
    };
    (!ok).then_some(match format {
        "date-time" => "is not an RFC 3339 date-time",
        "date" => "is not a date (YYYY-MM-DD)",
        "uri" | "url" => "is not an absolute URL",
        _ => "is not an email address",
    })
}

fn check_number(field: &str, n: f64, c: &Constraints) -> Result<(), Issue> {
    let below = match (c.minimum, c.exclusive_minimum) {
        (Some(m), false) => (n < m).then(|| format!("at least {m}")),
        (Some(m), true) => (n <= m).then(|| format!("greater than {m}")),
        (None, _) => None,
    };
    let above = match (c.maximum, c.exclusive_maximum) {
        (Some(m), false) => (n > m).then(|| format!("at most {m}")),
        (Some(m), true) => (n >= m).then(|| format!("less than {m}")),
        (None, _) => None,
    };
    if let Some(bound) = below.or(above) {
        return Err(issue(
            field,
            format!("{n} is out of range: {bound} allowed"),
        ));
    }
    if let Some(m) = c.multiple_of.filter(|m| *m > 0.0) {
        let q = n / m;
        if (q - q.round()).abs() > 1e-9 * q.abs().max(1.0) {
            return Err(issue(field, format!("{n} is not a multiple of {m}")));
        }
    }
    Ok(())
}

/// `minItems`, `maxItems` and `uniqueItems` of an array of `len` items.
fn check_items(field: &str, items: &[Value], c: &Constraints) -> Result<(), Issue> {
    let len = items.len() as u64;
    if let Some(max) = c.max_items.filter(|max| len > *max) {
        return Err(issue(
            field,
            format!("has {len} items; at most {max} allowed"),
        ));
    }
    if let Some(min) = c.min_items.filter(|min| len < *min) {
        return Err(issue(
            field,
            format!("has {len} items; at least {min} required"),
        ));
    }
    if c.unique_items {
        for (i, item) in items.iter().enumerate() {
            if items[..i].contains(item) {
                return Err(issue(field, format!("item {i} repeats an earlier item")));
            }
        }
    }
    Ok(())
}

/// `minProperties` and `maxProperties` of an object with `len` properties.
fn check_properties(field: &str, len: usize, c: &Constraints) -> Result<(), Issue> {
    let len = len as u64;
    if let Some(max) = c.max_properties.filter(|max| len > *max) {
        return Err(issue(
            field,
            format!("has {len} properties; at most {max} allowed"),
        ));
    }
    if let Some(min) = c.min_properties.filter(|min| len < *min) {
        return Err(issue(
            field,
            format!("has {len} properties; at least {min} required"),
        ));
    }
    Ok(())
}

/// An ECMA 262 pattern as a `regex` that matches the same strings, or `None` when the pattern
/// uses something the two read differently or `regex` cannot do (then it is not checked).
pub(crate) fn ecma_regex(pattern: &str) -> Option<regex::Regex> {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let e = chars.next()?;
                match e {
                    'd' => out.push_str(if in_class { "0-9" } else { "[0-9]" }),
                    'D' if !in_class => out.push_str("[^0-9]"),
                    'w' => out.push_str(if in_class {
                        "0-9A-Za-z_"
                    } else {
                        "[0-9A-Za-z_]"
                    }),
                    'W' if !in_class => out.push_str("[^0-9A-Za-z_]"),
                    'b' if !in_class => out.push_str("(?-u:\\b)"),
                    'B' if !in_class => out.push_str("(?-u:\\B)"),
                    // Escapes both read alike.
                    's' | 'S' | 'n' | 'r' | 't' | 'f' | 'v' | 'x' | 'u' => {
                        out.push('\\');
                        out.push(e);
                    }
                    e if e.is_ascii_punctuation() => {
                        out.push('\\');
                        out.push(e);
                    }
                    _ => return None,
                }
            }
            '[' if in_class => {
                if chars.peek() == Some(&':') {
                    return None;
                }
                out.push_str("\\[");
            }
            '[' => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push(chars.next()?);
                }
                if chars.peek() == Some(&']') {
                    // `[]` matches nothing in ECMA, `[^]` anything; `regex` reads them otherwise.
                    return None;
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '&' | '-' | '~' if in_class && chars.peek() == Some(&c) => return None,
            '(' if !in_class && chars.peek() == Some(&'?') => {
                chars.next();
                chars.next_if_eq(&':')?;
                out.push_str("(?:");
            }
            '.' if !in_class => out.push_str("[^\\n\\r\\u{2028}\\u{2029}]"),
            c => out.push(c),
        }
    }
    if in_class {
        return None;
    }
    regex::Regex::new(&out).ok()
}

fn enum_values(api: &Api, name: &str) -> Option<Vec<String>> {
    match &api.types.get(name)?.kind {
        TypeKind::Enum(variants) => Some(variants.iter().map(|v| v.value.clone()).collect()),
        TypeKind::Struct(_) | TypeKind::NumberEnum(..) => None,
    }
}

/// Checks a number against a number enum: an integer enum takes integers only.
fn check_number_enum(
    field: &str,
    kind: NumberKind,
    variants: &[Variant],
    n: Option<f64>,
    integer: bool,
) -> Result<(), Issue> {
    let Some(n) = n.filter(|_| integer || kind == NumberKind::Number) else {
        return Err(issue(
            field,
            match kind {
                NumberKind::Integer => "must be an integer",
                NumberKind::Number => "must be a number",
            },
        ));
    };
    if variants
        .iter()
        .any(|v| v.value.parse::<f64>().ok() == Some(n))
    {
        return Ok(());
    }
    let values: Vec<&str> = variants.iter().map(|v| v.value.as_str()).collect();
    Err(issue(
        field,
        format!("{n} is not one of {}", values.join(", ")),
    ))
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
        Ty::Named(name)
            if matches!(
                api.types.get(name).map(|t| &t.kind),
                Some(TypeKind::NumberEnum(..))
            ) =>
        {
            let Some(TypeKind::NumberEnum(kind, variants)) = api.types.get(name).map(|t| &t.kind)
            else {
                return Ok(());
            };
            let integer = text.parse::<i64>().is_ok();
            check_number_enum(field, *kind, variants, text.parse::<f64>().ok(), integer)?;
            check_subset(field, text, true, c)
        }
        Ty::Named(name) => match enum_values(api, name) {
            Some(values) if values.iter().any(|v| v == text) => check_subset(field, text, false, c),
            Some(values) => Err(issue(
                field,
                format!("`{text}` is not one of {}", values.join(", ")),
            )),
            None => Ok(()),
        },
        Ty::Json | Ty::File | Ty::Vec(_) | Ty::Map(_) => Ok(()),
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
            let json: Vec<Value> = items
                .iter()
                .map(|v| Value::String((*v).to_owned()))
                .collect();
            check_items(&field, &json, &param.constraints)?;
            let each = param
                .constraints
                .items
                .as_deref()
                .cloned()
                .unwrap_or_default();
            items
                .iter()
                .try_for_each(|v| check_text(api, &field, inner, v, &each))
        }
        // A scalar given twice (`?mchid=1&mchid=2`) is ambiguous: refused, not read as the first.
        _ if values.len() > 1 => Err(issue(&field, "is given more than once")),
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
        Ty::Json => match value.as_object() {
            Some(object) => check_properties(field, object.len(), c),
            None => Ok(()),
        },
        Ty::File => Err(issue(field, "is a file, sent as a part of its own")),
        Ty::Map(inner) => match value.as_object() {
            Some(object) => {
                check_properties(field, object.len(), c)?;
                object.iter().try_for_each(|(key, v)| {
                    let child = format!("{field}.{key}");
                    check_json(api, &child, inner, v, &Constraints::default())
                })
            }
            None => Err(issue(field, "must be an object")),
        },
        Ty::Vec(inner) => match value.as_array() {
            Some(items) => check_items(field, items, c).and_then(|()| {
                let each = c.items.as_deref().cloned().unwrap_or_default();
                items.iter().enumerate().try_for_each(|(i, v)| {
                    check_json(api, &format!("{field}[{i}]"), inner, v, &each)
                })
            }),
            None => Err(issue(field, "must be an array")),
        },
        Ty::Named(name) => match api.types.get(name).map(|t| &t.kind) {
            Some(TypeKind::NumberEnum(kind, variants)) => {
                let integer = value.as_i64().is_some() || value.as_u64().is_some();
                check_number_enum(field, *kind, variants, value.as_f64(), integer)?;
                check_subset(field, &value.to_string(), true, c)
            }
            Some(TypeKind::Enum(_)) => match value.as_str() {
                Some(s) => check_text(api, field, ty, s, c),
                None => Err(issue(field, "must be a string")),
            },
            Some(TypeKind::Struct(fields)) => {
                let Some(object) = value.as_object() else {
                    return Err(issue(field, "must be an object"));
                };
                check_properties(field, object.len(), c)?;
                for f in fields {
                    let child = format!("{field}.{}", f.wire_name);
                    match object.get(&f.wire_name) {
                        None if f.required => return Err(issue(&child, "is required")),
                        None => {}
                        Some(Value::Null) if f.nullable => {}
                        Some(v) if f.json_string => check_json_string(api, &child, f, v)?,
                        Some(v) => check_json(api, &child, &f.ty, v, &f.constraints)?,
                    }
                }
                Ok(())
            }
            None => Ok(()),
        },
    }
}

/// A field carrying a JSON document in a string: a string (the field's constraints apply to
/// it) holding JSON valid against the field's type.
fn check_json_string(api: &Api, field: &str, f: &Field, value: &Value) -> Result<(), Issue> {
    let Some(text) = value.as_str() else {
        return Err(issue(field, "must be a string holding a JSON document"));
    };
    check_constraints(field, text, &f.constraints)?;
    let inner: Value = serde_json::from_str(text)
        .map_err(|e| issue(field, format!("does not hold a JSON document: {e}")))?;
    check_json(api, field, &f.ty, &inner, &Constraints::default())
}

/// Checks an enum value against the values a narrowing `enum` next to `allOf` allows.
fn check_subset(field: &str, value: &str, number: bool, c: &Constraints) -> Result<(), Issue> {
    let Some(subset) = &c.enum_subset else {
        return Ok(());
    };
    let same = |v: &String| match number {
        true => v.parse::<f64>().ok() == value.parse::<f64>().ok(),
        false => v == value,
    };
    if subset.iter().any(same) {
        return Ok(());
    }
    Err(issue(
        field,
        format!(
            "`{value}` is not one of {} (this field allows only these)",
            subset.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wechatpay_spec::ir::SuccessKind;

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

    fn empty() -> Api {
        Api {
            resources: Default::default(),
            groups: Vec::new(),
            types: Default::default(),
            warnings: Vec::new(),
        }
    }

    fn check(ty: &Ty, value: Value, c: &Constraints) -> Result<(), String> {
        check_json(&empty(), "x", ty, &value, c).map_err(|e| e.issue)
    }

    #[test]
    fn formats_uri_email_date_and_date_time_are_checked() {
        let with = |format: &str| Constraints {
            format: Some(format.to_owned()),
            ..Constraints::default()
        };
        let cases = [
            ("uri", "https://pay.example.com/notify", true),
            ("uri", "/notify", false),
            ("uri", "not a url", false),
            ("email", "a.b@example.com", true),
            ("email", "a@b", false),
            ("email", "a b@example.com", false),
            ("date", "2024-02-29", true),
            ("date", "2023-02-29", false),
            ("date-time", "2015-05-20T13:29:35+08:00", true),
            ("date-time", "2015-05-20 13:29:35", false),
            ("byte", "anything", true),
        ];
        for (format, text, ok) in cases {
            let result = check(&Ty::String, serde_json::json!(text), &with(format));
            assert_eq!(result.is_ok(), ok, "{format} {text}: {result:?}");
        }
    }

    #[test]
    fn each_item_of_an_array_meets_the_items_constraints() {
        let c = Constraints {
            max_items: Some(3),
            items: Some(Box::new(Constraints {
                max_length: Some(2),
                ..Constraints::default()
            })),
            ..Constraints::default()
        };
        let strings = Ty::Vec(Box::new(Ty::String));
        assert_eq!(check(&strings, serde_json::json!(["ab", "c"]), &c), Ok(()));
        let long = check(&strings, serde_json::json!(["ab", "abc"]), &c).unwrap_err();
        assert!(long.contains('2'), "{long}");
        assert!(check(&strings, serde_json::json!(["a", "b", "c", "d"]), &c).is_err());
    }

    #[test]
    fn ranges_inclusive_exclusive_and_multiples() {
        let c = Constraints {
            minimum: Some(1.0),
            maximum: Some(10.0),
            ..Constraints::default()
        };
        assert_eq!(check(&Ty::I64, 1.into(), &c), Ok(()));
        assert_eq!(check(&Ty::I64, 10.into(), &c), Ok(()));
        assert!(check(&Ty::I64, 0.into(), &c)
            .unwrap_err()
            .contains("at least 1"));
        let c = Constraints {
            exclusive_minimum: true,
            exclusive_maximum: true,
            multiple_of: Some(0.5),
            ..c
        };
        assert!(check(&Ty::F64, 1.0.into(), &c)
            .unwrap_err()
            .contains("greater than 1"));
        assert!(check(&Ty::F64, 10.0.into(), &c)
            .unwrap_err()
            .contains("less than 10"));
        assert_eq!(check(&Ty::F64, 2.5.into(), &c), Ok(()));
        assert!(check(&Ty::F64, 2.2.into(), &c)
            .unwrap_err()
            .contains("multiple of 0.5"));
        let text = check_text(&empty(), "q", &Ty::I32, "0", &c).unwrap_err();
        assert!(text.issue.contains("out of range"), "{text:?}");
    }

    #[test]
    fn item_counts_and_distinct_items() {
        let ty = Ty::Vec(Box::new(Ty::String));
        let c = Constraints {
            min_items: Some(1),
            max_items: Some(2),
            unique_items: true,
            ..Constraints::default()
        };
        assert_eq!(check(&ty, serde_json::json!(["a", "b"]), &c), Ok(()));
        assert!(check(&ty, serde_json::json!([]), &c)
            .unwrap_err()
            .contains("at least 1"));
        assert!(check(&ty, serde_json::json!(["a", "b", "c"]), &c)
            .unwrap_err()
            .contains("at most 2"));
        assert!(check(&ty, serde_json::json!(["a", "a"]), &c)
            .unwrap_err()
            .contains("repeats"));
        let param = Param {
            rust_name: "ids".into(),
            wire_name: "ids".into(),
            location: wechatpay_spec::ir::ParamLocation::Query,
            ty,
            required: false,
            explode: false,
            encrypted: false,
            doc: None,
            constraints: c,
            notes: Default::default(),
            example: None,
        };
        let e = check_param(&empty(), &param, &["a,b,c".to_owned()], "query").unwrap_err();
        assert_eq!(e.field, "query.ids");
        assert!(e.issue.contains("at most 2"), "{e:?}");
    }

    #[test]
    fn property_counts() {
        let c = Constraints {
            min_properties: Some(1),
            max_properties: Some(1),
            ..Constraints::default()
        };
        assert_eq!(check(&Ty::Json, serde_json::json!({"a": 1}), &c), Ok(()));
        assert!(check(&Ty::Json, serde_json::json!({}), &c)
            .unwrap_err()
            .contains("at least 1"));
        assert!(check(&Ty::Json, serde_json::json!({"a": 1, "b": 2}), &c)
            .unwrap_err()
            .contains("at most 1"));
    }

    #[test]
    fn patterns_are_ecma_or_not_checked() {
        let c = |p: &str| Constraints {
            pattern: Some(p.to_owned()),
            ..Constraints::default()
        };
        assert_eq!(
            check(&Ty::String, "ab12".into(), &c(r"^[a-z]+\d+$")),
            Ok(())
        );
        assert!(check(&Ty::String, "ab".into(), &c(r"^[a-z]+\d+$"))
            .unwrap_err()
            .contains("does not match"));
        // Unanchored, as in ECMA 262.
        assert_eq!(check(&Ty::String, "xx12yy".into(), &c(r"\d{2}")), Ok(()));
        // `\d` is ASCII in ECMA 262 (the `regex` crate's is Unicode).
        assert!(check(&Ty::String, "١٢".into(), &c(r"^\d+$")).is_err());
        // `.` stops at line breaks in ECMA 262.
        assert!(check(&Ty::String, "a\rb".into(), &c(r"^a.b$")).is_err());
        assert_eq!(check(&Ty::String, "一级".into(), &c("^.{2}$")), Ok(()));
        // Lookaround, back-references, `\p`, inline flags, class set operations: not checked.
        for unsupported in [
            r"^(?=a)",
            r"(a)\1",
            r"\p{L}",
            "(?i)abc",
            "[a-z&&[^x]]",
            "[[:alpha:]]",
            "[]",
        ] {
            assert!(ecma_regex(unsupported).is_none(), "{unsupported}");
            assert_eq!(check(&Ty::String, "zzz".into(), &c(unsupported)), Ok(()));
        }
    }

    #[test]
    fn number_enums_take_their_numbers() {
        let source = wechatpay_spec::Source {
            name: "spec.yaml".into(),
            text: include_str!("../../generator/tests/fixtures/ok/number_enums/spec.yaml").into(),
        };
        let api = wechatpay_spec::lower(&[source]).unwrap();
        let ty = body_ty(&api, "setLevel");
        let check = |v: Value| check_json(&api, "body", &ty, &v, &Constraints::default());
        assert_eq!(
            check(serde_json::json!({"level": -1, "ratio": 2.5})),
            Ok(())
        );
        let e = check(serde_json::json!({"level": 2})).unwrap_err();
        assert_eq!(e.field, "body.level");
        assert!(e.issue.contains("not one of -1, 0, 1, 10"), "{e:?}");
        assert!(check(serde_json::json!({"level": "1"}))
            .unwrap_err()
            .issue
            .contains("integer"));
        assert!(check(serde_json::json!({"level": 1.5}))
            .unwrap_err()
            .issue
            .contains("integer"));
        let priority = &api
            .operations()
            .find(|o| o.id == "setLevel")
            .unwrap()
            .params[0];
        assert_eq!(check_param(&api, priority, &["3".into()], "query"), Ok(()));
        assert!(check_param(&api, priority, &["4".into()], "query").is_err());
    }

    fn fixture_api(text: &str) -> Api {
        let source = wechatpay_spec::Source {
            name: "spec.yaml".into(),
            text: text.into(),
        };
        wechatpay_spec::lower(&[source]).unwrap()
    }

    #[test]
    fn merged_all_of_bodies_and_narrowed_enums() {
        let api = fixture_api(include_str!(
            "../../generator/tests/fixtures/ok/all_of/spec.yaml"
        ));
        let ty = body_ty(&api, "createTransaction");
        let check = |v: Value| check_json(&api, "body", &ty, &v, &Constraints::default());
        let ok = serde_json::json!({"out_trade_no": "T", "mchid": "1", "payer": {"openid": "o"}, "amount": {"total": 1}, "channel": "APP"});
        assert_eq!(check(ok.clone()), Ok(()));
        let op = api.operations().next().unwrap();
        assert_eq!(check(op.body_example.clone().unwrap()), Ok(()));
        let mut narrowed = ok.clone();
        narrowed["channel"] = "NATIVE".into();
        let e = check(narrowed).unwrap_err();
        assert_eq!(e.field, "body.channel");
        assert!(e.issue.contains("not one of APP, JSAPI"), "{e:?}");
        for (member, field) in [("mchid", "body.mchid"), ("payer", "body.payer")] {
            let mut missing = ok.clone();
            missing.as_object_mut().unwrap().remove(member);
            assert_eq!(check(missing).unwrap_err().field, field);
        }
        let answer = op.success.example.clone().unwrap();
        assert_eq!(answer["trade_state"], "SUCCESS");
        let SuccessKind::Json(answer_ty) = &op.success.kind else {
            panic!("a JSON answer")
        };
        assert_eq!(
            check_json(&api, "answer", answer_ty, &answer, &Constraints::default()),
            Ok(())
        );
    }

    #[test]
    fn json_strings_hold_valid_documents() {
        let api = fixture_api(include_str!(
            "../../generator/tests/fixtures/ok/json_strings/spec.yaml"
        ));
        let ty = body_ty(&api, "createOrder");
        let check = |v: Value| check_json(&api, "body", &ty, &v, &Constraints::default());
        let op = api.operations().next().unwrap();
        let example = op.body_example.clone().unwrap();
        // Built from the inner schema's examples (serde_json orders the keys).
        assert_eq!(
            example["scene_info"],
            r#"{"device_id":"D9","store_id":"S1"}"#
        );
        assert_eq!(check(example), Ok(()));
        let cases = [
            (serde_json::json!({"store_id": "S"}), "must be a string"),
            ("not json".into(), "does not hold a JSON document"),
            (r#"{"device_id":"D"}"#.into(), "is required"),
            (r#"{"store_id":1}"#.into(), "must be a string"),
            (
                format!(r#"{{"store_id":"{}"}}"#, "s".repeat(250)).into(),
                "at most 256",
            ),
        ];
        for (scene, text) in cases {
            let e =
                check(serde_json::json!({"out_trade_no": "T", "scene_info": scene})).unwrap_err();
            assert!(e.field.starts_with("body.scene_info"), "{e:?}");
            assert!(e.issue.contains(text), "{text}: {e:?}");
        }
        let answer = op.success.example.clone().unwrap();
        assert_eq!(answer["promotion"], r#"{"amount":5,"coupon_id":"C1"}"#);
    }

    #[test]
    fn maps_check_each_value_and_their_size() {
        let source = wechatpay_spec::Source {
            name: "spec.yaml".into(),
            text: include_str!("../../generator/tests/fixtures/ok/maps/spec.yaml").into(),
        };
        let api = wechatpay_spec::lower(&[source]).unwrap();
        let ty = body_ty(&api, "putSettings");
        let check = |v: Value| check_json(&api, "body", &ty, &v, &Constraints::default());
        assert_eq!(
            check(serde_json::json!({"labels": {"a": "x"}, "limits": {"n": 3}})),
            Ok(())
        );
        let e = check(serde_json::json!({"labels": {"a": 1}})).unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.issue.as_str()),
            ("body.labels.a", "must be a string")
        );
        let e = check(serde_json::json!({"labels": {}, "limits": {"n": "3"}})).unwrap_err();
        assert_eq!(e.field, "body.limits.n");
        let many: serde_json::Map<String, Value> =
            (0..9).map(|i| (i.to_string(), "v".into())).collect();
        let e = check(serde_json::json!({ "labels": many })).unwrap_err();
        assert!(e.issue.contains("at most 8"), "{e:?}");
    }
}
