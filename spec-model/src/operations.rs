//! Operations: lowering paths and methods to IR operations: parameters, body, success answer,
//! host, and the members of the one-step constructor (named by [`crate::names`]).

use std::collections::BTreeMap;

use crate::context::{constraints, notes, Lowerer};
use crate::examples::has_example;
use crate::ir::{
    self, Group, Host, MerchantMode, Method, Operation, Param, ParamLocation, Success, SuccessKind,
    Ty, TypeKind, Upload,
};
use crate::locate::YamlPath;
use crate::names::{field_name, header_name, type_name};
use crate::spec::{self, Document, MediaType, RatePeriod};

/// Where an operation is: what every step of lowering it needs to read the spec and report.
struct Site<'a> {
    docs: &'a BTreeMap<String, Document>,
    file: &'a str,
    /// `paths.<template>.<method>`.
    path: YamlPath,
    template: &'a str,
    method: Method,
    host: Host,
    /// Parameters of the path item, shared by its operations.
    shared: &'a [spec::Parameter],
}

/// A request body: its JSON type (or an upload's other `meta` fields), its example, and the
/// upload.
type RequestBody = (Option<Ty>, Option<serde_json::Value>, Option<Upload>);

/// What became of one parameter.
enum Lowered {
    Param(Box<Param>),
    /// `Wechatpay-Serial`, filled by the client.
    ManagedSerial,
    /// Reported as an error.
    Rejected,
}

/// The methods in emission order, with their YAML keys.
fn methods(item: &spec::PathItem) -> [(Method, &Option<spec::Operation>); 5] {
    [
        (Method::GET, &item.get),
        (Method::POST, &item.post),
        (Method::PUT, &item.put),
        (Method::PATCH, &item.patch),
        (Method::DELETE, &item.delete),
    ]
}

impl Lowerer {
    pub(crate) fn group(&mut self, docs: &BTreeMap<String, Document>, file: &str, doc: &Document) {
        let host = self.host(file, doc);
        let mut operations = Vec::new();
        for (template, item) in &doc.paths {
            self.check_template(file, template);
            for (method, op) in methods(item) {
                let Some(op) = op else { continue };
                let site = Site {
                    docs,
                    file,
                    path: YamlPath::default()
                        .key("paths")
                        .key(template)
                        .key(&method.as_str().to_ascii_lowercase()),
                    template,
                    method,
                    host,
                    shared: &item.parameters,
                };
                if self.claim_endpoint(&site) {
                    operations.extend(self.operation(&site, op));
                }
            }
        }
        let events = self.events(docs, file, doc);
        let resources = self.resources(file, doc);
        (self.resources).extend(resources.into_iter().map(|r| (file.to_owned(), r)));
        let merchant_modes = self.merchant_modes(file, doc);
        let module = self.modules.get(file).cloned().unwrap_or_default();
        let feature = (!doc.paths.is_empty()).then(|| module.replace('_', "-"));
        self.groups.push(Group {
            file: file.to_owned(),
            module,
            feature,
            feature_deps: Vec::new(),
            title: doc.info.title.clone(),
            description: doc.info.description.clone(),
            operations,
            events,
            merchant_modes,
        });
    }

    /// One operation per host, method and path shape (placeholder names aside): a second
    /// declaration of an endpoint, in this file or another, is an error naming the first.
    fn claim_endpoint(&mut self, site: &Site) -> bool {
        let shape = crate::names::template_shape(site.template);
        let key = format!("{:?} {} {shape}", site.host, site.method.as_str());
        if let Some((first_file, first_path)) = self.endpoints.get(&key).cloned() {
            let first = self.where_is(&first_file, &first_path);
            let message = format!(
                "`{} {}` is already declared at {first}: one endpoint is one operation (edit that one instead)",
                site.method.as_str(),
                site.template
            );
            self.error(site.file, &site.path, message);
            return false;
        }
        self.endpoints
            .insert(key, (site.file.to_owned(), site.path.clone()));
        true
    }

