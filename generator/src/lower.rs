//! Lowering: parsed spec files → IR. Every naming decision (case, keywords, collisions, inline
//! type names), every `$ref` and every classification (body, success kind, host) is made here,
//! and every problem is reported with file, YAML path and line. Nothing here panics on input.

use std::collections::{BTreeMap, BTreeSet};

use heck::{ToSnakeCase, ToUpperCamelCase};

use crate::error::{SpecError, SpecErrors};
use crate::ir::{
    Api, Constraints, Field, Group, Host, Method, Operation, Param, ParamLocation, Success,
    SuccessKind, Ty, TypeDef, TypeKind, Variant,
};
use crate::locate::{line_of, YamlPath};
use crate::spec::{self, Document, RatePeriod, Schema};

/// One spec file's name and text.
#[derive(Debug, Clone)]
pub struct Source {
    /// The name used in `$ref`s and error messages, e.g. `papay.yaml`.
    pub name: String,
    /// The YAML text.
    pub text: String,
}

/// Parses and lowers a set of spec files into the IR.
pub fn lower(sources: &[Source]) -> Result<Api, SpecErrors> {
    let mut cx = Lowerer::default();
    let mut docs = BTreeMap::new();
    for source in sources {
        cx.texts.insert(source.name.clone(), source.text.clone());
        match serde_yaml::from_str::<Document>(&source.text) {
            Ok(doc) => {
                docs.insert(source.name.clone(), doc);
            }
            Err(e) => cx.errors.push(yaml_error(&source.name, &e)),
        }
    }
    if !cx.errors.is_empty() {
        return Err(SpecErrors(cx.errors));
    }
    cx.run(&docs);
    if cx.errors.is_empty() {
        Ok(cx.finish())
    } else {
        Err(SpecErrors(cx.errors))
    }
}

fn yaml_error(file: &str, e: &serde_yaml::Error) -> SpecError {
    let mut message = e.to_string();
    let line = e.location().map(|l| l.line());
    if let Some(l) = e.location() {
        let suffix = format!(" at line {} column {}", l.line(), l.column());
        if let Some(stripped) = message.strip_suffix(&suffix) {
            message = stripped.to_owned();
        }
    }
    let (path, message) = match message.split_once(": ") {
        Some((p, m)) if !p.contains(' ') => (p.to_owned(), m.to_owned()),
        _ => (String::new(), message),
    };
    SpecError {
        file: file.to_owned(),
        path,
        line,
        message,
    }
}

#[derive(Default)]
struct Lowerer {
    texts: BTreeMap<String, String>,
    errors: Vec<SpecError>,
    types: BTreeMap<String, TypeDef>,
    /// Rust name → where it came from, for collision messages (the line is looked up only
    /// when a message is printed: looking it up for every name made lowering quadratic).
    origins: BTreeMap<String, (String, YamlPath)>,
    /// (file, schema) → lowered type.
    components: BTreeMap<(String, String), Ty>,
    in_progress: BTreeSet<(String, String)>,
    modules: BTreeMap<String, String>,
    groups: Vec<Group>,
    operation_ids: BTreeMap<String, (String, YamlPath)>,
}

const METHODS: [Method; 5] = [
    Method::Get,
    Method::Post,
    Method::Put,
    Method::Patch,
    Method::Delete,
];

impl Lowerer {
    fn error(&mut self, file: &str, path: &YamlPath, message: impl Into<String>) {
        let line = self.texts.get(file).and_then(|t| line_of(t, path));
        self.errors.push(SpecError {
            file: file.to_owned(),
            path: path.to_string(),
            line,
            message: message.into(),
        });
    }

    fn where_is(&self, file: &str, path: &YamlPath) -> String {
        match self.texts.get(file).and_then(|t| line_of(t, path)) {
            Some(line) => format!("{file}:{line} (`{path}`)"),
            None => format!("{file} (`{path}`)"),
        }
    }

