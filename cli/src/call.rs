//! An operation of the spec, called from JSON at run time: the same [`Request`] the generated
//! code builds (host, parameters, body, sensitive fields, platform serial, answer kind,
//! idempotence), filled from one JSON object and checked against the schema first, with the
//! mock's validator.

use std::borrow::Cow;

use serde_json::{Map, Value};
use wechatpay_api::operation::{Answer, Body, Host, MetaDigest, Request, Sensitive};
use wechatpay_api::{Bytes, Operation, Upload};
use wechatpay_spec::ir::{self, ParamLocation, SuccessKind};

use crate::Failure;

/// What a call answers.
#[derive(Debug)]
pub(crate) enum Answered {
    /// A JSON body, verified, sensitive fields decrypted.
    Json(Value),
    /// No body (`204`, or a declared `202`).
    Empty,
}

/// One operation of the spec with its input: an [`Operation`] like a generated one.
pub(crate) struct SpecCall<'a> {
    op: &'a ir::Operation,
    /// Parameters by wire name (a name repeated for an exploded query array), as sent.
    params: Vec<(String, String)>,
    body: Option<Value>,
    file: Option<Upload>,
    encrypted: Vec<&'a str>,
    sensitive_query: Vec<&'a str>,
    sensitive_headers: Vec<&'a str>,
    sensitive_answer: Vec<&'a str>,
}

impl<'a> SpecCall<'a> {
    /// Fills `op` from `input`, one JSON object: each parameter under its wire name, every
    /// other member into the JSON body; or the body given whole under `body`, the other members
    /// being parameters (needed when a parameter and a body member share a name). Checked
    /// against the schema (required members, types, enum values, lengths, patterns, and no
    /// member the schema does not declare) before anything is signed. `file` is an upload's
    /// file.
    pub(crate) fn new(
        api: &ir::Api,
        op: &'a ir::Operation,
        input: Value,
        file: Option<Upload>,
    ) -> Result<Self, Failure> {
        let Value::Object(mut members) = input else {
            return Err(Failure::usage(
                "the input must be a JSON object: its parameters and body members by name",
            ));
        };
        let body_fields = body_fields(api, op);
        // `body` names the whole body unless a parameter or a body member is called so.
        let body_is_a_name =
            op.params.iter().any(|p| p.wire_name == "body") || body_fields.contains(&"body");
        let explicit_body = match members.get("body") {
            Some(Value::Object(_)) if op.body.is_some() && !body_is_a_name => {
                members.remove("body")
            }
            _ => None,
        };
        let mut params = Vec::new();
        for p in &op.params {
            if explicit_body.is_none() && body_fields.contains(&p.wire_name.as_str()) {
                if members.contains_key(&p.wire_name) {
                    return Err(Failure::usage(format!(
                        "`{}` is both a parameter and a body member of {}: give the body whole under `body`, and the parameter beside it",
                        p.wire_name, op.id
                    )));
                }
                continue;
            }
            if let Some(value) = members.remove(&p.wire_name) {
                params.extend(
                    param_values(p, value)?
                        .into_iter()
                        .map(|v| (p.wire_name.clone(), v)),
                );
            }
        }
        let body = match explicit_body {
            Some(body) => match members.keys().next() {
                Some(name) => {
                    return Err(Failure::usage(format!(
                        "{} has no parameter `{name}` (the body is given under `body`)",
                        op.id
                    )))
                }
                None => Some(body),
            },
            None => body_value(op, members)?,
        };
        if let (Some(ty), Some(value)) = (&op.body, &body) {
            undeclared(api, "body", ty, value)?;
        }
        match (&op.upload, &file) {
            (Some(_), None) => {
                return Err(Failure::usage(format!(
                    "{} uploads a file: name it with --file",
                    op.id
                )))
            }
            (None, Some(_)) => {
                return Err(Failure::usage(format!("{} takes no file", op.id)));
            }
            _ => {}
        }
        wechatpay_mock::check_request(api, op, &params, body.as_ref()).map_err(|issue| {
            Failure::usage(format!("the input does not match {}: {issue}", op.id))
        })?;
        let sensitive = |location: ParamLocation| {
            (op.params.iter()).filter(move |p| p.encrypted && p.location == location)
        };
        Ok(Self {
            op,
            params,
            body,
            file,
            encrypted: op.encrypted_fields.iter().map(String::as_str).collect(),
            sensitive_query: sensitive(ParamLocation::Query)
                .map(|p| p.wire_name.as_str())
                .collect(),
            // Compared without regard to case.
            sensitive_headers: sensitive(ParamLocation::Header)
                .map(|p| p.wire_name.as_str())
                .collect(),
            sensitive_answer: (op.encrypted_answer_fields.iter())
                .map(String::as_str)
                .collect(),
        })
    }