    /// `info.x-wechatpay-merchant-modes`: known values, each once.
    fn merchant_modes(&mut self, file: &str, doc: &Document) -> Vec<MerchantMode> {
        let path = YamlPath::default()
            .key("info")
            .key("x-wechatpay-merchant-modes");
        let mut modes = Vec::new();
        for (i, raw) in doc.info.merchant_modes.iter().flatten().enumerate() {
            let mode = match raw.as_str() {
                "direct" => MerchantMode::Direct,
                "service-provider" => MerchantMode::ServiceProvider,
                other => {
                    let message = format!(
                        "unknown merchant mode `{other}`: use `direct` or `service-provider`"
                    );
                    self.error(file, &path.index(i), message);
                    continue;
                }
            };
            if modes.contains(&mode) {
                self.error(
                    file,
                    &path.index(i),
                    format!("merchant mode `{raw}` is listed twice"),
                );
                continue;
            }
            modes.push(mode);
        }
        if doc.info.merchant_modes.as_ref().is_some_and(Vec::is_empty) {
            let message =
                "an empty list: name `direct`, `service-provider` or both, or leave the key out";
            self.error(file, &path, message);
        }
        modes.sort();
        modes
    }

    fn host(&mut self, file: &str, doc: &Document) -> Host {
        let mut host = Host::Mainland;
        for (i, server) in doc.servers.iter().enumerate() {
            match server.url.trim_end_matches('/') {
                "https://api.mch.weixin.qq.com" | "https://api2.mch.weixin.qq.com" => {}
                "https://apihk.mch.weixin.qq.com" => host = Host::HongKong,
                other => self.error(file, &YamlPath::default().key("servers").index(i).key("url"), format!("unknown server `{other}`: use https://api.mch.weixin.qq.com or https://apihk.mch.weixin.qq.com")),
            }
        }
        host
    }

    fn operation(&mut self, site: &Site, op: &spec::Operation) -> Option<Operation> {
        let (id, rust_name) = self.operation_id(site, op)?;
        let (params, platform_serial_header) = self.params(site, op, &rust_name);
        self.check_placeholders(site, &params);
        let (body, body_example, upload) = match &op.request_body {
            None => (None, None, None),
            Some(rb) => self.request_body(site, rb, &rust_name)?,
        };
        let success = self.success(site, op, &rust_name)?;
        self.check_unsigned(site, op, &success);
        let members = self.members(&params, body.as_ref(), upload.is_some());
        let rate_limit = op.rate_limit.as_ref().map(|r| {
            let per = match r.per {
                RatePeriod::Second => "second",
                RatePeriod::Minute => "minute",
            };
            (r.requests, per)
        });
        let method = site.method.clone();
        Some(Operation {
            id,
            rust_name,
            idempotent: op
                .idempotent
                .unwrap_or_else(|| ir::idempotent_by_default(&method)),
            flow: (op.flow.as_ref()).and_then(|f| self.flow(site.file, &site.path, f)),
            mock: op.mock,
            method,
            path: site.template.to_owned(),
            host: site.host,
            summary: op.summary.clone(),
            description: op.description.clone(),
            rate_limit,
            deprecated: op.deprecated,
            params,
            members,
            body,
            body_example,
            upload,
            success,
            signed_response: !op.unsigned_response,
            encrypted_fields: Vec::new(),
            encrypted_answer_fields: Vec::new(),
            platform_serial_header,
            required_struct: None,
            touches_deprecated: false,
        })
    }

    /// The `operationId` and the Rust type name it gives, both unique across the API.
    fn operation_id(&mut self, site: &Site, op: &spec::Operation) -> Option<(String, String)> {
        let (file, path) = (site.file, &site.path);
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
        self.register(&rust_name, file, &path.key("operationId"))
            .then_some((id, rust_name))
    }

