//! `allOf`. One member is that schema: a `$ref` is the referenced type, an inline schema is
//! itself, and the keywords next to `allOf` describe the field (a narrowing `enum` must list
//! values of the member's enum). Several members (and properties next to them) are objects
//! merged into one struct: properties in order of appearance, `required` the union, a property
//! defined twice must have one type. Members nest (an `allOf` inside a member, or in the
//! component a `$ref` names); the nesting limit and the recursion check of `$ref`s bound them.

use std::collections::BTreeMap;

use crate::context::Lowerer;
use crate::ir::{Field, Ty, TypeDef, TypeKind};
use crate::limits::MAX_DEPTH;
use crate::locate::YamlPath;
use crate::names::{reassign_setters, FieldNames};
use crate::spec::{Document, Schema};

/// Where something is defined: file and YAML path.
type Place = (String, YamlPath);

/// The struct being merged from the members of an `allOf`.
#[derive(Default)]
struct Merge {
    fields: Vec<Field>,
    /// The names `fields` took.
    names: FieldNames,
    /// Where each field is defined, in field order.
    places: Vec<Place>,
    /// Every `required` entry of every member, with its place.
    required: Vec<(String, Place)>,
}

impl Lowerer {
    /// A schema with `allOf` (see the module documentation).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn all_of(
        &mut self,
        docs: &BTreeMap<String, Document>,
        file: &str,
        path: &YamlPath,
        schema: &Schema,
        members: &[Schema],
        name: &str,
        registered: bool,
    ) -> Option<Ty> {
        if schema.reference.is_some() {
            let message = "`$ref` next to `allOf`: list the reference as a member of `allOf`";
            self.error(file, &path.key("$ref"), message);
            return None;
        }
        match members {
            [] => {
                self.error(file, &path.key("allOf"), "`allOf` lists no schema");
                None
            }
            [member] if schema.properties.is_empty() => {
                let mpath = path.key("allOf").index(0);
                let ty = self.schema(docs, file, &mpath, member, name, registered)?;
                if let Some(values) = &schema.enumeration {
                    if let Err((at, message)) = narrowing(&self.types, &ty, values) {
                        let epath =
                            at.map_or_else(|| path.key("enum"), |i| path.key("enum").index(i));
                        self.error(file, &epath, message);
                        return None;
                    }
                }
                Some(ty)
            }
            _ => self.merged(docs, file, path, schema, name, registered),
        }
    }

    /// Several object members: one struct named `name`.
    fn merged(
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
        let mut merge = Merge::default();
        if !self.merge_object(docs, file, path, schema, name, &mut merge) {
            return None;
        }
        for (wire, (rfile, rpath)) in std::mem::take(&mut merge.required) {
            match merge.names.wire(&wire).map(|i| &mut merge.fields[i]) {
                Some(f) => f.required = !f.nullable,
                None => self.warn(&rfile, &rpath, format!("required property `{wire}` is not among the properties of any member of the `allOf`; ignored")),
            }
        }
        let Merge {
            mut fields, places, ..
        } = merge;
        reassign_setters(&mut fields);
        self.field_places.insert(name.to_owned(), places);
        let doc = schema.description.clone();
        self.define(file, name, doc, TypeKind::Struct(fields));
        Some(Ty::Named(name.to_owned()))
    }

    /// Adds an object (its own `allOf` members, then its properties and `required` entries) to
    /// the struct `owner`; `false` once a problem is reported.
    fn merge_object(
        &mut self,
        docs: &BTreeMap<String, Document>,
        file: &str,
        path: &YamlPath,
        schema: &Schema,
        owner: &str,
        merge: &mut Merge,
    ) -> bool {
        let kind = match (&schema.ty, &schema.enumeration, &schema.items) {
            (Some(ty), _, _) if ty != "object" => Some(format!("`type: {ty}`")),
            (_, Some(_), _) => Some("an `enum`".to_owned()),
            (_, _, Some(_)) => Some("`items`".to_owned()),
            _ => None,
        };
        if let Some(kind) = kind {
            let message = format!("an `allOf` of several schemas merges objects, and this schema is not one (it has {kind}); use one member, or objects only");
            self.error(file, path, message);
            return false;
        }
        let mut ok = true;
        for (i, member) in schema.all_of.iter().flatten().enumerate() {
            let mpath = path.key("allOf").index(i);
            ok &= self.member(docs, file, &mpath, member, owner, merge);
        }
        for (wire, prop) in &schema.properties {
            let ppath = path.key("properties").key(wire);
            // A second definition is compared with the first, not taken for a name collision.
            let before = match merge.names.wire(wire) {
                Some(_) => None,
                None => Some(&merge.names),
            };
            ok &= match self.property(docs, file, &ppath, owner, wire, prop, false, before) {
                Some(field) => self.add(merge, field, (file.to_owned(), ppath.clone()), &ppath),
                None => false,
            };
        }
        for (i, wire) in schema.required.iter().enumerate() {
            let place = (file.to_owned(), path.key("required").index(i));
            merge.required.push((wire.clone(), place));
        }
        ok
    }

    /// Adds one member of an `allOf`: the object its `$ref` names, or an inline object (one
    /// level of nesting, bounded like any other).
    fn member(
        &mut self,
        docs: &BTreeMap<String, Document>,
        file: &str,
        path: &YamlPath,
        member: &Schema,
        owner: &str,
        merge: &mut Merge,
    ) -> bool {
        if let Some(reference) = &member.reference {
            return self.member_ref(docs, file, path, reference, merge);
        }
        if self.depth >= MAX_DEPTH {
            self.too_deep(file, path);
            return false;
        }
        self.depth += 1;
        let ok = self.merge_object(docs, file, path, member, owner, merge);
        self.depth -= 1;
        ok
    }

    /// Adds the fields of the object a member's `$ref` names.
    fn member_ref(
        &mut self,
        docs: &BTreeMap<String, Document>,
        file: &str,
        path: &YamlPath,
        reference: &str,
        merge: &mut Merge,
    ) -> bool {
        let Some((target, name)) = self.resolve(docs, file, path, reference) else {
            return false;
        };
        let Some(ty) = self.component(docs, &target, &name) else {
            return false;
        };
        let fields = match &ty {
            // An object without properties adds none.
            Ty::Json => return true,
            Ty::Named(n) => match self.types.get(n).map(|t| &t.kind) {
                Some(TypeKind::Struct(fields)) => Some(fields.clone()),
                _ => None,
            },
            _ => None,
        };
        let Some(fields) = fields else {
            let message = format!("`{reference}` is {}, not an object, so it cannot be merged with the other members of the `allOf`; use one member, or objects only", describe(&ty, false));
            self.error(file, &path.key("$ref"), message);
            return false;
        };
        let places = match &ty {
            Ty::Named(n) => self.field_places.get(n).cloned().unwrap_or_default(),
            _ => Vec::new(),
        };
        let mut ok = true;
        for (i, field) in fields.into_iter().enumerate() {
            let place = places
                .get(i)
                .cloned()
                .unwrap_or_else(|| (target.clone(), YamlPath::default()));
            ok &= self.add(merge, field, place, &path.key("$ref"));
        }
        ok
    }

    /// Adds one field; a property defined before must have the same type (then the two are
    /// one field: required, nullable or sensitive if either is). A conflict is reported at `at`.
    fn add(&mut self, merge: &mut Merge, field: Field, place: Place, at: &YamlPath) -> bool {
        let file = place.0.clone();
        let Some(i) = merge.names.wire(&field.wire_name) else {
            if let Some(other) = merge.names.rust(&field.rust_name) {
                let message = format!("properties `{other}` and `{}` both map to the Rust field `{}`; set `x-wechatpay-rust-name`", field.wire_name, field.rust_name);
                self.error(&file, at, message);
                return false;
            }
            merge.names.insert(&field, merge.fields.len());
            merge.fields.push(field);
            merge.places.push(place);
            return true;
        };
        let kept = &merge.fields[i];
        if (&kept.ty, kept.json_string) != (&field.ty, field.json_string) {
            let (first_file, first_path) = &merge.places[i];
            let first = self.where_is(first_file, first_path);
            let second = self.where_is(&place.0, &place.1);
            let message = format!(
                "property `{}` is defined twice with different types: {} at {first}, {} at {second}; give it one type",
                field.wire_name,
                describe(&kept.ty, kept.json_string),
                describe(&field.ty, field.json_string),
            );
            self.error(&file, at, message);
            return false;
        }
        let kept = &mut merge.fields[i];
        kept.nullable |= field.nullable;
        kept.required = (kept.required || field.required) && !kept.nullable;
        kept.encrypted |= field.encrypted;
        if kept.doc.is_none() {
            kept.doc = field.doc;
        }
        true
    }
}

