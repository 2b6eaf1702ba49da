//! Lowering: parsed spec files → IR, in stages with one job each: [`crate::names`] decides every
//! name, [`crate::schemas`] turns schemas into type definitions, [`crate::operations`] classifies
//! operations, and [`Lowerer::finish`] marks what is used where. Every problem is reported with
//! file, YAML path and line. Nothing here panics on input.

use std::collections::{BTreeMap, BTreeSet};

use crate::context::Lowerer;
use crate::error::SpecErrors;
use crate::examples::{complete, example};
use crate::ir::{Api, Construction, SuccessKind, Ty, TypeDef, TypeKind};
use crate::load::{parse, Source};
use crate::locate::YamlPath;
use crate::spec::Document;

/// Parses and lowers a set of spec files into the IR. A file that does not parse does not hide
/// the problems of the others: they are lowered all the same and every error comes back at once
/// (a `$ref` into a file that did not parse is not reported again).
pub fn lower(sources: &[Source]) -> Result<Api, SpecErrors> {
    let (docs, errors) = parse(sources);
    let unparsed = sources
        .iter()
        .filter(|s| !docs.contains_key(&s.name))
        .map(|s| s.name.clone())
        .collect();
    let mut cx = Lowerer {
        texts: sources
            .iter()
            .map(|s| (s.name.clone(), s.text.clone()))
            .collect(),
        errors,
        unparsed,
        ..Lowerer::default()
    };
    cx.run(&docs);
    if !cx.errors.is_empty() {
        return Err(SpecErrors(cx.errors));
    }
    cx.finish()
}

