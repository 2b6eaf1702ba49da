//! Schemas: lowering JSON schemas to IR types, resolving `$ref`s across files and defining one
//! named type per object or enum. Names come from [`crate::names`].

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::compose::{lift, narrowing};
use crate::context::{constraints, notes, Lowerer};
use crate::ir::{Construction, EnumNumber, Field, NumberKind, Ty, TypeDef, TypeKind, Variant};
use crate::limits::MAX_DEPTH;
use crate::locate::YamlPath;
use crate::names::{
    names_a_type, number_variant_name, type_name, variant_name, variant_name_problem, FieldNames,
};
use crate::spec::{Document, Schema};

impl Lowerer {
    pub(crate) fn component(
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
        if schema.encrypted && referenced_scalar(docs, file, &ref_to(name)).is_none() {
            let message = "`x-wechatpay-encrypted` on a named schema applies to a plain `type: string` only (the properties that `$ref` it are then sensitive); mark the string properties inside instead";
            self.error(file, &path.key("x-wechatpay-encrypted"), message);
        }
        let rust = schema.rust_name.clone().unwrap_or_else(|| type_name(name));
        let ty = self.schema(docs, file, &path, schema, &rust, true);
        self.in_progress.remove(&key);
        if let Some(ty) = &ty {
            self.components.insert(key, ty.clone());
        }
        ty
    }