    fn run(&mut self, docs: &BTreeMap<String, Document>) {
        for (file, doc) in docs {
            let root = YamlPath::default();
            if !doc.openapi.starts_with("3.0.") {
                self.error(
                    file,
                    &root.key("openapi"),
                    format!("unsupported OpenAPI version `{}`: use 3.0.3", doc.openapi),
                );
            }
            let stem = file.rsplit('/').next().unwrap_or(file);
            let stem = stem
                .strip_suffix(".yaml")
                .or_else(|| stem.strip_suffix(".yml"))
                .unwrap_or(stem);
            let module = match &doc.info.group {
                Some(g) => g.module.clone(),
                None => stem.to_snake_case(),
            };
            if !is_ident(&module) || KEYWORDS.contains(&module.as_str()) {
                self.error(
                    file,
                    &root.key("info").key("x-wechatpay-group"),
                    format!("`{module}` is not a usable Rust module name"),
                );
            }
            self.modules.insert(file.clone(), module);
        }
        // Register every component name first, so collisions are found whatever the order.
        for (file, doc) in docs {
            for (name, schema) in &doc.components.schemas {
                let path = YamlPath::default()
                    .key("components")
                    .key("schemas")
                    .key(name);
                let rust = schema.rust_name.clone().unwrap_or_else(|| type_name(name));
                self.register(&rust, file, &path);
            }
        }
        for (file, doc) in docs {
            for name in doc.components.schemas.keys() {
                self.component(docs, file, name);
            }
        }
        for (file, doc) in docs {
            self.group(docs, file, doc);
        }
    }

    /// Claims a Rust type name; a second claim is an error naming both places.
    fn register(&mut self, rust: &str, file: &str, path: &YamlPath) -> bool {
        if !is_ident(rust) {
            self.error(
                file,
                path,
                format!("`{rust}` is not a valid Rust type name; set `x-wechatpay-rust-name`"),
            );
            return false;
        }
        if let Some((first_file, first_path)) = self.origins.get(rust) {
            if (first_file.as_str(), first_path) != (file, path) {
                let first = self.where_is(&first_file.clone(), &first_path.clone());
                self.error(file, path, format!("this maps to the Rust name `{rust}`, which {first} already uses; rename one with `x-wechatpay-rust-name`"));
            }
            return false;
        }
        self.origins
            .insert(rust.to_owned(), (file.to_owned(), path.clone()));
        true
    }

    fn component(
        &mut self,
        docs: &BTreeMap<String, Document>,
        file: &str,
        name: &str,
    ) -> Option<Ty> {
        let key = (file.to_owned(), name.to_owned());
        if let Some(ty) = self.components.get(&key) {
            return Some(ty.clone());
        }
        let path = YamlPath::default()
            .key("components")
            .key("schemas")
            .key(name);
        if !self.in_progress.insert(key.clone()) {
            self.error(
                file,
                &path,
                "unsupported construct: recursive schemas are not supported",
            );
            return None;
        }
        let schema = &docs[file].components.schemas[name];
        let rust = schema.rust_name.clone().unwrap_or_else(|| type_name(name));
        let ty = self.schema(docs, file, &path, schema, &rust, true);
        self.in_progress.remove(&key);
        if let Some(ty) = &ty {
            self.components.insert(key, ty.clone());
        }
        ty
    }

    fn resolve(
        &mut self,
        docs: &BTreeMap<String, Document>,
        file: &str,
        path: &YamlPath,
        reference: &str,
    ) -> Option<(String, String)> {
        let (target, pointer) = reference.split_once('#').unwrap_or((reference, ""));
        let target = target.trim_start_matches("./");
        let target = if target.is_empty() {
            file.to_owned()
        } else {
            target.to_owned()
        };
        let name = pointer.strip_prefix("/components/schemas/");
        match (docs.get(&target), name) {
            (Some(doc), Some(name)) if doc.components.schemas.contains_key(name) => {
                Some((target, name.to_owned()))
            }
            _ => {
                self.error(file, &path.key("$ref"), format!("unresolved $ref `{reference}`: expected `#/components/schemas/<Name>` or `<file>.yaml#/components/schemas/<Name>` naming a schema that exists"));
                None
            }
        }
    }