    /// The path item's parameters, then the operation's; and whether the client must send
    /// `Wechatpay-Serial`.
    fn params(&mut self, site: &Site, op: &spec::Operation, op_name: &str) -> (Vec<Param>, bool) {
        let item_path = YamlPath(site.path.0[..2].to_vec()).key("parameters");
        let all = (site.shared.iter().enumerate())
            .map(|(i, p)| (item_path.index(i), p))
            .chain(
                (op.parameters.iter().enumerate())
                    .map(|(i, p)| (site.path.key("parameters").index(i), p)),
            );
        // An upload's operation has a `file` field of its own.
        let upload = (op.request_body.as_ref())
            .is_some_and(|rb| rb.content.contains_key("multipart/form-data"));
        let mut params = Vec::new();
        let mut serial = false;
        let mut declared: BTreeMap<(String, String), YamlPath> = BTreeMap::new();
        for (ppath, p) in all {
            let table = &site.docs[site.file].components.parameters;
            let reference = p.reference.as_deref();
            let Some(p) = self.local_ref(site.file, &ppath, reference, "parameters", table, p)
            else {
                continue;
            };
            if let (Some(name), Some(location)) = (&p.name, &p.location) {
                // Header names are case-insensitive.
                let name = match location.as_str() {
                    "header" => name.to_ascii_lowercase(),
                    _ => name.clone(),
                };
                let key = (name, location.clone());
                if let Some(first) = declared.get(&key) {
                    let first = self.where_is(site.file, first);
                    let message = format!("parameter `{}` (`in: {}`) is declared twice; {first} declares it already (a path-level parameter cannot be overridden either)", key.0, key.1);
                    self.error(site.file, &ppath.key("name"), message);
                    continue;
                }
                declared.insert(key, ppath.key("name"));
            }
            match self.param(site, &ppath, p, (op_name, upload), &params) {
                Lowered::Param(p) => params.push(*p),
                Lowered::ManagedSerial => serial = true,
                Lowered::Rejected => {}
            }
        }
        (params, serial)
    }

    fn param(
        &mut self,
        site: &Site,
        ppath: &YamlPath,
        p: &spec::Parameter,
        (op_name, upload): (&str, bool),
        earlier: &[Param],
    ) -> Lowered {
        let file = site.file;
        let (Some(wire), Some(location), Some(schema)) = (&p.name, &p.location, &p.schema) else {
            self.error(file, ppath, "a parameter needs `name`, `in` and `schema`");
            return Lowered::Rejected;
        };
        let Some(location) = self.param_location(file, ppath, location) else {
            return Lowered::Rejected;
        };
        if p.managed {
            if location == ParamLocation::Header && wire.eq_ignore_ascii_case("Wechatpay-Serial") {
                return Lowered::ManagedSerial;
            }
            let message = "only the `Wechatpay-Serial` header is managed by the client";
            self.error(file, &ppath.key("x-wechatpay-managed"), message);
            return Lowered::Rejected;
        }
        if location == ParamLocation::Header && header_name(wire).is_none() {
            let message = format!("`{wire}` is not a valid HTTP header name");
            self.error(file, &ppath.key("name"), message);
            return Lowered::Rejected;
        }
        let Some(rust) = field_name(wire) else {
            let message = format!("parameter `{wire}` gives no valid Rust field name");
            self.error(file, &ppath.key("name"), message);
            return Lowered::Rejected;
        };
        let location_name = format!("{location:?}").to_ascii_lowercase();
        let rust = self.param_name(rust, &location_name, earlier, upload);
        let inline_name =
            crate::schemas::named_or(schema, || format!("{op_name}{}", type_name(wire)));
        let Some(ty) = self.param_type(site, ppath, p, location, &inline_name) else {
            return Lowered::Rejected;
        };
        let encrypted = crate::schemas::marked(site.docs, file, schema);
        if encrypted && (location == ParamLocation::Path || ty != Ty::String) {
            let message = "`x-wechatpay-encrypted` applies to query and header parameters of `type: string` only";
            self.error(
                file,
                &ppath.key("schema").key("x-wechatpay-encrypted"),
                message,
            );
        }
        // A `$ref` to a named scalar: its constraints and example describe this parameter.
        let lifted = crate::schemas::referenced_scalar(site.docs, file, schema)
            .map(|target| crate::compose::lift(schema, target));
        let schema = lifted.as_ref().unwrap_or(schema);
        let mut notes = notes(schema);
        notes.deprecated |= p.deprecated;
        notes.examples = notes.examples.or_else(|| p.examples.clone());
        Lowered::Param(Box::new(Param {
            rust_name: rust,
            wire_name: wire.clone(),
            location,
            ty,
            required: p.required || location == ParamLocation::Path,
            explode: p.explode.unwrap_or(true),
            encrypted,
            doc: p.description.clone(),
            constraints: constraints(schema),
            notes,
            example: p.example.clone().or_else(|| schema.example.clone()),
        }))
    }