    pub(crate) fn resolve(
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
        if self.unparsed.contains(&target) {
            return None;
        }
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
    /// `registered` says whether that name was claimed already. Schemas nested deeper than
    /// [`MAX_DEPTH`] (a `$ref` is not a level of its own; the schema it names is) are an
    /// error here, before the recursion can exhaust the stack.
    pub(crate) fn schema(
        &mut self,
        docs: &BTreeMap<String, Document>,
        file: &str,
        path: &YamlPath,
        schema: &Schema,
        name: &str,
        registered: bool,
    ) -> Option<Ty> {
        let level = usize::from(schema.reference.is_none());
        if self.depth + level > MAX_DEPTH {
            self.too_deep(file, path);
            return None;
        }
        self.depth += level;
        let ty = self.schema_kind(docs, file, path, schema, name, registered);
        self.depth -= level;
        ty
    }

    /// Reports a schema nested too deep: once per file, since every type above it is too.
    pub(crate) fn too_deep(&mut self, file: &str, path: &YamlPath) {
        if !self.too_deep_files.insert(file.to_owned()) {
            return;
        }
        let message = format!("schemas nest more than {MAX_DEPTH} levels deep here (inline objects, array items and `$ref`s followed); flatten them");
        self.error(file, path, message);
    }

    /// The nesting depth of a lowered type: one level per schema on its deepest path.
    fn height(&self, ty: &Ty) -> usize {
        match ty {
            Ty::Named(n) => self.heights.get(n).copied().unwrap_or(1),
            Ty::Vec(inner) | Ty::Map(inner) => 1 + self.height(inner),
            _ => 1,
        }
    }

    fn schema_kind(
        &mut self,
        docs: &BTreeMap<String, Document>,
        file: &str,
        path: &YamlPath,
        schema: &Schema,
        name: &str,
        registered: bool,
    ) -> Option<Ty> {
        self.supported(file, path, schema)?;
        if schema.json_string.is_some() {
            let message = "`x-wechatpay-json-string` goes on a `type: string` property of an object, not here";
            self.error(file, &path.key("x-wechatpay-json-string"), message);
            return None;
        }
        if let Some(members) = &schema.all_of {
            return self.all_of(docs, file, path, schema, members, name, registered);
        }
        if let Some(reference) = &schema.reference {
            let (target, target_name) = self.resolve(docs, file, path, reference)?;
            return self.component(docs, &target, &target_name);
        }
        if let Some(values) = &schema.enumeration {
            return self.enumeration(file, path, schema, values, name, registered);
        }
        match schema.ty.as_deref() {
            Some("array") => self.array(docs, file, path, schema, name),
            Some("object") | None if !schema.properties.is_empty() => {
                self.extra_members_ignored(file, path, schema);
                self.structure(docs, file, path, schema, name, registered)
            }
            Some("object") => self.free_object(docs, file, path, schema, name),
            Some(other) => self.scalar(file, path, schema, other),
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

    /// Rejects the composition keywords the generator does not lower.
    fn supported(&mut self, file: &str, path: &YamlPath, schema: &Schema) -> Option<()> {
        for (key, present) in [
            ("oneOf", schema.one_of.is_some()),
            ("anyOf", schema.any_of.is_some()),
            ("not", schema.not.is_some()),
        ] {
            if present {
                self.error(file, &path.key(key), format!("unsupported construct `{key}`: describe the value as an object with optional fields instead"));
                return None;
            }
        }
        Some(())
    }

    /// A `string`, `integer`, `number` or `boolean` schema.
    fn scalar(&mut self, file: &str, path: &YamlPath, schema: &Schema, ty: &str) -> Option<Ty> {
        let format = schema.format.as_deref();
        match ty {
            "string" if format == Some("date-time") => Some(Ty::DateTime),
            "string" => Some(Ty::String),
            "integer" if format == Some("int32") => Some(Ty::I32),
            "integer" => Some(Ty::I64),
            "number" => Some(Ty::F64),
            "boolean" => Some(Ty::Bool),
            other => {
                self.error(file, &path.key("type"), format!("unknown type `{other}`"));
                None
            }
        }
    }

    /// An `array` schema: a `Vec` of its `items`, named `<name>Item` if they become a type.
    fn array(
        &mut self,
        docs: &BTreeMap<String, Document>,
        file: &str,
        path: &YamlPath,
        schema: &Schema,
        name: &str,
    ) -> Option<Ty> {
        let Some(items) = &schema.items else {
            let message = "an array schema without `items`: its items are any JSON (`serde_json::Value`); give `items` a schema";
            self.warn(file, path, message);
            return Some(Ty::Vec(Box::new(Ty::Json)));
        };
        self.unsupported_mark(docs, file, &path.key("items"), items, "array items");
        let item_name = named_or(items, || format!("{name}Item"));
        let item = self.schema(docs, file, &path.key("items"), items, &item_name, false)?;
        // `time`'s serde helpers take one value: date-times in arrays stay text.
        let item = match item {
            Ty::DateTime => Ty::String,
            item => item,
        };
        Some(Ty::Vec(Box::new(item)))
    }

    /// `additionalProperties` (other than `false`) next to `properties`: the struct keeps the
    /// listed properties only, which is worth a warning.
    fn extra_members_ignored(&mut self, file: &str, path: &YamlPath, schema: &Schema) {
        let ignored = match &schema.additional_properties {
            None | Some(serde_yaml::Value::Bool(false)) => false,
            Some(_) => true,
        };
        if ignored {
            let message = "`additionalProperties` next to `properties` is ignored: the struct has the listed properties only, and other members of an answer are dropped";
            self.warn(file, &path.key("additionalProperties"), message);
        }
    }

    /// An `object` without properties: free-form JSON, unless `additionalProperties` gives its
    /// values a schema: then a map from text to those values (named `<name>Value` if they
    /// become a type).
    fn free_object(
        &mut self,
        docs: &BTreeMap<String, Document>,
        file: &str,
        path: &YamlPath,
        schema: &Schema,
        name: &str,
    ) -> Option<Ty> {
        let apath = path.key("additionalProperties");
        let value = match &schema.additional_properties {
            None | Some(serde_yaml::Value::Bool(_)) => return Some(Ty::Json),
            Some(serde_yaml::Value::Mapping(m)) if m.is_empty() => return Some(Ty::Json),
            Some(value) => value,
        };
        let values = match serde_yaml::from_value::<Schema>(value.clone()) {
            Ok(values) => values,
            Err(e) => {
                self.error(
                    file,
                    &apath,
                    format!("`additionalProperties` is `true`, `false` or a schema: {e}"),
                );
                return None;
            }
        };
        self.unsupported_mark(docs, file, &apath, &values, "the values of a map");
        let item = self.schema(docs, file, &apath, &values, &format!("{name}Value"), false)?;
        // As in arrays, date-times stay text.
        let item = match item {
            Ty::DateTime => Ty::String,
            item => item,
        };
        if self.sensitive_inside(&item) {
            let message = "unsupported construct: sensitive (`x-wechatpay-encrypted`) fields inside the values of a map";
            self.error(file, &apath, message);
            return None;
        }
        Some(Ty::Map(Box::new(item)))
    }

    /// A string enum (no `type`, or `type: string`) or a number enum (`integer`, `number`).
    fn enumeration(
        &mut self,
        file: &str,
        path: &YamlPath,
        schema: &Schema,
        values: &[serde_yaml::Value],
        name: &str,
        registered: bool,
    ) -> Option<Ty> {
        let number = match schema.ty.as_deref() {
            None | Some("string") => None,
            Some("integer") => Some(NumberKind::Integer),
            Some("number") => Some(NumberKind::Number),
            Some(other) => {
                let message = format!("unsupported construct: a `{other}` enum (only string, integer and number enums)");
                self.error(file, &path.key("enum"), message);
                return None;
            }
        };
        if let Some(names) = schema
            .enum_names
            .as_ref()
            .filter(|n| n.len() != values.len())
        {
            let message = format!(
                "`x-wechatpay-enum-names` has {} names for {} values: give one per value, in order",
                names.len(),
                values.len()
            );
            self.error(file, &path.key("x-wechatpay-enum-names"), message);
            return None;
        }
        if !registered && !self.register(name, file, path) {
            return None;
        }
        let mut variants: Vec<Variant> = Vec::new();
        for (i, value) in values.iter().enumerate() {
            let vpath = path.key("enum").index(i);
            let (value, number_value) = self.enum_value(file, &vpath, number, value)?;
            let rust_name = match schema.enum_names.as_ref().map(|n| &n[i]) {
                Some(given) => {
                    if let Some(problem) = variant_name_problem(given) {
                        let message = format!("`{given}` cannot be a variant name: {problem}");
                        self.error(file, &path.key("x-wechatpay-enum-names").index(i), message);
                        return None;
                    }
                    given.clone()
                }
                None if number.is_some() => number_variant_name(&value),
                None => variant_name(&value),
            };
            if let Some(other) = variants.iter().find(|v| v.rust_name == rust_name) {
                self.error(
                    file,
                    &vpath,
                    format!(
                        "enum values `{}` and `{value}` both map to the variant `{rust_name}`; name them with `x-wechatpay-enum-names`",
                        other.value
                    ),
                );
                return None;
            }
            variants.push(Variant {
                rust_name,
                doc: schema.enum_descriptions.get(&value).cloned(),
                value,
                number: number_value,
            });
        }
        let kind = match number {
            None => TypeKind::Enum(variants),
            Some(number) => TypeKind::NumberEnum(number, variants),
        };
        self.define(file, name, schema.description.clone(), kind);
        Some(Ty::Named(name.to_owned()))
    }

    /// One enum value as text: a string of a string enum (a number or boolean there is taken
    /// as its text, with a warning), or a number of a number enum.
    fn enum_value(
        &mut self,
        file: &str,
        vpath: &YamlPath,
        number: Option<NumberKind>,
        value: &serde_yaml::Value,
    ) -> Option<(String, Option<EnumNumber>)> {
        use serde_yaml::Value as Y;
        match (number, value) {
            (None, Y::String(s)) => Some((s.clone(), None)),
            (None, Y::Number(_) | Y::Bool(_)) => {
                let text = match value {
                    Y::Number(n) => n.to_string(),
                    other => other.as_bool().unwrap_or_default().to_string(),
                };
                let message = format!("enum value {text} of a string enum is not a string: taken as the text `{text}`; quote it");
                self.warn(file, vpath, message);
                Some((text, None))
            }
            (Some(NumberKind::Integer), Y::Number(n)) if n.as_i64().is_some() => n
                .as_i64()
                .map(|n| (n.to_string(), Some(EnumNumber::Integer(n)))),
            (Some(NumberKind::Number), Y::Number(n)) if n.as_f64().is_some_and(f64::is_finite) => n
                .as_f64()
                .map(|n| (n.to_string(), Some(EnumNumber::Number(n)))),
            (Some(kind), _) => {
                let kind = match kind {
                    NumberKind::Integer => "a 64-bit integer",
                    NumberKind::Number => "a finite number",
                };
                self.error(
                    file,
                    vpath,
                    format!("the values of this enum must each be {kind}"),
                );
                None
            }
            (None, _) => {
                self.error(file, vpath, "enum values must be strings");
                None
            }
        }
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
        self.required_listed(file, path, schema);
        let mut fields: Vec<Field> = Vec::new();
        let mut taken = FieldNames::default();
        let mut places = Vec::new();
        for (wire, prop) in &schema.properties {
            let ppath = path.key("properties").key(wire);
            let listed = schema.required.contains(wire);
            if let Some(field) =
                self.property(docs, file, &ppath, name, wire, prop, listed, Some(&taken))
            {
                taken.insert(&field, fields.len());
                fields.push(field);
                places.push((file.to_owned(), ppath));
            }
        }
        self.field_places.insert(name.to_owned(), places);
        self.define(
            file,
            name,
            schema.description.clone(),
            TypeKind::Struct(fields),
        );
        Some(Ty::Named(name.to_owned()))
    }

    /// Property `wire` of the object `owner` as a field, or `None` (reported). `listed`: the
    /// object lists it as `required`; `taken`: the names of the fields before it, which it must
    /// not take (`None`: a second definition of a field, compared with the first later).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn property(
        &mut self,
        docs: &BTreeMap<String, Document>,
        file: &str,
        ppath: &YamlPath,
        owner: &str,
        wire: &str,
        prop: &Schema,
        listed: bool,
        taken: Option<&FieldNames>,
    ) -> Option<Field> {
        let (rust_name, setter) = self.property_name(file, ppath, wire, prop, taken)?;
        let view = match referenced_scalar(docs, file, prop) {
            // A `$ref` to a named string or number: its description, constraints and example
            // describe this field (the property's own keywords win).
            Some(target) => Cow::Owned(lift(prop, target)),
            None => field_view(prop),
        };
        let ty = match &prop.json_string {
            Some(inner) => self.json_string(docs, file, ppath, owner, wire, &view, inner)?,
            None => {
                let inline = inline_type_name(owner, wire, prop);
                self.schema(docs, file, ppath, prop, &inline, false)?
            }
        };
        if view.encrypted && ty != Ty::String {
            let message = "`x-wechatpay-encrypted` applies to `type: string` properties only (the ciphertext is base64 text)";
            self.error(file, &ppath.key("x-wechatpay-encrypted"), message);
            return None;
        }
        let mut constraints = constraints(&view);
        constraints.enum_subset = (prop.all_of.as_ref().zip(prop.enumeration.as_ref()))
            .and_then(|(_, values)| narrowing(&self.types, &ty, values).ok());
        Some(Field {
            rust_name,
            setter,
            wire_name: wire.to_owned(),
            ty,
            // A required field that may be `null` is an `Option` all the same.
            required: listed && !view.nullable,
            nullable: view.nullable,
            doc: view.description.clone(),
            encrypted: view.encrypted,
            json_string: prop.json_string.is_some(),
            constraints,
            notes: notes(&view),
            example: view.example.clone(),
        })
    }

    /// The type of a `type: string` property carrying `x-wechatpay-json-string`: the type of the
    /// document the string holds (named `<owner><Wire>` if inline).
    #[allow(clippy::too_many_arguments)]
    fn json_string(
        &mut self,
        docs: &BTreeMap<String, Document>,
        file: &str,
        ppath: &YamlPath,
        owner: &str,
        wire: &str,
        view: &Schema,
        inner: &Schema,
    ) -> Option<Ty> {
        if view.ty.as_deref() != Some("string") || view.enumeration.is_some() {
            let message = "`x-wechatpay-json-string` goes on a `type: string` property (without `enum`): the string holds the JSON document it describes";
            self.error(file, ppath, message);
            return None;
        }
        if view.encrypted {
            let message = "unsupported construct: an encrypted (`x-wechatpay-encrypted`) JSON string; mark the fields inside instead, if the platform encrypts them (also unsupported)";
            self.error(file, &ppath.key("x-wechatpay-encrypted"), message);
            return None;
        }
        let ipath = ppath.key("x-wechatpay-json-string");
        let ty = self.schema(
            docs,
            file,
            &ipath,
            inner,
            &inline_type_name(owner, wire, inner),
            false,
        )?;
        if ty == Ty::DateTime {
            let message = "a JSON string holding a date-time: describe the string itself (`format: date-time`) instead";
            self.error(file, &ipath, message);
            return None;
        }
        if self.sensitive_inside(&ty) {
            let message = "unsupported construct: sensitive (`x-wechatpay-encrypted`) fields inside a JSON string";
            self.error(file, &ipath, message);
            return None;
        }
        Some(ty)
    }

    /// Reports `x-wechatpay-encrypted` on `schema` (its own, through an `allOf` of one inline
    /// schema, or through a `$ref` to a marked string) where nothing would encrypt it: the
    /// mark would be dropped and the value sent in plaintext.
    pub(crate) fn unsupported_mark(
        &mut self,
        docs: &BTreeMap<String, Document>,
        file: &str,
        path: &YamlPath,
        schema: &Schema,
        place: &str,
    ) {
        if marked(docs, file, schema) {
            let message = format!("unsupported construct: sensitive (`x-wechatpay-encrypted`) strings as {place}; only string properties of objects and string query or header parameters are encrypted");
            let path = match schema.encrypted {
                true => path.key("x-wechatpay-encrypted"),
                false => path.clone(),
            };
            self.error(file, &path, message);
        }
    }

    /// Whether a lowered type has sensitive fields anywhere inside.
    fn sensitive_inside(&self, ty: &Ty) -> bool {
        let mut sensitive = Vec::new();
        crate::lower::encrypted_pointers(
            &self.types,
            ty,
            "",
            &mut sensitive,
            &mut Default::default(),
        );
        !sensitive.is_empty()
    }

    /// Warns about each `required` entry that names no property (it is ignored).
    fn required_listed(&mut self, file: &str, path: &YamlPath, schema: &Schema) {
        for (i, required) in schema.required.iter().enumerate() {
            if !schema.properties.contains_key(required) {
                self.warn(
                    file,
                    &path.key("required").index(i),
                    format!("required property `{required}` is not among the properties; ignored"),
                );
            }
        }
    }

    pub(crate) fn define(&mut self, file: &str, name: &str, doc: Option<String>, kind: TypeKind) {
        let fields: &[Field] = match &kind {
            TypeKind::Struct(fields) => fields,
            TypeKind::Enum(_) | TypeKind::NumberEnum(..) => &[],
        };
        let height = 1 + fields.iter().map(|f| self.height(&f.ty)).max().unwrap_or(0);
        // Reported where the limit is crossed, not again at every type above.
        let crossed = fields
            .iter()
            .all(|f| self.height(&named(&f.ty)) <= MAX_DEPTH);
        if height > MAX_DEPTH && crossed {
            let (origin_file, origin) = self
                .origins
                .get(name)
                .cloned()
                .unwrap_or_else(|| (file.to_owned(), YamlPath::default()));
            self.too_deep(&origin_file, &origin);
        }
        self.heights.insert(name.to_owned(), height);
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
                construction: Construction::New,
                required_struct: None,
            },
        );
    }
}

