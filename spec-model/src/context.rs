//! The state every lowering stage shares, and how a stage reports a located problem.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::SpecError;
use crate::ir::{Constraints, Group, Notes, Ty, TypeDef};
use crate::locate::{line_of, YamlPath};
use crate::spec::Schema;

/// The state shared by the lowering stages.
#[derive(Default)]
pub(crate) struct Lowerer {
    pub(crate) texts: BTreeMap<String, String>,
    pub(crate) errors: Vec<SpecError>,
    /// What was generated anyway, in a sensible form (see `spec/README.md`).
    pub(crate) warnings: Vec<SpecError>,
    pub(crate) types: BTreeMap<String, TypeDef>,
    /// Rust name → where it came from, for collision messages (the line is looked up only
    /// when a message is printed: looking it up for every name made lowering quadratic).
    pub(crate) origins: BTreeMap<String, (String, YamlPath)>,
    /// Rust struct name → where each of its fields is defined, in field order (to name both
    /// places when an `allOf` defines a property twice).
    pub(crate) field_places: BTreeMap<String, Vec<(String, YamlPath)>>,
    /// (file, schema) → lowered type.
    pub(crate) components: BTreeMap<(String, String), Ty>,
    pub(crate) in_progress: BTreeSet<(String, String)>,
    /// File → Rust module.
    pub(crate) modules: BTreeMap<String, String>,
    pub(crate) groups: Vec<Group>,
    pub(crate) operation_ids: BTreeMap<String, (String, YamlPath)>,
    /// How deep the schema being lowered is nested (see [`crate::limits::MAX_DEPTH`]).
    pub(crate) depth: usize,
    /// Rust type name → nesting depth of the type (one level per schema on its deepest path).
    pub(crate) heights: BTreeMap<String, usize>,
    /// Files that did not parse (their errors are reported; `$ref`s into them are not).
    pub(crate) unparsed: BTreeSet<String>,
    /// Files with a schema nested too deep (reported once each).
    pub(crate) too_deep_files: BTreeSet<String>,
    /// Event types and event variant names → where they were declared (unique across the API).
    pub(crate) events: BTreeMap<String, (String, YamlPath)>,
    /// `host method path-shape` → where the endpoint is declared: each endpoint once.
    pub(crate) endpoints: BTreeMap<String, (String, YamlPath)>,
    /// Event type → every declaration of it (file, YAML path, resource), in file order: one
    /// event type may carry several resource shapes (a direct merchant's, a service
    /// provider's…), checked to be told apart in [`Lowerer::finish`].
    pub(crate) event_shapes: BTreeMap<String, Vec<(String, YamlPath, crate::ir::Ty)>>,
    /// Every file's `x-wechatpay-resources`, with its file, checked against the flows in
    /// [`Lowerer::check_flows`].
    pub(crate) resources: Vec<(String, crate::ir::Resource)>,
}

impl Lowerer {
    pub(crate) fn error(&mut self, file: &str, path: &YamlPath, message: impl Into<String>) {
        let line = self.texts.get(file).and_then(|t| line_of(t, path));
        self.errors.push(SpecError {
            file: file.to_owned(),
            path: path.to_string(),
            line,
            message: message.into(),
        });
    }

    /// Reports something the generator degrades rather than refuses: located like an error,
    /// but the output is still generated (`cargo xtask codegen --deny-warnings` refuses it).
    pub(crate) fn warn(&mut self, file: &str, path: &YamlPath, message: impl Into<String>) {
        let line = self.texts.get(file).and_then(|t| line_of(t, path));
        self.warnings.push(SpecError {
            file: file.to_owned(),
            path: path.to_string(),
            line,
            message: message.into(),
        });
    }

    pub(crate) fn where_is(&self, file: &str, path: &YamlPath) -> String {
        match self.texts.get(file).and_then(|t| line_of(t, path)) {
            Some(line) => format!("{file}:{line} (`{path}`)"),
            None => format!("{file} (`{path}`)"),
        }
    }
}

pub(crate) fn constraints(schema: &Schema) -> Constraints {
    let items = schema
        .items
        .as_deref()
        .filter(|items| items.reference.is_none())
        .map(constraints)
        .filter(|c| *c != Constraints::default())
        .map(Box::new);
    Constraints {
        items,
        max_length: schema.max_length,
        min_length: schema.min_length,
        minimum: schema.minimum,
        maximum: schema.maximum,
        format: schema.format.clone(),
        exclusive_minimum: schema.exclusive_minimum,
        exclusive_maximum: schema.exclusive_maximum,
        multiple_of: schema.multiple_of,
        pattern: schema.pattern.clone(),
        max_items: schema.max_items,
        min_items: schema.min_items,
        unique_items: schema.unique_items,
        max_properties: schema.max_properties,
        min_properties: schema.min_properties,
        enum_subset: None,
    }
}

pub(crate) fn notes(schema: &Schema) -> Notes {
    Notes {
        title: schema.title.clone(),
        default: schema.default.clone(),
        read_only: schema.read_only,
        write_only: schema.write_only,
        deprecated: schema.deprecated,
        examples: schema.examples.clone(),
        external_docs: (schema.external_docs.as_ref())
            .map(|d| (d.url.clone(), d.description.clone())),
    }
}