    fn param_location(&mut self, file: &str, ppath: &YamlPath, raw: &str) -> Option<ParamLocation> {
        match raw {
            "path" => Some(ParamLocation::Path),
            "query" => Some(ParamLocation::Query),
            "header" => Some(ParamLocation::Header),
            other => {
                let message = format!("unsupported construct: parameters `in: {other}`");
                self.error(file, &ppath.key("in"), message);
                None
            }
        }
    }

    /// A parameter's type: a scalar (date-times stay text on the wire), or for queries an
    /// array of scalars; `form`/`simple` style only.
    fn param_type(
        &mut self,
        site: &Site,
        ppath: &YamlPath,
        p: &spec::Parameter,
        location: ParamLocation,
        inline_name: &str,
    ) -> Option<Ty> {
        let file = site.file;
        let schema = p.schema.as_ref()?;
        let spath = ppath.key("schema");
        let ty = match self.schema(site.docs, file, &spath, schema, inline_name, false)? {
            Ty::DateTime => Ty::String,
            ty => ty,
        };
        let query_array = location == ParamLocation::Query
            && matches!(&ty, Ty::Vec(inner) if self.is_scalar(inner));
        if !(self.is_scalar(&ty) || query_array) {
            self.error(file, &spath, "unsupported construct: path and header parameters must be scalars; query parameters scalars or arrays of scalars");
            return None;
        }
        if (p.style.as_deref()).is_some_and(|s| s != "form" && s != "simple") {
            let message =
                "unsupported construct: only `form` (query) and `simple` (path, header) styles";
            self.error(file, &ppath.key("style"), message);
            return None;
        }
        Some(ty)
    }

    /// A path template is an absolute path: it starts with `/`, holds only URL path characters,
    /// no `?` or `#`, no `.` or `..` segment, and balanced `{name}` placeholders, each once.
    fn check_template(&mut self, file: &str, template: &str) {
        let path = YamlPath::default().key("paths").key(template);
        let mut problems = Vec::new();
        if !template.starts_with('/') {
            problems.push("it must start with `/`".to_owned());
        }
        if template.contains(['?', '#']) {
            problems.push(
                "it must not hold `?` or `#`: query parameters are `in: query` parameters"
                    .to_owned(),
            );
        }
        if template.split('/').any(|seg| seg == "." || seg == "..") {
            problems.push("it must not have `.` or `..` segments".to_owned());
        }
        let path_char = |c: char| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@%/{}".contains(c);
        if let Some(c) = template
            .chars()
            .find(|&c| !path_char(c) && c != '?' && c != '#')
        {
            problems.push(format!(
                "`{}` is not a URL path character (percent-encode it)",
                c.escape_debug()
            ));
        }
        match placeholder_names(template) {
            Err(problem) => problems.push(problem),
            Ok(names) => {
                for (i, name) in names.iter().enumerate() {
                    if names[..i].contains(name) {
                        problems.push(format!("the placeholder `{{{name}}}` appears twice"));
                    }
                }
            }
        }
        for problem in problems {
            self.error(file, &path, format!("bad path template: {problem}"));
        }
    }

