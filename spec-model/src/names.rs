//! Names: the one place where Rust names are decided and collisions found (types, fields,
//! modules, features, operation members). Other stages ask here; emitters print what they get.

use std::collections::{BTreeSet, HashMap, HashSet};

use heck::{ToSnakeCase, ToUpperCamelCase};

use crate::context::Lowerer;
use crate::ir::{Field, Member, MemberTarget, Param, TypeDef, TypeKind};
use crate::locate::{Seg, YamlPath};
use crate::spec::{Document, Schema};

/// Rust keywords, strict and reserved, that cannot be field or module names.
pub(crate) const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// The feature under which generated models also derive the serde direction they do not need
/// (answers `Serialize`, requests `Deserialize`); the generator writes it into the features block.
pub const SERDE_BOTH_FEATURE: &str = "serde-both";

/// Features of `wechatpay-api` that are not API groups: a spec file cannot take these names.
/// `tests/tests/reserved_names.rs` checks this list against `wechatpay-api/Cargo.toml`.
pub const RESERVED_FEATURES: &[&str] = &[
    "default",
    "full",
    "aws-lc",
    "rust-crypto",
    "blocking",
    "axum",
    "shangmi",
    SERDE_BOTH_FEATURE,
];

/// Module names a group cannot take: what the `wechatpay-api` crate root re-exports next to the
/// generated modules (an explicit re-export would silently hide a module of the same name), and
/// the crates generated code names. `tests/tests/reserved_names.rs` checks this list against
/// `wechatpay-api/src/lib.rs`.
pub const RESERVED_MODULES: &[&str] = &[
    "generated",
    "axum",
    "blocking",
    "events",
    "crypto",
    "operation",
    "protocol",
    "transport",
    "json_string",
    "time",
    "http",
    "wechatpay_core",
    "std",
    "core",
    "alloc",
    "serde",
    "serde_json",
];

/// Why `name` cannot name a generated type, if it cannot. Types are UpperCamelCase, which
/// keeps them clear of keywords and of the primitive types generated code names bare (`i32`,
/// `str`, …). Names of std items (`Option`, `Result`, …) are allowed: generated code names
/// every std item by its full path, so they shadow nothing there.
fn type_name_problem(name: &str) -> Option<&'static str> {
    if !is_ident(name) {
        Some("it is not a Rust identifier")
    } else if !name.starts_with(|c: char| c.is_ascii_uppercase()) {
        Some("type names start with an uppercase ASCII letter (UpperCamelCase), which keeps them clear of keywords and primitive types")
    } else if name == "Self" {
        Some("it is a Rust keyword")
    } else {
        None
    }
}

/// Why `name` cannot name a field or argument, if it cannot.
fn field_name_problem(name: &str) -> Option<&'static str> {
    if !is_ident(name) {
        Some("it is not a Rust identifier")
    } else if name.starts_with(|c: char| c.is_ascii_digit() || c.is_ascii_uppercase())
        || name.contains(|c: char| c.is_ascii_uppercase())
    {
        Some("field names are snake_case: lowercase ASCII letters, digits and `_`")
    } else if KEYWORDS.contains(&name) {
        Some("it is a Rust keyword")
    } else {
        None
    }
}

/// Whether a property's schema becomes a type of its own (an inline object or enum), which its
/// `x-wechatpay-rust-name` then names; otherwise that extension names the field.
pub(crate) fn names_a_type(prop: &Schema) -> bool {
    match prop.all_of.as_deref() {
        // One member is that schema (a `$ref` names no type of its own).
        Some([member]) if prop.properties.is_empty() => names_a_type(member),
        // Several are one merged struct.
        Some(_) => true,
        None => {
            prop.reference.is_none() && (prop.enumeration.is_some() || !prop.properties.is_empty())
        }
    }
}

/// The names the fields of one object took so far, each looked up in constant time (an object
/// of many properties lowers in linear time): Rust names (with the wire name that took each),
/// wire names (with the field's index) and setters.
#[derive(Debug, Default)]
pub(crate) struct FieldNames {
    rust: HashMap<String, String>,
    wires: HashMap<String, usize>,
    setters: HashSet<String>,
}