/// The named type inside any arrays, or the scalar.
fn named(ty: &Ty) -> Ty {
    match ty {
        Ty::Vec(inner) | Ty::Map(inner) => named(inner),
        other => other.clone(),
    }
}

/// The type name of property `wire` of the object `owner` if it is an inline object or enum:
/// its own `x-wechatpay-rust-name` when it gives one, else `<owner><Wire>`.
fn inline_type_name(owner: &str, wire: &str, prop: &Schema) -> String {
    named_or(prop, || format!("{owner}{}", type_name(wire)))
}

/// The name of the type an inline schema defines: its `x-wechatpay-rust-name` if it names one
/// (an object or enum), else the generated name.
pub(crate) fn named_or(schema: &Schema, generated: impl FnOnce() -> String) -> String {
    schema
        .rust_name
        .as_ref()
        .filter(|_| names_a_type(schema))
        .cloned()
        .unwrap_or_else(generated)
}

/// The schema a `$ref` property points to, if it is a plain scalar (no enum, object, array or
/// further `$ref`), found without reporting anything (lowering the type reports a bad `$ref`).
pub(crate) fn referenced_scalar<'d>(
    docs: &'d BTreeMap<String, Document>,
    file: &str,
    prop: &Schema,
) -> Option<&'d Schema> {
    let (target, pointer) = prop.reference.as_deref()?.split_once('#')?;
    let target = match target.trim_start_matches("./") {
        "" => file,
        other => other,
    };
    let name = pointer.strip_prefix("/components/schemas/")?;
    let schema = docs.get(target)?.components.schemas.get(name)?;
    let scalar = matches!(
        schema.ty.as_deref(),
        Some("string" | "integer" | "number" | "boolean")
    );
    (scalar
        && schema.reference.is_none()
        && schema.enumeration.is_none()
        && schema.all_of.is_none()
        && schema.json_string.is_none())
    .then_some(schema)
}

/// Whether a schema is marked `x-wechatpay-encrypted`: itself, through an `allOf` of one
/// inline schema, or through a `$ref` to a marked named string.
pub(crate) fn marked(docs: &BTreeMap<String, Document>, file: &str, schema: &Schema) -> bool {
    field_view(schema).encrypted
        || referenced_scalar(docs, file, schema).is_some_and(|t| t.encrypted)
}

/// A schema that is only a `$ref` to the component `name` of the same file.
fn ref_to(name: &str) -> Schema {
    Schema {
        reference: Some(format!("#/components/schemas/{name}")),
        ..Schema::default()
    }
}

/// The schema whose keywords describe a property: the property itself, or for an `allOf` of
/// one inline schema, that schema with the keywords next to `allOf` over its own.
fn field_view(prop: &Schema) -> Cow<'_, Schema> {
    match prop.all_of.as_deref() {
        Some([member])
            if prop.properties.is_empty()
                && member.reference.is_none()
                && member.all_of.is_none() =>
        {
            Cow::Owned(lift(prop, member))
        }
        _ => Cow::Borrowed(prop),
    }
}