    /// Every `{name}` of the template has one path parameter, and every path parameter a `{name}`.
    fn check_placeholders(&mut self, site: &Site, params: &[Param]) {
        let placeholders = placeholders(site.template);
        let is_path = |p: &&Param| p.location == ParamLocation::Path;
        for name in &placeholders {
            if !params.iter().filter(is_path).any(|p| &p.wire_name == name) {
                let message =
                    format!("the path has `{{{name}}}` but no `in: path` parameter named `{name}`");
                self.error(site.file, &site.path, message);
            }
        }
        for p in params.iter().filter(is_path) {
            if !placeholders.contains(&p.wire_name) {
                let message = format!(
                    "path parameter `{}` does not appear in the path",
                    p.wire_name
                );
                self.error(site.file, &site.path, message);
            }
        }
    }

    /// The JSON body object and its example; or an upload and its other `meta` fields.
    fn request_body(
        &mut self,
        site: &Site,
        rb: &spec::RequestBody,
        op_name: &str,
    ) -> Option<RequestBody> {
        let (file, bpath) = (site.file, site.path.key("requestBody"));
        let only = |media_type: &str| rb.content.get(media_type).filter(|_| rb.content.len() == 1);
        if let Some(media) = only("multipart/form-data") {
            let mpath = bpath.key("content").key("multipart/form-data");
            let (meta, upload) = self.upload(site.docs, file, &mpath, media, op_name)?;
            return Some((meta, None, Some(upload)));
        }
        let Some(media) = only("application/json") else {
            self.error(file, &bpath.key("content"), "a request body is `application/json`, or `multipart/form-data` for an upload, and only one of them");
            return None;
        };
        let mpath = bpath.key("content").key("application/json");
        let Some(schema) = &media.schema else {
            self.error(file, &mpath, "a request body needs a schema");
            return None;
        };
        let name = format!("{op_name}Request");
        self.unsupported_mark(
            site.docs,
            file,
            &mpath.key("schema"),
            schema,
            "a whole body",
        );
        let ty = self.schema(site.docs, file, &mpath.key("schema"), schema, &name, false)?;
        if self.struct_fields(&ty).is_none() {
            self.error(file, &bpath, "a request body must be an object");
            return None;
        }
        Some((Some(ty), media.example.clone(), None))
    }

    /// The lowest `2xx` answer. Other answers are decoded by the core's shared error type;
    /// only their `$ref`s are checked.
    fn success(&mut self, site: &Site, op: &spec::Operation, op_name: &str) -> Option<Success> {
        let mut success: Option<Success> = None;
        for (code, response) in &op.responses {
            let rpath = site.path.key("responses").key(code);
            let table = &site.docs[site.file].components.responses;
            let reference = response.reference.as_deref();
            let Some(response) =
                self.local_ref(site.file, &rpath, reference, "responses", table, response)
            else {
                continue;
            };
            let Some(status) = code.parse::<u16>().ok().filter(|s| (200..300).contains(s)) else {
                self.check_error_refs(site, &rpath, &response.content);
                continue;
            };
            if success.as_ref().is_some_and(|s| s.status < status) {
                continue;
            }
            let (kind, example) = self.success_kind(site, &rpath, &response.content, op_name)?;
            // A 202 without content is this operation's success, not "accepted, repeat it".
            let kind = match kind {
                SuccessKind::Empty if status == 202 => SuccessKind::Accepted,
                kind => kind,
            };
            success = Some(Success {
                status,
                kind,
                example,
            });
        }
        if success.is_none() {
            let message = "an operation needs a 2xx response";
            self.error(site.file, &site.path.key("responses"), message);
        }
        success
    }