impl FieldNames {
    /// Records the names of `field`, the object's field number `index`.
    pub(crate) fn insert(&mut self, field: &Field, index: usize) {
        self.rust
            .insert(field.rust_name.clone(), field.wire_name.clone());
        self.wires.insert(field.wire_name.clone(), index);
        self.setters.insert(field.setter.clone());
    }

    /// The index of the field of this wire name.
    pub(crate) fn wire(&self, wire: &str) -> Option<usize> {
        self.wires.get(wire).copied()
    }

    /// The wire name of the field that took this Rust name.
    pub(crate) fn rust(&self, rust_name: &str) -> Option<&str> {
        self.rust.get(rust_name).map(String::as_str)
    }
}

/// Gives each field of a struct merged from several objects its setter, in order, by the rule
/// of [`Lowerer::property_name`] (a field taken from a component had that component's).
pub(crate) fn reassign_setters(fields: &mut [Field]) {
    let mut taken = BTreeSet::new();
    for f in fields {
        f.setter = unique(
            setter_name(&f.rust_name),
            |s| format!("{s}_"),
            |s| taken.contains(s),
        );
        taken.insert(f.setter.clone());
    }
}

/// The setter of a member: `with_` and its name without the keyword escape (`type_` →
/// `with_type`).
fn setter_name(member: &str) -> String {
    format!("with_{}", member.trim_matches('_'))
}

pub(crate) fn is_ident(s: &str) -> bool {
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

/// The Rust field name for a wire name: snake_case (other ASCII punctuation separates words
/// like `-`, `.` and spaces do), `_` before a leading digit, keywords escaped as `type_`. A
/// name with other characters (`金额`) has none: `x-wechatpay-rust-name` names it.
pub(crate) fn field_name(raw: &str) -> Option<String> {
    if !raw.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        return None;
    }
    let words: String = raw
        .chars()
        .map(|c| match c {
            c if c.is_ascii_alphanumeric() || c == '_' => c,
            _ => ' ',
        })
        .collect();
    let mut name = words.to_snake_case();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    if KEYWORDS.contains(&name.as_str()) {
        name.push('_');
    }
    is_ident(&name).then_some(name)
}

/// The Rust variant name for a string enum value: UpperCamelCase, `V` before a digit; a value
/// with no Latin name (`一级`) spells the characters it cannot keep as `U` and their code point
/// (`U4E00U7EA7`), so the name is deterministic and does not depend on the value's position.
pub(crate) fn variant_name(value: &str) -> String {
    let mut name = value.to_upper_camel_case();
    if !name.chars().all(|c| c.is_ascii_alphanumeric()) {
        name = value
            .chars()
            .filter(|c| !"_-. ".contains(*c))
            .map(|c| match c {
                c if c.is_ascii_alphanumeric() => c.to_string(),
                c => format!("U{:04X}", c as u32),
            })
            .collect::<String>();
        if let Some(first) = name.get(..1) {
            name = first.to_ascii_uppercase() + &name[1..];
        }
    }
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("V{name}");
    }
    if name == "Unknown" || name == "Self" {
        name.push_str("Value");
    }
    name
}

/// The Rust variant name for a number of a number enum: `1` → `V1`, `2.5` → `V2_5`,
/// `-1` → `Minus1`.
pub(crate) fn number_variant_name(text: &str) -> String {
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("Minus", rest),
        None => ("V", text),
    };
    format!("{sign}{}", digits.replace('.', "_"))
}

/// Why `name` cannot name an enum variant, if it cannot.
pub(crate) fn variant_name_problem(name: &str) -> Option<&'static str> {
    match type_name_problem(name) {
        Some(problem) => Some(problem),
        None if name == "Unknown" => Some("`Unknown` holds the values this version does not know"),
        None => None,
    }
}

/// A file's stem: `spec/hk-complaint-notifications.yaml` → `hk-complaint-notifications`.
fn file_stem(file: &str) -> &str {
    let stem = file.rsplit('/').next().unwrap_or(file);
    stem.strip_suffix(".yaml")
        .or_else(|| stem.strip_suffix(".yml"))
        .unwrap_or(stem)
}