    /// Lowers a schema. `name` is the Rust name given to it if it becomes a named type;
    /// `registered` says whether that name was claimed already.
    fn schema(
        &mut self,
        docs: &BTreeMap<String, Document>,
        file: &str,
        path: &YamlPath,
        schema: &Schema,
        name: &str,
        registered: bool,
    ) -> Option<Ty> {
        for (key, present) in [
            ("oneOf", schema.one_of.is_some()),
            ("anyOf", schema.any_of.is_some()),
            ("allOf", schema.all_of.is_some()),
            ("not", schema.not.is_some()),
            ("nullable", schema.nullable.is_some()),
        ] {
            if present {
                self.error(file, &path.key(key), format!("unsupported construct `{key}`: describe the value as an object with optional fields instead"));
                return None;
            }
        }
        if let Some(reference) = &schema.reference {
            let (target, target_name) = self.resolve(docs, file, path, reference)?;
            return self.component(docs, &target, &target_name);
        }
        if let Some(values) = &schema.enumeration {
            if schema.ty.as_deref().is_some_and(|t| t != "string") {
                self.error(
                    file,
                    &path.key("enum"),
                    "unsupported construct: only string enums are supported",
                );
                return None;
            }
            return self.enumeration(file, path, schema, values, name, registered);
        }
        match schema.ty.as_deref() {
            Some("string") => Some(Ty::String),
            Some("integer") => Some(if schema.format.as_deref() == Some("int32") {
                Ty::I32
            } else {
                Ty::I64
            }),
            Some("number") => Some(Ty::F64),
            Some("boolean") => Some(Ty::Bool),
            Some("array") => match &schema.items {
                Some(items) => {
                    let item = self.schema(
                        docs,
                        file,
                        &path.key("items"),
                        items,
                        &format!("{name}Item"),
                        false,
                    )?;
                    Some(Ty::Vec(Box::new(item)))
                }
                None => {
                    self.error(file, path, "an array schema needs `items`");
                    None
                }
            },
            Some("object") | None if !schema.properties.is_empty() => {
                self.structure(docs, file, path, schema, name, registered)
            }
            Some("object") => match &schema.additional_properties {
                None => Some(Ty::Json),
                Some(serde_yaml::Value::Bool(true)) => Some(Ty::Json),
                Some(_) => {
                    self.error(file, &path.key("additionalProperties"), "unsupported construct `additionalProperties` with a schema: use `true` or list the properties");
                    None
                }
            },
            Some(other) => {
                self.error(file, &path.key("type"), format!("unknown type `{other}`"));
                None
            }
            None => {
                self.error(
                    file,
                    path,
                    "a schema needs `type`, `properties`, `enum` or `$ref`",
                );
                None
            }
        }
    }

    fn enumeration(
        &mut self,
        file: &str,
        path: &YamlPath,
        schema: &Schema,
        values: &[serde_yaml::Value],
        name: &str,
        registered: bool,
    ) -> Option<Ty> {
        if !registered && !self.register(name, file, path) {
            return None;
        }
        let mut variants: Vec<Variant> = Vec::new();
        for (i, value) in values.iter().enumerate() {
            let Some(value) = value.as_str() else {
                self.error(
                    file,
                    &path.key("enum").index(i),
                    "enum values must be strings",
                );
                return None;
            };
            let mut rust_name = value.to_upper_camel_case();
            if rust_name.is_empty() || rust_name.starts_with(|c: char| c.is_ascii_digit()) {
                rust_name = format!("V{rust_name}");
            }
            if rust_name == "Unknown" || rust_name == "Self" {
                rust_name.push_str("Value");
            }
            if !is_ident(&rust_name) {
                self.error(
                    file,
                    &path.key("enum").index(i),
                    format!("enum value `{value}` gives no valid Rust variant name"),
                );
                return None;
            }
            if let Some(other) = variants.iter().find(|v| v.rust_name == rust_name) {
                self.error(
                    file,
                    &path.key("enum").index(i),
                    format!(
                        "enum values `{}` and `{value}` both map to the variant `{rust_name}`",
                        other.value
                    ),
                );
                return None;
            }
            variants.push(Variant {
                rust_name,
                value: value.to_owned(),
                doc: schema.enum_descriptions.get(value).cloned(),
            });
        }
        self.define(
            file,
            name,
            schema.description.clone(),
            TypeKind::Enum(variants),
        );
        Some(Ty::Named(name.to_owned()))
    }