    fn check_error_refs(
        &mut self,
        site: &Site,
        rpath: &YamlPath,
        content: &indexmap::IndexMap<String, MediaType>,
    ) {
        for (media_type, media) in content {
            if let Some(r) = media.schema.as_ref().and_then(|s| s.reference.as_ref()) {
                let spath = rpath.key("content").key(media_type).key("schema");
                self.resolve(site.docs, site.file, &spath, r);
            }
        }
    }

    /// No content → empty; `application/json` → a model; anything else → bytes.
    fn success_kind(
        &mut self,
        site: &Site,
        rpath: &YamlPath,
        content: &indexmap::IndexMap<String, MediaType>,
        op_name: &str,
    ) -> Option<(SuccessKind, Option<serde_json::Value>)> {
        match content.iter().next() {
            None => Some((SuccessKind::Empty, None)),
            Some((media_type, media)) if media_type == "application/json" => {
                let Some(schema) = &media.schema else {
                    let message = "a JSON response needs a schema";
                    self.error(site.file, &rpath.key("content"), message);
                    return None;
                };
                let spath = rpath.key("content").key(media_type).key("schema");
                let name = format!("{op_name}Response");
                self.unsupported_mark(site.docs, site.file, &spath, schema, "a whole answer");
                let ty = self.schema(site.docs, site.file, &spath, schema, &name, false)?;
                if media.example.is_none() && !has_example(&self.types, &ty) {
                    let message = "the answer has no example: the mock synthesises one from the schema (types, formats, lengths, ranges); give `example`s for realistic answers";
                    self.warn(site.file, &rpath.key("content").key(media_type), message);
                }
                Some((SuccessKind::Json(ty), media.example.clone()))
            }
            Some((_, media)) => Some((SuccessKind::Bytes, media.example.clone())),
        }
    }

    /// Downloads (non-JSON answers) are exactly the unsigned answers: the core verifies every
    /// other answer's signature, and hands downloads over as bytes.
    fn check_unsigned(&mut self, site: &Site, op: &spec::Operation, success: &Success) {
        let download = success.kind == SuccessKind::Bytes;
        if op.unsigned_response && !download {
            let message = "`x-wechatpay-unsigned-response` is only for downloads (a success answer that is not JSON and not empty)";
            self.error(
                site.file,
                &site.path.key("x-wechatpay-unsigned-response"),
                message,
            );
        } else if download && !op.unsigned_response {
            let message = "a success answer that is not JSON is a download, which the platform does not sign: add `x-wechatpay-unsigned-response: true`";
            self.error(site.file, &site.path.key("responses"), message);
        }
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
            Ty::String | Ty::DateTime | Ty::I32 | Ty::I64 | Ty::F64 | Ty::Bool => true,
            Ty::Named(n) => matches!(
                self.types.get(n).map(|t| &t.kind),
                Some(TypeKind::Enum(_) | TypeKind::NumberEnum(..))
            ),
            Ty::Json | Ty::File | Ty::Vec(_) | Ty::Map(_) => false,
        }
    }
}

/// The placeholder names of a template, or why its braces are wrong.
fn placeholder_names(template: &str) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut open: Option<String> = None;
    for c in template.chars() {
        match (c, &mut open) {
            ('{', None) => open = Some(String::new()),
            ('{', Some(_)) => return Err("`{` inside a placeholder".to_owned()),
            ('}', None) => return Err("`}` without its `{`".to_owned()),
            ('}', Some(name)) => {
                let valid = !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
                if !valid {
                    return Err(format!(
                        "`{{{name}}}` is not a placeholder name (letters, digits, `_`, `-`, `.`)"
                    ));
                }
                names.push(std::mem::take(name));
                open = None;
            }
            (c, Some(name)) => name.push(c),
            (_, None) => {}
        }
    }
    match open {
        Some(_) => Err("a `{` is never closed".to_owned()),
        None => Ok(names),
    }
}

fn placeholders(template: &str) -> Vec<String> {
    template
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}