/// Whether a file stem can be a cargo feature and, with `_` for `-`, a Rust module:
/// lowercase ASCII words joined by single dashes.
fn is_group_name(stem: &str) -> bool {
    stem.starts_with(|c: char| c.is_ascii_lowercase())
        && stem.split('-').all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// The value of a parameter or body member as a header name: lowercase (what
/// `HeaderName::from_static` demands), `None` if it is not an HTTP token.
pub(crate) fn header_name(wire: &str) -> Option<String> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    (!wire.is_empty() && wire.chars().all(token)).then(|| wire.to_ascii_lowercase())
}

impl Lowerer {
    /// Decides the module and feature of every file: both are the file name (snake_case for
    /// the module), so one name finds the file, the module and the feature.
    pub(crate) fn group_names(&mut self, file: &str, doc: &Document) {
        let info = YamlPath::default().key("info");
        if doc.info.group.is_some() {
            self.error(file, &info.key("x-wechatpay-group"), "`x-wechatpay-group` is no longer supported: the file name is the module and the cargo feature (rename the file instead)");
        }
        let stem = file_stem(file);
        let module = stem.replace('-', "_");
        let twin = self
            .modules
            .iter()
            .find(|(_, m)| **m == module)
            .map(|(f, _)| f.clone());
        if !is_group_name(stem) || KEYWORDS.contains(&module.as_str()) {
            self.error(file, &YamlPath::default(), format!("the file name `{stem}` must be lowercase words joined by `-` (it names the cargo feature, and with `_` the Rust module) and not a Rust keyword"));
        } else if RESERVED_MODULES.contains(&module.as_str()) {
            self.error(file, &YamlPath::default(), format!("the file name `{stem}` gives the module `{module}`, a name the `wechatpay-api` crate root or generated code uses; rename the file"));
        } else if let Some(twin) = twin {
            self.error(file, &YamlPath::default(), format!("the file name `{stem}` gives the module `{module}`, as `{twin}` does; rename one of them"));
        } else if !doc.paths.is_empty() && RESERVED_FEATURES.contains(&stem) {
            self.error(
                file,
                &YamlPath::default(),
                format!(
                    "the file name `{stem}` is a feature `wechatpay-api` reserves; rename the file"
                ),
            );
        }
        self.modules.insert(file.to_owned(), module);
    }