    fn structure(
        &mut self,
        docs: &BTreeMap<String, Document>,
        file: &str,
        path: &YamlPath,
        schema: &Schema,
        name: &str,
        registered: bool,
    ) -> Option<Ty> {
        if !registered && !self.register(name, file, path) {
            return None;
        }
        for (i, required) in schema.required.iter().enumerate() {
            if !schema.properties.contains_key(required) {
                self.error(
                    file,
                    &path.key("required").index(i),
                    format!("required property `{required}` is not among the properties"),
                );
            }
        }
        let mut fields: Vec<Field> = Vec::new();
        for (wire, prop) in &schema.properties {
            let ppath = path.key("properties").key(wire);
            let rust_name = match &prop.rust_name {
                Some(n) => n.clone(),
                None => match field_name(wire) {
                    Some(n) => n,
                    None => {
                        self.error(file, &ppath, format!("property `{wire}` gives no valid Rust field name; set `x-wechatpay-rust-name`"));
                        continue;
                    }
                },
            };
            if let Some(other) = fields.iter().find(|f| f.rust_name == rust_name) {
                self.error(file, &ppath, format!("properties `{}` and `{wire}` both map to the Rust field `{rust_name}`; set `x-wechatpay-rust-name`", other.wire_name));
                continue;
            }
            let inline = prop
                .rust_name
                .as_ref()
                .filter(|_| {
                    prop.reference.is_none()
                        && (prop.enumeration.is_some() || !prop.properties.is_empty())
                })
                .cloned();
            let inline = inline.unwrap_or_else(|| format!("{name}{}", type_name(wire)));
            let Some(ty) = self.schema(docs, file, &ppath, prop, &inline, false) else {
                continue;
            };
            fields.push(Field {
                rust_name,
                wire_name: wire.clone(),
                ty,
                required: schema.required.contains(wire),
                doc: prop.description.clone(),
                encrypted: prop.encrypted,
                constraints: constraints(prop),
                example: prop.example.clone(),
            });
        }
        self.define(
            file,
            name,
            schema.description.clone(),
            TypeKind::Struct(fields),
        );
        Some(Ty::Named(name.to_owned()))
    }

    fn define(&mut self, file: &str, name: &str, doc: Option<String>, kind: TypeKind) {
        let module = self.modules.get(file).cloned().unwrap_or_default();
        self.types.insert(
            name.to_owned(),
            TypeDef {
                name: name.to_owned(),
                module,
                doc,
                kind,
                in_request: false,
                in_response: false,
            },
        );
    }