/// The values of a narrowing `enum` next to an `allOf` whose member is the enum type `ty`,
/// each as that type's variant value; or where and why they are not a subset of its values.
pub(crate) fn narrowing(
    types: &BTreeMap<String, TypeDef>,
    ty: &Ty,
    values: &[serde_yaml::Value],
) -> Result<Vec<String>, (Option<usize>, String)> {
    let def = match ty {
        Ty::Named(n) => types.get(n),
        _ => None,
    };
    let (number, variants) = match def.map(|d| &d.kind) {
        Some(TypeKind::Enum(v)) => (false, v),
        Some(TypeKind::NumberEnum(_, v)) => (true, v),
        _ => {
            let message = format!("an `enum` next to `allOf` narrows an enum, and this `allOf` is {}: remove the `enum`, or make the member an enum", describe(ty, false));
            return Err((None, message));
        }
    };
    let known: Vec<&str> = variants.iter().map(|v| v.value.as_str()).collect();
    values
        .iter()
        .enumerate()
        .map(|(i, value)| {
            let text = yaml_text(value);
            let same = |v: &&&str| match number {
                false => text.as_deref() == Some(**v),
                true => text.as_deref().and_then(|t| t.parse::<f64>().ok()) == v.parse().ok(),
            };
            match known.iter().find(same) {
                Some(v) => Ok((*v).to_owned()),
                None => Err((Some(i), format!(
                    "{} is not a value of `{}` ({}): a narrowing `enum` lists some of the values of the enum it narrows",
                    text.unwrap_or_else(|| "this".to_owned()),
                    def.map_or("", |d| d.name.as_str()),
                    known.join(", "),
                ))),
            }
        })
        .collect()
}