    /// Claims a Rust type name; a second claim is an error naming both places.
    pub(crate) fn register(&mut self, rust: &str, file: &str, path: &YamlPath) -> bool {
        if !is_ident(rust) {
            self.error(
                file,
                path,
                format!("`{rust}` is not a valid Rust type name; set `x-wechatpay-rust-name`"),
            );
            return false;
        }
        if let Some(problem) = type_name_problem(rust) {
            let rename = if path.0.last() == Some(&Seg::Key("operationId".to_owned())) {
                "rename the operation"
            } else {
                "set another with `x-wechatpay-rust-name`"
            };
            self.error(
                file,
                path,
                format!("`{rust}` cannot be a generated type name: {problem}; {rename}"),
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

    /// The Rust field name of a parameter: `field_name`, with the location appended when it
    /// would collide with the operation's `body` field, an upload's `file` field or an earlier
    /// parameter.
    pub(crate) fn param_name(
        &self,
        rust: String,
        location: &str,
        params: &[Param],
        upload: bool,
    ) -> String {
        let mut name = rust;
        while name == "body"
            || (upload && name == "file")
            || params.iter().any(|q| q.rust_name == name)
        {
            name = format!("{name}_{location}");
        }
        name
    }

    /// The Rust field name and setter of property `wire`: its `x-wechatpay-rust-name` (unless
    /// that names the property's own type) or one derived from `wire`, not one an earlier
    /// property of the same object took. The setter takes a `_` when another has its name.
    pub(crate) fn property_name(
        &mut self,
        file: &str,
        ppath: &YamlPath,
        wire: &str,
        prop: &Schema,
        taken: Option<&FieldNames>,
    ) -> Option<(String, String)> {
        let rust_name = match prop.rust_name.as_ref().filter(|_| !names_a_type(prop)) {
            Some(n) => {
                if let Some(problem) = field_name_problem(n) {
                    let message = format!("`{n}` cannot be a Rust field name: {problem}");
                    self.error(file, &ppath.key("x-wechatpay-rust-name"), message);
                    return None;
                }
                n.clone()
            }
            None => match field_name(wire) {
                Some(n) => n,
                None => {
                    self.error(file, ppath, format!("property `{wire}` gives no valid Rust field name; set `x-wechatpay-rust-name`"));
                    return None;
                }
            },
        };
        if let Some(other) = taken.and_then(|t| t.rust.get(&rust_name)) {
            self.error(file, ppath, format!("properties `{other}` and `{wire}` both map to the Rust field `{rust_name}`; set `x-wechatpay-rust-name`"));
            return None;
        }
        let setter = unique(
            setter_name(&rust_name),
            |s| format!("{s}_"),
            |s| taken.is_some_and(|t| t.setters.contains(s)),
        );
        Some((rust_name, setter))
    }

    /// The members of an operation: its parameters, then the fields of its body object (or
    /// the body itself). A body field whose name a parameter already has is prefixed `body_`.
    pub(crate) fn members(
        &self,
        params: &[Param],
        body: Option<&crate::ir::Ty>,
        upload: bool,
    ) -> Vec<Member> {
        let mut names = BTreeSet::new();
        if upload {
            // The upload's own member, pushed last, is always `file`: the generated code
            // names it so.
            names.insert("file".to_owned());
        }
        let mut setters = BTreeSet::new();
        let mut out = Vec::new();
        let mut push = |name: &str, target, ty: &crate::ir::Ty, required| {
            let name = match &target {
                MemberTarget::File => name.to_owned(),
                _ => unique(
                    name.to_owned(),
                    |n| format!("body_{n}"),
                    |n| names.contains(n),
                ),
            };
            let setter = unique(
                setter_name(&name),
                |s| format!("{s}_"),
                |s| setters.contains(s),
            );
            names.insert(name.clone());
            setters.insert(setter.clone());
            out.push(Member {
                name,
                setter,
                target,
                ty: ty.clone(),
                required,
                example: None,
            });
        };
        for p in params {
            let target = MemberTarget::Param(p.rust_name.clone());
            push(&p.rust_name, target, &p.ty, p.required);
        }
        match body.map(|ty| (ty, self.struct_fields(ty))) {
            None => {}
            Some((_, Some(fields))) => {
                for f in fields {
                    let target = MemberTarget::BodyField(f.rust_name.clone());
                    push(&f.rust_name, target, &f.ty, f.required);
                }
            }
            Some((ty, None)) => push("body", MemberTarget::Body, ty, true),
        }
        if upload {
            push("file", MemberTarget::File, &crate::ir::Ty::File, true);
        }
        out
    }

    /// The fields of a named struct type.
    pub(crate) fn struct_fields(&self, ty: &crate::ir::Ty) -> Option<&[crate::ir::Field]> {
        match ty {
            crate::ir::Ty::Named(n) => match self.types.get(n) {
                Some(TypeDef {
                    kind: TypeKind::Struct(fields),
                    ..
                }) => Some(fields),
                _ => None,
            },
            _ => None,
        }
    }
}

/// A path template with its placeholders' names dropped (`/v3/a/{id}` → `/v3/a/{}`): two
/// templates of one shape name one endpoint.
pub(crate) fn template_shape(template: &str) -> String {
    let mut shape = String::with_capacity(template.len());
    let mut in_placeholder = false;
    for c in template.chars() {
        match c {
            '{' => {
                in_placeholder = true;
                shape.push_str("{}");
            }
            '}' => in_placeholder = false,
            c if !in_placeholder => shape.push(c),
            _ => {}
        }
    }
    shape
}

/// `name`, or `next(name)` applied until it is not in `taken`.
fn unique(mut name: String, next: impl Fn(&str) -> String, taken: impl Fn(&str) -> bool) -> String {
    while taken(&name) {
        name = next(&name);
    }
    name
}