    fn group(&mut self, docs: &BTreeMap<String, Document>, file: &str, doc: &Document) {
        let root = YamlPath::default();
        let mut host = Host::Mainland;
        for (i, server) in doc.servers.iter().enumerate() {
            match server.url.trim_end_matches('/') {
                "https://api.mch.weixin.qq.com" | "https://api2.mch.weixin.qq.com" => {}
                "https://apihk.mch.weixin.qq.com" => host = Host::HongKong,
                other => self.error(file, &root.key("servers").index(i).key("url"), format!("unknown server `{other}`: use https://api.mch.weixin.qq.com or https://apihk.mch.weixin.qq.com")),
            }
        }
        let mut operations = Vec::new();
        for (template, item) in &doc.paths {
            let ppath = root.key("paths").key(template);
            let ops = [&item.get, &item.post, &item.put, &item.patch, &item.delete];
            for (method, op) in METHODS.iter().zip(ops) {
                if let Some(op) = op {
                    let opath = ppath.key(&method.as_str().to_ascii_lowercase());
                    if let Some(op) = self.operation(
                        docs,
                        file,
                        &opath,
                        template,
                        *method,
                        host,
                        &item.parameters,
                        op,
                    ) {
                        operations.push(op);
                    }
                }
            }
        }
        let feature = match &doc.info.group {
            Some(g) => Some(g.feature.clone()),
            None if doc.paths.is_empty() => None,
            None => Some(self.modules[file].replace('_', "-")),
        };
        self.groups.push(Group {
            file: file.to_owned(),
            module: self.modules[file].clone(),
            feature,
            feature_deps: Vec::new(),
            title: doc.info.title.clone(),
            description: doc.info.description.clone(),
            operations,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn operation(
        &mut self,
        docs: &BTreeMap<String, Document>,
        file: &str,
        path: &YamlPath,
        template: &str,
        method: Method,
        host: Host,
        shared: &[spec::Parameter],
        op: &spec::Operation,
    ) -> Option<Operation> {
        let Some(id) = op.operation_id.clone() else {
            self.error(
                file,
                path,
                "missing `operationId`: every operation needs one; it names the Rust type",
            );
            return None;
        };
        if let Some((first_file, first_path)) = self.operation_ids.get(&id).cloned() {
            let first = self.where_is(&first_file, &first_path);
            self.error(
                file,
                &path.key("operationId"),
                format!("duplicate operationId `{id}`: {first} uses it already"),
            );
            return None;
        }
        self.operation_ids
            .insert(id.clone(), (file.to_owned(), path.key("operationId")));
        let rust_name = type_name(&id);
        if !self.register(&rust_name, file, &path.key("operationId")) {
            return None;
        }
        let mut params = Vec::new();
        let mut platform_serial_header = false;
        let all: Vec<(YamlPath, &spec::Parameter)> = shared
            .iter()
            .enumerate()
            .map(|(i, p)| (path.0[..2].to_vec(), i, p))
            .map(|(segs, i, p)| (YamlPath(segs).key("parameters").index(i), p))
            .chain(
                op.parameters
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (path.key("parameters").index(i), p)),
            )
            .collect();
        for (ppath, p) in all {
            let Some(p) = self.local_ref(
                file,
                &ppath,
                p.reference.as_deref(),
                "parameters",
                &docs[file].components.parameters,
                p,
            ) else {
                continue;
            };
            let (Some(wire), Some(location), Some(schema)) = (&p.name, &p.location, &p.schema)
            else {
                self.error(file, &ppath, "a parameter needs `name`, `in` and `schema`");
                continue;
            };
            let location = match location.as_str() {
                "path" => ParamLocation::Path,
                "query" => ParamLocation::Query,
                "header" => ParamLocation::Header,
                other => {
                    self.error(
                        file,
                        &ppath.key("in"),
                        format!("unsupported construct: parameters `in: {other}`"),
                    );
                    continue;
                }
            };
            if p.managed {
                if location == ParamLocation::Header
                    && wire.eq_ignore_ascii_case("Wechatpay-Serial")
                {
                    platform_serial_header = true;
                } else {
                    self.error(
                        file,
                        &ppath.key("x-wechatpay-managed"),
                        "only the `Wechatpay-Serial` header is managed by the client",
                    );
                }
                continue;
            }
            let Some(mut rust) = field_name(wire) else {
                self.error(
                    file,
                    &ppath.key("name"),
                    format!("parameter `{wire}` gives no valid Rust field name"),
                );
                continue;
            };
            if rust == "body" || params.iter().any(|q: &Param| q.rust_name == rust) {
                rust = format!("{rust}_{}", format!("{location:?}").to_snake_case());
            }
            let Some(ty) = self.schema(
                docs,
                file,
                &ppath.key("schema"),
                schema,
                &format!("{rust_name}{}", type_name(wire)),
                false,
            ) else {
                continue;
            };
            let query_array = location == ParamLocation::Query
                && matches!(&ty, Ty::Vec(inner) if self.is_scalar(inner));
            if !(self.is_scalar(&ty) || query_array) {
                self.error(file, &ppath.key("schema"), "unsupported construct: path and header parameters must be scalars; query parameters scalars or arrays of scalars");
                continue;
            }
            if p.style
                .as_deref()
                .is_some_and(|s| s != "form" && s != "simple")
            {
                self.error(
                    file,
                    &ppath.key("style"),
                    "unsupported construct: only `form` (query) and `simple` (path, header) styles",
                );
                continue;
            }
            params.push(Param {
                rust_name: rust,
                wire_name: wire.clone(),
                location,
                ty,
                required: p.required || location == ParamLocation::Path,
                explode: p.explode.unwrap_or(true),
                doc: p.description.clone(),
                constraints: constraints(schema),
                example: p.example.clone().or_else(|| schema.example.clone()),
            });
        }
        let placeholders = placeholders(template);
        for name in &placeholders {
            if !params
                .iter()
                .any(|p| p.location == ParamLocation::Path && &p.wire_name == name)
            {
                self.error(
                    file,
                    path,
                    format!("the path has `{{{name}}}` but no `in: path` parameter named `{name}`"),
                );
            }
        }
        for p in params.iter().filter(|p| p.location == ParamLocation::Path) {
            if !placeholders.contains(&p.wire_name) {
                self.error(
                    file,
                    path,
                    format!(
                        "path parameter `{}` does not appear in the path",
                        p.wire_name
                    ),
                );
            }
        }
        let (body, body_example) = match &op.request_body {
            None => (None, None),
            Some(rb) => {
                let bpath = path.key("requestBody");
                let Some(media) = rb
                    .content
                    .get("application/json")
                    .filter(|_| rb.content.len() == 1)
                else {
                    self.error(file, &bpath.key("content"), "unsupported construct: request bodies must be `application/json` only (uploads are not supported yet)");
                    return None;
                };
                let Some(schema) = &media.schema else {
                    self.error(
                        file,
                        &bpath.key("content").key("application/json"),
                        "a request body needs a schema",
                    );
                    return None;
                };
                let ty = self.schema(
                    docs,
                    file,
                    &bpath.key("content").key("application/json").key("schema"),
                    schema,
                    &format!("{rust_name}Request"),
                    false,
                )?;
                if !matches!(&ty, Ty::Named(n) if matches!(self.types.get(n).map(|t| &t.kind), Some(TypeKind::Struct(_))))
                {
                    self.error(file, &bpath, "a request body must be an object");
                    return None;
                }
                (Some(ty), media.example.clone())
            }
        };
        let success = self.success(docs, file, path, op, &rust_name)?;
        let rate_limit = op.rate_limit.as_ref().map(|r| {
            (
                r.requests,
                match r.per {
                    RatePeriod::Second => "second",
                    RatePeriod::Minute => "minute",
                },
            )
        });
        Some(Operation {
            id,
            rust_name,
            method,
            path: template.to_owned(),
            host,
            summary: op.summary.clone(),
            description: op.description.clone(),
            rate_limit,
            idempotent: op
                .idempotent
                .unwrap_or(method != Method::Post && method != Method::Patch),
            deprecated: op.deprecated,
            params,
            body,
            body_example,
            success,
            signed_response: !op.unsigned_response,
            encrypted_fields: Vec::new(),
            platform_serial_header,
        })
    }

    fn success(
        &mut self,
        docs: &BTreeMap<String, Document>,
        file: &str,
        path: &YamlPath,
        op: &spec::Operation,
        rust_name: &str,
    ) -> Option<Success> {
        let mut success = None;
        for (code, response) in &op.responses {
            let rpath = path.key("responses").key(code);
            let Some(response) = self.local_ref(
                file,
                &rpath,
                response.reference.as_deref(),
                "responses",
                &docs[file].components.responses,
                response,
            ) else {
                continue;
            };
            let status = code.parse::<u16>().ok();
            if !status.is_some_and(|s| (200..300).contains(&s)) {
                // Error answers are decoded by the core's shared error type; check their refs only.
                for (media_type, media) in &response.content {
                    if let Some(r) = media.schema.as_ref().and_then(|s| s.reference.as_ref()) {
                        let spath = rpath.key("content").key(media_type).key("schema");
                        self.resolve(docs, file, &spath, r);
                    }
                }
                continue;
            }
            let status = status.unwrap_or(200);
            if success
                .as_ref()
                .is_some_and(|s: &Success| s.status < status)
            {
                continue;
            }
            let (kind, example) = match response.content.iter().next() {
                None => (SuccessKind::Empty, None),
                Some((media_type, media)) if media_type == "application/json" => {
                    let Some(schema) = &media.schema else {
                        self.error(
                            file,
                            &rpath.key("content"),
                            "a JSON response needs a schema",
                        );
                        return None;
                    };
                    let spath = rpath.key("content").key(media_type).key("schema");
                    let ty = self.schema(
                        docs,
                        file,
                        &spath,
                        schema,
                        &format!("{rust_name}Response"),
                        false,
                    )?;
                    (SuccessKind::Json(ty), media.example.clone())
                }
                Some(_) => (SuccessKind::Bytes, None),
            };
            success = Some(Success {
                status,
                kind,
                example,
            });
        }
        if success.is_none() {
            self.error(
                file,
                &path.key("responses"),
                "an operation needs a 2xx response",
            );
        }
        success
    }

    /// Follows a same-file `$ref` to `#/components/<kind>/<Name>`, or returns the inline value.
    fn local_ref<'d, T>(
        &mut self,
        file: &str,
        path: &YamlPath,
        reference: Option<&str>,
        kind: &str,
        table: &'d indexmap::IndexMap<String, T>,
        inline: &'d T,
    ) -> Option<&'d T> {
        let Some(r) = reference else {
            return Some(inline);
        };
        let found = r
            .strip_prefix(&format!("#/components/{kind}/"))
            .and_then(|n| table.get(n));
        if found.is_none() {
            self.error(
                file,
                &path.key("$ref"),
                format!(
                    "unresolved $ref `{r}`: expected `#/components/{kind}/<Name>` in the same file"
                ),
            );
        }
        found
    }