/// A scalar YAML value as text.
fn yaml_text(value: &serde_yaml::Value) -> Option<String> {
    match value {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A type in words, for messages.
fn describe(ty: &Ty, json_string: bool) -> String {
    let text = match ty {
        Ty::String => "a string".to_owned(),
        Ty::DateTime => "a date-time".to_owned(),
        Ty::I32 => "a 32-bit integer".to_owned(),
        Ty::I64 => "an integer".to_owned(),
        Ty::F64 => "a number".to_owned(),
        Ty::Bool => "a boolean".to_owned(),
        Ty::Json => "any JSON".to_owned(),
        Ty::File => "a file".to_owned(),
        Ty::Vec(inner) => format!("an array of {}", describe(inner, false)),
        Ty::Map(inner) => format!("a map of {}", describe(inner, false)),
        Ty::Named(name) => format!("`{name}`"),
    };
    match json_string {
        true => format!("a JSON string holding {text}"),
        false => text,
    }
}

/// A single inline `allOf` member with the keywords next to `allOf` over its own: the schema a
/// property's field-level keywords (description, constraints, notes, `nullable`…) come from.
pub(crate) fn lift(outer: &Schema, member: &Schema) -> Schema {
    let mut s = member.clone();
    macro_rules! over {
        ($($f:ident),*) => {$(
            if outer.$f.is_some() {
                s.$f = outer.$f.clone();
            }
        )*};
    }
    over!(
        format,
        title,
        description,
        max_length,
        min_length,
        minimum,
        maximum,
        pattern,
        multiple_of,
        max_items,
        min_items,
        max_properties,
        min_properties,
        default,
        examples,
        external_docs,
        example
    );
    macro_rules! either {
        ($($f:ident),*) => {$( s.$f |= outer.$f; )*};
    }
    either!(
        exclusive_minimum,
        exclusive_maximum,
        unique_items,
        read_only,
        write_only,
        deprecated,
        encrypted,
        nullable
    );
    s
}