    /// Whether the answer is a download (unsigned bytes) rather than a signed JSON body.
    pub(crate) fn is_download(&self) -> bool {
        self.op.success.kind == SuccessKind::Bytes
    }

    fn pairs(&self, location: ParamLocation) -> Vec<(&str, Cow<'_, str>)> {
        let wire_names: Vec<&str> = (self.op.params.iter())
            .filter(|p| p.location == location)
            .map(|p| p.wire_name.as_str())
            .collect();
        (self.params.iter())
            .filter(|(name, _)| wire_names.contains(&name.as_str()))
            .map(|(name, value)| (name.as_str(), Cow::Borrowed(value.as_str())))
            .collect()
    }
}

/// The wire names of the body's top-level members, when the body is an object.
fn body_fields<'a>(api: &'a ir::Api, op: &ir::Operation) -> Vec<&'a str> {
    match &op.body {
        Some(ir::Ty::Named(name)) => match api.types.get(name).map(|t| &t.kind) {
            Some(ir::TypeKind::Struct(fields)) => {
                fields.iter().map(|f| f.wire_name.as_str()).collect()
            }
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Refuses a member the schema does not declare, at any depth (the platform would refuse it or,
/// worse, ignore a misspelt optional member): the first one, with the members it declares.
fn undeclared(api: &ir::Api, at: &str, ty: &ir::Ty, value: &Value) -> Result<(), Failure> {
    match (ty, value) {
        (ir::Ty::Vec(item), Value::Array(items)) => (items.iter())
            .enumerate()
            .try_for_each(|(i, v)| undeclared(api, &format!("{at}[{i}]"), item, v)),
        (ir::Ty::Map(item), Value::Object(map)) => {
            (map.iter()).try_for_each(|(k, v)| undeclared(api, &format!("{at}.{k}"), item, v))
        }
        (ir::Ty::Named(name), Value::Object(map)) => {
            let Some(ir::TypeKind::Struct(fields)) = api.types.get(name).map(|t| &t.kind) else {
                return Ok(());
            };
            for (key, v) in map {
                let Some(field) = fields.iter().find(|f| f.wire_name == *key) else {
                    let known: Vec<&str> = fields.iter().map(|f| f.wire_name.as_str()).collect();
                    return Err(Failure::usage(format!(
                        "{at}.{key}: not a member of {name} (its members: {})",
                        known.join(", ")
                    )));
                };
                // A JSON document carried in a string is checked by the validator.
                if !field.json_string {
                    undeclared(api, &format!("{at}.{key}"), &field.ty, v)?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A parameter's values as sent: text as it is, numbers and booleans printed; an array, for an
/// array parameter only, as repeated pairs (exploded) or joined with commas.
fn param_values(p: &ir::Param, value: Value) -> Result<Vec<String>, Failure> {
    let scalar = |value: Value| match value {
        Value::String(text) => Ok(text),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        other => Err(Failure::usage(format!(
            "the parameter `{}` takes text, a number or a boolean, not {other}",
            p.wire_name
        ))),
    };
    match value {
        Value::Array(_) if !matches!(p.ty, ir::Ty::Vec(_)) => Err(Failure::usage(format!(
            "the parameter `{}` takes one value, not an array",
            p.wire_name
        ))),
        Value::Array(items) => {
            let items = items
                .into_iter()
                .map(scalar)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if p.explode {
                items
            } else {
                vec![items.join(",")]
            })
        }
        value => Ok(vec![scalar(value)?]),
    }
}

/// The JSON body: the members left once parameters are taken; for an operation whose body is
/// not an object, the member `body`.
fn body_value(
    op: &ir::Operation,
    mut members: Map<String, Value>,
) -> Result<Option<Value>, Failure> {
    if op.body.is_none() {
        return match members.keys().next() {
            None => Ok(None),
            Some(name) => Err(Failure::usage(format!(
                "{} has no parameter `{name}` and takes no JSON body",
                op.id
            ))),
        };
    }
    let whole = op
        .members
        .iter()
        .any(|m| m.target == ir::MemberTarget::Body);
    if whole {
        let body = members.remove("body");
        return match members.keys().next() {
            Some(name) => Err(Failure::usage(format!(
                "{} has no parameter `{name}`; its body goes under `body`",
                op.id
            ))),
            None => Ok(body),
        };
    }
    // An upload's `meta` fields are checked even when none is given (required ones included).
    Ok(Some(Value::Object(members)))
}

impl Operation for SpecCall<'_> {
    type Output = Answered;

    fn request(&self) -> Request<'_> {
        let op = self.op;
        let mut request = Request::new(&op.id, op.method.clone(), &op.path)
            .with_path_params(self.pairs(ParamLocation::Path))
            .with_query(self.pairs(ParamLocation::Query))
            .with_idempotent(op.idempotent)
            .with_sensitive(
                Sensitive::NONE
                    .with_query(&self.sensitive_query)
                    .with_headers(&self.sensitive_headers)
                    .with_answer(&self.sensitive_answer),
            );
        if op.host == ir::Host::HongKong {
            request = request.with_host(Host::HongKong);
        }
        let headers = (self.params.iter())
            .filter(|(name, _)| {
                (op.params.iter())
                    .any(|p| p.location == ParamLocation::Header && p.wire_name == *name)
            })
            .filter_map(|(name, value)| {
                let name = http::HeaderName::from_bytes(name.as_bytes()).ok()?;
                Some((name, Cow::Borrowed(value.as_str())))
            })
            .collect();
        request = request.with_headers(headers);
        request = match (&self.file, &self.body) {
            (Some(file), body) => {
                let upload = op.upload.as_ref();
                let digest = match upload.map(|u| &u.digest) {
                    Some(ir::UploadDigest::Sm3 { field, value }) => {
                        MetaDigest::Sm3 { field, value }
                    }
                    _ => MetaDigest::Sha256,
                };
                request.with_body(
                    Body::multipart(
                        body.as_ref().map(|b| b as _),
                        file,
                        upload.is_some_and(|u| u.filename_in_meta),
                    )
                    .with_digest(digest),
                )
            }
            (None, Some(body)) => request.with_body(Body::json(body, &self.encrypted)),
            (None, None) => request,
        };
        if op.needs_platform_serial() {
            request = request.with_platform_serial();
        }
        match op.success.kind {
            SuccessKind::Json(_) => request,
            SuccessKind::Empty => request.with_answer(Answer::Empty),
            SuccessKind::Accepted => request.with_answer(Answer::Accepted),
            SuccessKind::Bytes => request.with_answer(Answer::Download),
        }
    }

    fn decode(&self, body: &Bytes) -> Result<Answered, serde_json::Error> {
        match self.op.success.kind {
            SuccessKind::Json(_) => serde_json::from_slice(body).map(Answered::Json),
            // A download is streamed by `Client::download`, which decodes nothing.
            SuccessKind::Empty | SuccessKind::Accepted | SuccessKind::Bytes => Ok(Answered::Empty),
        }
    }
}