    fn is_scalar(&self, ty: &Ty) -> bool {
        match ty {
            Ty::String | Ty::I32 | Ty::I64 | Ty::F64 | Ty::Bool => true,
            Ty::Named(n) => matches!(self.types.get(n).map(|t| &t.kind), Some(TypeKind::Enum(_))),
            Ty::Json | Ty::Vec(_) => false,
        }
    }

    /// Marks usage, prunes unreachable types, fills examples, encrypted pointers and feature deps.
    fn finish(mut self) -> Api {
        let mut reachable = BTreeSet::new();
        let mut groups = std::mem::take(&mut self.groups);
        let feature_of: BTreeMap<String, Option<String>> = groups
            .iter()
            .map(|g| (g.module.clone(), g.feature.clone()))
            .collect();
        for group in &mut groups {
            let mut used = BTreeSet::new();
            for op in &mut group.operations {
                if let Some(body) = &op.body {
                    mark(&mut self.types, body, &mut used, Direction::Request);
                    let mut pointers = Vec::new();
                    encrypted_pointers(&self.types, body, "", &mut pointers, &mut BTreeSet::new());
                    op.encrypted_fields = pointers;
                    if op.body_example.is_none() {
                        op.body_example = example(&self.types, body);
                    }
                }
                if let SuccessKind::Json(ty) = &op.success.kind {
                    mark(&mut self.types, ty, &mut used, Direction::Response);
                    if op.success.example.is_none() {
                        op.success.example = example(&self.types, ty);
                    }
                }
                for p in &op.params {
                    mark(&mut self.types, &p.ty, &mut used, Direction::Neither);
                }
            }
            let mut deps = BTreeSet::new();
            for name in &used {
                let module = &self.types[name].module;
                if let Some(Some(f)) = feature_of.get(module) {
                    if Some(f) != group.feature.as_ref() {
                        deps.insert(f.clone());
                    }
                }
            }
            group.feature_deps = deps.into_iter().collect();
            reachable.extend(used);
        }
        self.types.retain(|name, _| reachable.contains(name));
        Api {
            groups,
            types: self.types,
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Direction {
    Request,
    Response,
    Neither,
}

fn mark(
    types: &mut BTreeMap<String, TypeDef>,
    ty: &Ty,
    seen: &mut BTreeSet<String>,
    dir: Direction,
) {
    match ty {
        Ty::Vec(inner) => mark(types, inner, seen, dir),
        Ty::Named(name) => {
            let Some(def) = types.get_mut(name) else {
                return;
            };
            let new_flag = match dir {
                Direction::Request => !std::mem::replace(&mut def.in_request, true),
                Direction::Response => !std::mem::replace(&mut def.in_response, true),
                Direction::Neither => false,
            };
            if !seen.insert(name.clone()) && !new_flag {
                return;
            }
            if let TypeKind::Struct(fields) = def.kind.clone() {
                for f in &fields {
                    mark(types, &f.ty, seen, dir);
                }
            }
        }
        _ => {}
    }
}

fn encrypted_pointers(
    types: &BTreeMap<String, TypeDef>,
    ty: &Ty,
    prefix: &str,
    out: &mut Vec<String>,
    seen: &mut BTreeSet<String>,
) {
    match ty {
        Ty::Vec(inner) => encrypted_pointers(types, inner, &format!("{prefix}/*"), out, seen),
        Ty::Named(name) => {
            let Some(TypeKind::Struct(fields)) = types.get(name).map(|t| &t.kind) else {
                return;
            };
            if !seen.insert(name.clone()) {
                return;
            }
            for f in fields {
                let pointer = format!(
                    "{prefix}/{}",
                    f.wire_name.replace('~', "~0").replace('/', "~1")
                );
                if f.encrypted {
                    out.push(pointer);
                } else {
                    encrypted_pointers(types, &f.ty, &pointer, out, seen);
                }
            }
            seen.remove(name);
        }
        _ => {}
    }
}

/// An example value assembled from the schema's property examples.
fn example(types: &BTreeMap<String, TypeDef>, ty: &Ty) -> Option<serde_json::Value> {
    match ty {
        Ty::Named(name) => match &types.get(name)?.kind {
            TypeKind::Enum(variants) => variants
                .first()
                .map(|v| serde_json::Value::String(v.value.clone())),
            TypeKind::Struct(fields) => {
                let mut map = serde_json::Map::new();
                for f in fields {
                    if let Some(v) = f.example.clone().or_else(|| example(types, &f.ty)) {
                        map.insert(f.wire_name.clone(), v);
                    }
                }
                Some(serde_json::Value::Object(map))
            }
        },
        Ty::Vec(inner) => example(types, inner).map(|v| serde_json::Value::Array(vec![v])),
        _ => None,
    }
}

fn constraints(schema: &Schema) -> Constraints {
    Constraints {
        max_length: schema.max_length,
        min_length: schema.min_length,
        minimum: schema.minimum,
        maximum: schema.maximum,
        format: schema.format.clone(),
    }
}

fn placeholders(template: &str) -> Vec<String> {
    template
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

/// Rust keywords, strict and reserved, that cannot be field or module names.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s != "_"
}

/// The Rust type name for a spec name: UpperCamelCase, with `Self` escaped.
pub(crate) fn type_name(raw: &str) -> String {
    let name = raw.to_upper_camel_case();
    if name == "Self" {
        "Self_".to_owned()
    } else {
        name
    }
}

/// The Rust field name for a wire name: snake_case, keywords escaped as `type_`.
fn field_name(raw: &str) -> Option<String> {
    if !raw
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-. ".contains(c))
    {
        return None;
    }
    let mut name = raw.to_snake_case();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    if KEYWORDS.contains(&name.as_str()) {
        name.push('_');
    }
    is_ident(&name).then_some(name)
}