impl Lowerer {
    fn run(&mut self, docs: &BTreeMap<String, Document>) {
        for (file, doc) in docs {
            if !doc.openapi.starts_with("3.0.") {
                self.error(
                    file,
                    &YamlPath::default().key("openapi"),
                    format!("unsupported OpenAPI version `{}`: use 3.0.3", doc.openapi),
                );
            }
            self.group_names(file, doc);
        }
        // Register every component name first, so collisions are found whatever the order.
        for (file, doc) in docs {
            for (name, schema) in &doc.components.schemas {
                let path = YamlPath::default()
                    .key("components")
                    .key("schemas")
                    .key(name);
                let rust = schema
                    .rust_name
                    .clone()
                    .unwrap_or_else(|| crate::names::type_name(name));
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
        self.check_event_shapes();
    }

    /// Marks usage, prunes unreachable types, fills examples, encrypted pointers and feature
    /// deps, then decides how each struct and operation is built ([`Lowerer::construction`]).
    fn finish(mut self) -> Result<Api, SpecErrors> {
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
                    let mut pointers = Vec::new();
                    encrypted_pointers(&self.types, ty, "", &mut pointers, &mut BTreeSet::new());
                    op.encrypted_answer_fields = pointers;
                    if op.success.example.is_none() {
                        op.success.example = example(&self.types, ty);
                    }
                }
                for p in &op.params {
                    mark(&mut self.types, &p.ty, &mut used, Direction::Neither);
                }
                member_examples(&self.types, op);
            }
            for event in &mut group.events {
                mark(
                    &mut self.types,
                    &event.resource,
                    &mut used,
                    Direction::Response,
                );
                event.example = example(&self.types, &event.resource);
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
        self.construction(&mut groups);
        let declared = std::mem::take(&mut self.resources);
        let resources = self.check_flows(declared, &groups);
        if !self.errors.is_empty() {
            return Err(SpecErrors(self.errors));
        }
        Ok(Api {
            groups,
            types: self.types,
            warnings: self.warnings,
            resources,
        })
    }

    /// How each struct and operation is built: a struct that is only ever the body of
    /// operations taking its fields has no constructor of its own; `new` takes two or more
    /// required values in a `{Name}Required` struct, by name (the name claimed like any other,
    /// so a collision is a located error); and which operations touch something deprecated.
    fn construction(&mut self, groups: &mut [crate::ir::Group]) {
        // Every place a named type is used, other than as the body an operation spreads.
        let mut used_elsewhere = BTreeSet::new();
        let mut spread = BTreeSet::new();
        for def in self.types.values() {
            if let TypeKind::Struct(fields) = &def.kind {
                for f in fields {
                    named_in(&f.ty, &mut used_elsewhere);
                }
            }
        }
        for group in groups.iter() {
            for op in &group.operations {
                let spreads = (op.members.iter())
                    .any(|m| matches!(m.target, crate::ir::MemberTarget::BodyField(_)));
                match (&op.body, spreads) {
                    (Some(Ty::Named(n)), true) => {
                        spread.insert(n.clone());
                    }
                    (Some(ty), _) => named_in(ty, &mut used_elsewhere),
                    (None, _) => {}
                }
                if let SuccessKind::Json(ty) = &op.success.kind {
                    named_in(ty, &mut used_elsewhere);
                }
                for p in &op.params {
                    named_in(&p.ty, &mut used_elsewhere);
                }
            }
            for event in &group.events {
                named_in(&event.resource, &mut used_elsewhere);
            }
        }
        let mut claims = Vec::new();
        for def in self.types.values_mut() {
            let TypeKind::Struct(fields) = &def.kind else {
                continue;
            };
            if spread.contains(&def.name) && !used_elsewhere.contains(&def.name) {
                def.construction = Construction::ByOperation;
            } else if fields.iter().filter(|f| f.required).count() >= 2 {
                let name = format!("{}Required", def.name);
                def.required_struct = Some(name.clone());
                claims.push((name, def.name.clone()));
            }
        }
        for group in groups.iter_mut() {
            for op in &mut group.operations {
                if op.members.iter().filter(|m| m.required).count() >= 2 {
                    let name = format!("{}Required", op.rust_name);
                    op.required_struct = Some(name.clone());
                    claims.push((name, op.rust_name.clone()));
                }
                op.touches_deprecated = touches_deprecated(&self.types, op);
            }
        }
        for (name, owner) in claims {
            let Some((file, path)) = self.origins.get(&owner).cloned() else {
                continue;
            };
            self.register(&name, &file, &path);
        }
    }
}

/// The named types inside `ty` (itself, or the items of arrays and maps).
fn named_in(ty: &Ty, out: &mut BTreeSet<String>) {
    match ty {
        Ty::Vec(inner) | Ty::Map(inner) => named_in(inner, out),
        Ty::Named(name) => {
            out.insert(name.clone());
        }
        _ => {}
    }
}

/// Whether an operation's generated code names something deprecated: the operation itself, a
/// field of its body, or a required field of a member's type (which its rustdoc example sets).
fn touches_deprecated(types: &BTreeMap<String, TypeDef>, op: &crate::ir::Operation) -> bool {
    let fields = |ty: &Ty| -> &[crate::ir::Field] {
        match ty {
            Ty::Named(n) => match types.get(n).map(|t| &t.kind) {
                Some(TypeKind::Struct(fields)) => fields,
                _ => &[],
            },
            _ => &[],
        }
    };
    op.deprecated
        || op.params.iter().any(|p| p.notes.deprecated)
        || (op.body.as_ref()).is_some_and(|b| fields(b).iter().any(|f| f.notes.deprecated))
        || (op.members.iter())
            .any(|m| (fields(&m.ty).iter()).any(|f| f.required && f.notes.deprecated))
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
        Ty::Vec(inner) | Ty::Map(inner) => mark(types, inner, seen, dir),
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

/// A member name as a token of the core's pointers: RFC 6901's `~0` and `~1`, and `~2` for
/// `*`, which alone is the core's "every array element".
fn pointer_token(name: &str) -> String {
    name.replace('~', "~0")
        .replace('/', "~1")
        .replace('*', "~2")
}

pub(crate) fn encrypted_pointers(
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
                let pointer = format!("{prefix}/{}", pointer_token(&f.wire_name));
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

/// Sets the example of each required member of `op` (see [`crate::ir::Member::example`]): a
/// parameter's own, a body field's from the body's example, completed from the schema.
fn member_examples(types: &BTreeMap<String, TypeDef>, op: &mut crate::ir::Operation) {
    use crate::ir::MemberTarget;
    let body_fields = match &op.body {
        Some(Ty::Named(name)) => match types.get(name).map(|t| &t.kind) {
            Some(TypeKind::Struct(fields)) => fields.as_slice(),
            _ => &[],
        },
        _ => &[],
    };
    for m in op.members.iter_mut().filter(|m| m.required) {
        m.example = match &m.target {
            MemberTarget::Param(name) => op
                .params
                .iter()
                .find(|p| &p.rust_name == name)
                .and_then(|p| complete(types, &p.ty, &p.constraints, p.example.as_ref())),
            MemberTarget::BodyField(name) => body_fields
                .iter()
                .find(|f| &f.rust_name == name)
                .and_then(|f| {
                    let given = op.body_example.as_ref().and_then(|b| b.get(&f.wire_name));
                    crate::examples::complete_field(types, f, given)
                }),
            MemberTarget::Body => {
                complete(types, &m.ty, &Default::default(), op.body_example.as_ref())
            }
            MemberTarget::File => None,
        };
    }
}
