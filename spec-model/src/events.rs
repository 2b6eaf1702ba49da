//! Notification events (`x-wechatpay-events`): each event type a group's notifications carry,
//! and the model its decrypted `resource` decodes into. The generator prints one `Event` enum
//! over every group's events.

use std::collections::BTreeMap;

use crate::context::Lowerer;
use crate::ir::Event;
use crate::locate::YamlPath;
use crate::names::{is_ident, type_name};
use crate::spec::Document;

impl Lowerer {
    /// The events a file declares: event types and variant names unique across the API, each
    /// resource an object.
    pub(crate) fn events(
        &mut self,
        docs: &BTreeMap<String, Document>,
        file: &str,
        doc: &Document,
    ) -> Vec<Event> {
        let mut events = Vec::new();
        for (event_type, spec) in &doc.events {
            let path = YamlPath::default()
                .key("x-wechatpay-events")
                .key(event_type);
            if !valid_event_type(event_type) {
                let message = format!("`{event_type}` is not an event type: uppercase ASCII words joined by `.` or `_`, e.g. `TRANSACTION.SUCCESS`");
                self.error(file, &path, message);
                continue;
            }
            let rust_name = spec
                .rust_name
                .clone()
                .unwrap_or_else(|| type_name(&event_type.to_ascii_lowercase().replace('.', "_")));
            if !is_ident(&rust_name) || !rust_name.starts_with(|c: char| c.is_ascii_uppercase()) {
                let message = format!("`{rust_name}` is not a valid variant name (UpperCamelCase)");
                self.error(file, &path.key("x-wechatpay-rust-name"), message);
                continue;
            }
            if rust_name == "Unknown" {
                let message = "`Unknown` is the variant of event types this build does not know: set another `x-wechatpay-rust-name`";
                self.error(file, &path, message);
                continue;
            }
            if !self.claim_event(file, &path, &rust_name) {
                continue;
            }
            let name = format!("{rust_name}Resource");
            let rpath = path.key("resource");
            let Some(resource) = self.schema(docs, file, &rpath, &spec.resource, &name, false)
            else {
                continue;
            };
            if self.struct_fields(&resource).is_none() {
                self.error(
                    file,
                    &rpath,
                    "an event's resource is an object schema (inline or `$ref`)",
                );
                continue;
            }
            let original_type = spec.original_type.clone().unwrap_or_else(|| {
                let first = event_type.split(['.', '_']).next().unwrap_or_default();
                first.to_ascii_lowercase()
            });
            let shapes = self.event_shapes.entry(event_type.clone()).or_default();
            shapes.push((file.to_owned(), path.clone(), resource.clone()));
            events.push(Event {
                event_type: event_type.clone(),
                rust_name,
                summary: spec.summary.clone(),
                description: spec.description.clone(),
                original_type,
                resource,
                example: None,
            });
        }
        events
    }

    /// Claims the variant name `key` for this place; a second claim is an error naming the first.
    fn claim_event(&mut self, file: &str, path: &YamlPath, key: &str) -> bool {
        if let Some((first_file, first_path)) = self.events.get(key).cloned() {
            let message = format!(
                "the event variant `{key}` is declared twice: first at {first_file} `{first_path}`; an event type that several files declare (one resource shape each) needs `x-wechatpay-rust-name` on each to name its variant"
            );
            self.error(file, path, message);
            return false;
        }
        self.events
            .insert(key.to_owned(), (file.to_owned(), path.clone()));
        true
    }

    /// An event type with several resource shapes is decoded by trying each: every shape
    /// must have a required property that no other shape of the type defines, so that a
    /// notification decodes as exactly one of them.
    pub(crate) fn check_event_shapes(&mut self) {
        let shapes = std::mem::take(&mut self.event_shapes);
        for (event_type, declared) in &shapes {
            // Each shape: its required wire names, and every wire name it defines.
            let names: Vec<(Vec<String>, Vec<String>)> = (declared.iter())
                .map(|(_, _, ty)| {
                    let fields = self.struct_fields(ty).unwrap_or_default();
                    let wire = |f: &crate::ir::Field| f.wire_name.clone();
                    let required = fields.iter().filter(|f| f.required).map(wire).collect();
                    (required, fields.iter().map(wire).collect())
                })
                .collect();
            for (i, (file, path, _)) in declared.iter().enumerate() {
                for (j, (other_file, other_path, _)) in declared.iter().enumerate() {
                    if i == j {
                        continue;
                    }
                    let tells_apart = (names[i].0.iter()).any(|name| !names[j].1.contains(name));
                    if !tells_apart {
                        let other = self.where_is(other_file, other_path);
                        let message = format!("`{event_type}` has several resource shapes, and a notification of the shape at {other} would also decode as this one: give this shape a required property that the other does not define (e.g. `sp_mchid`, `combine_mchid`)");
                        self.error(file, path, message);
                    }
                }
            }
        }
        self.event_shapes = shapes;
    }
}

/// `TRANSACTION.SUCCESS`, `MCHTRANSFER.BILL.FINISHED`, `REFUND_SUCCESS`: uppercase ASCII
/// letters and digits in words joined by `.` or `_`.
fn valid_event_type(text: &str) -> bool {
    !text.is_empty()
        && text.split(['.', '_']).all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::valid_event_type;

    #[test]
    fn event_types() {
        for ok in [
            "TRANSACTION.SUCCESS",
            "MCHTRANSFER.BILL.FINISHED",
            "REFUND_SUCCESS",
            "A1",
        ] {
            assert!(valid_event_type(ok), "{ok}");
        }
        for bad in [
            "",
            "transaction.success",
            "A..B",
            ".A",
            "A.",
            "A B",
            "交易.成功",
        ] {
            assert!(!valid_event_type(bad), "{bad}");
        }
    }
}
