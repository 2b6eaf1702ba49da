//! Resources the platform keeps (`x-wechatpay-resources`) and the operations' steps in their
//! lives (`x-wechatpay-flow`): checked here, read by the mock's engine. Every name a flow uses
//! (a resource, a key, a parent, an event) must exist, or it is a located error.

use std::collections::BTreeMap;

use crate::context::Lowerer;
use crate::ir::{
    Derived, DerivedFrom, Expiry, Flow, FlowAction, Group, IdPart, ParamLocation, Parent, Refusal,
    Resource, Scenario, TypeKind,
};
use crate::locate::YamlPath;
use crate::spec::{Document, FlowSpec, RefusalSpec, ResourceSpec};

fn refusal(r: &RefusalSpec) -> Refusal {
    Refusal {
        status: r.status,
        code: r.code.clone(),
        message: r.message.clone(),
    }
}

/// An id template read: `{n:K}`, `{hex:K}`, `{alnum:K}`, `{b64:K}` (K from 1 to 64), `{date}`,
/// `{time}`, and literal text without braces; or what is wrong with it.
pub(crate) fn id_template(template: &str) -> Result<Vec<IdPart>, String> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err("a `}` without its `{`".into());
        }
        let Some(close) = rest[open..].find('}') else {
            return Err("a `{` without its `}`".into());
        };
        if open > 0 {
            parts.push(IdPart::Text(rest[..open].to_owned()));
        }
        let inner = &rest[open + 1..open + close];
        let count = |n: &str| n.parse::<usize>().ok().filter(|n| (1..=64).contains(n));
        let part = match inner.split_once(':') {
            None if inner == "date" => Some(IdPart::Date),
            None if inner == "time" => Some(IdPart::Time),
            None => None,
            Some(("n", n)) => count(n).map(IdPart::Digits),
            Some(("hex", n)) => count(n).map(IdPart::Hex),
            Some(("alnum", n)) => count(n).map(IdPart::Alnum),
            Some(("b64", n)) => count(n).map(IdPart::Base64),
            Some(_) => None,
        };
        let Some(part) = part else {
            return Err(format!("`{{{inner}}}` is not `{{n:K}}`, `{{hex:K}}`, `{{alnum:K}}`, `{{b64:K}}` (K from 1 to 64), `{{date}}` or `{{time}}`"));
        };
        parts.push(part);
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        parts.push(IdPart::Text(rest.to_owned()));
    }
    Ok(parts)
}

impl Lowerer {
    /// The resources a file declares.
    pub(crate) fn resources(&mut self, file: &str, doc: &Document) -> Vec<Resource> {
        let mut out = Vec::new();
        for (name, spec) in &doc.resources {
            let path = YamlPath::default().key("x-wechatpay-resources").key(name);
            if let Some(resource) = self.resource(file, &path, name, spec) {
                out.push(resource);
            }
        }
        out
    }

    fn resource(
        &mut self,
        file: &str,
        path: &YamlPath,
        name: &str,
        spec: &ResourceSpec,
    ) -> Option<Resource> {
        let before = self.errors.len();
        if spec.keys.is_empty() {
            self.error(
                file,
                &path.key("keys"),
                "a resource needs at least one key: the merchant's own number first",
            );
        }
        let mut templates = |at: YamlPath, issues: &indexmap::IndexMap<String, String>| {
            let mut out = Vec::new();
            for (member, template) in issues {
                match id_template(template) {
                    Ok(parts) => out.push((member.clone(), parts)),
                    Err(problem) => {
                        let message = format!("the id template `{template}`: {problem}");
                        self.error(file, &at.key(member), message);
                    }
                }
            }
            out
        };
        let issues = templates(path.key("issues"), &spec.issues);
        let scenarios: Vec<Scenario> = (spec.scenarios.iter())
            .map(|(name, s)| Scenario {
                name: name.clone(),
                from: s.from.clone(),
                to: s.to.clone(),
                event: s.event.clone(),
                issues: templates(path.key("scenarios").key(name).key("issues"), &s.issues),
            })
            .collect();
        let pointers = (spec.copies.iter().enumerate())
            .flat_map(|(i, c)| {
                let p = path.key("copies").index(i);
                [
                    Some((p.key("to"), &c.to)),
                    c.from.as_ref().map(|f| (p.key("from"), f)),
                ]
            })
            .flatten()
            .chain(spec.budget.as_ref().map(|b| (path.key("budget"), b)))
            .chain((spec.parent.as_ref()).and_then(|p| {
                p.draws
                    .as_ref()
                    .map(|d| (path.key("parent").key("draws"), d))
            }));
        let bad: Vec<_> = pointers
            .filter(|(_, p)| !p.starts_with('/'))
            .map(|(at, p)| {
                (
                    at,
                    format!("`{p}` is not a JSON pointer (it starts with `/`)"),
                )
            })
            .collect();
        for (at, message) in bad {
            self.error(file, &at, message);
        }
        let mut derived = Vec::new();
        for (i, c) in spec.copies.iter().enumerate() {
            let source = match (&c.from, &c.value) {
                (Some(from), None) => DerivedFrom::Member(from.clone()),
                (None, Some(value)) => DerivedFrom::Value(value.clone()),
                _ => {
                    let message = "a copy takes its value from `from` or `value`, one of them";
                    self.error(file, &path.key("copies").index(i), message);
                    continue;
                }
            };
            derived.push(Derived {
                to: c.to.clone(),
                source,
                states: c.states.clone(),
            });
        }
        let in_state: Vec<(String, serde_json::Value)> = (spec.in_state.iter())
            .map(|(state, members)| (state.clone(), members.clone()))
            .collect();
        for (state, members) in &in_state {
            if !members.is_object() {
                let message = "the members a resource shows in a state are a JSON object";
                self.error(file, &path.key("in_state").key(state), message);
            }
        }
        if self.errors.len() > before {
            return None;
        }
        Some(Resource {
            name: name.to_owned(),
            keys: spec.keys.clone(),
            issues,
            state: spec.state.clone(),
            initial: spec.initial.clone(),
            in_state,
            stamps: pairs(&spec.stamps),
            derived,
            expiry: spec.expiry.as_ref().map(|e| Expiry {
                field: e.field.clone(),
                after_secs: e.after,
                from: e.from.clone(),
                to: e.to.clone(),
            }),
            budget: spec.budget.clone(),
            parent: spec.parent.as_ref().map(|p| Parent {
                resource: p.resource.clone(),
                states: p.states.clone(),
                becomes: p.becomes.clone(),
                draws: p.draws.clone(),
                not_found: refusal(&p.not_found),
                over_budget: p.over_budget.as_ref().map(refusal),
                releases: p.releases.clone(),
                same: p.same.clone(),
            }),
            scenarios,
            not_found: refusal(&spec.not_found),
            conflict: refusal(&spec.conflict),
            repeat: (spec.repeat.iter())
                .map(|(state, r)| (state.clone(), refusal(r)))
                .collect(),
        })
    }

    /// An operation's `x-wechatpay-flow`, as written (names are checked once every file is
    /// read, in [`Lowerer::check_flows`]).
    pub(crate) fn flow(&mut self, file: &str, path: &YamlPath, spec: &FlowSpec) -> Option<Flow> {
        let path = path.key("x-wechatpay-flow");
        let action = match (spec.action.as_str(), &spec.to, &spec.refused) {
            ("create", None, None) if spec.from.is_empty() => FlowAction::Create,
            ("query", None, None) if spec.from.is_empty() => FlowAction::Query,
            ("transition", Some(to), Some(refused)) if !spec.from.is_empty() => {
                FlowAction::Transition {
                    from: spec.from.clone(),
                    to: to.clone(),
                    refused: refusal(refused),
                }
            }
            ("transition", ..) => {
                let message = "a `transition` needs `from` (states), `to` and `refused`";
                self.error(file, &path, message);
                return None;
            }
            ("create" | "query", ..) => {
                let message = format!("`{}` takes no `from`, `to` or `refused`", spec.action);
                self.error(file, &path, message);
                return None;
            }
            (other, ..) => {
                let message =
                    format!("`{other}` is not an action: `create`, `query` or `transition`");
                self.error(file, &path.key("action"), message);
                return None;
            }
        };
        let sets = match (&spec.sets, &action) {
            (None, _) => None,
            (Some(sets @ serde_json::Value::Object(_)), FlowAction::Create) => Some(sets.clone()),
            (Some(_), FlowAction::Create) => {
                self.error(
                    file,
                    &path.key("sets"),
                    "`sets` is a JSON object of members",
                );
                return None;
            }
            (Some(_), _) => {
                self.error(file, &path.key("sets"), "only a `create` sets members");
                return None;
            }
        };
        Some(Flow {
            resource: spec.resource.clone(),
            action,
            sets,
        })
    }

    /// Checks what the flows name, once every file is read: resources unique and existing, a
    /// parent that exists, events that are declared, and for each operation a key it can
    /// carry (a body member for `create`, a parameter for the others).
    pub(crate) fn check_flows(
        &mut self,
        declared: Vec<(String, Resource)>,
        groups: &[Group],
    ) -> BTreeMap<String, Resource> {
        let mut resources: BTreeMap<String, Resource> = BTreeMap::new();
        let mut files: BTreeMap<String, String> = BTreeMap::new();
        for (file, resource) in declared {
            let path = YamlPath::default()
                .key("x-wechatpay-resources")
                .key(&resource.name);
            if let Some(first) = files.get(&resource.name) {
                let message = format!(
                    "the resource `{}` is declared in {first} already: one name, one resource",
                    resource.name
                );
                self.error(&file, &path, message);
                continue;
            }
            files.insert(resource.name.clone(), file);
            resources.insert(resource.name.clone(), resource);
        }
        let events: Vec<&str> = (groups.iter())
            .flat_map(|g| g.events.iter().map(|e| e.event_type.as_str()))
            .collect();
        for resource in resources.values() {
            let file = &files[&resource.name];
            let path = YamlPath::default()
                .key("x-wechatpay-resources")
                .key(&resource.name);
            if let Some(parent) = &resource.parent {
                if !resources.contains_key(&parent.resource) {
                    let message = format!("no resource is named `{}`", parent.resource);
                    self.error(file, &path.key("parent").key("resource"), message);
                }
            }
            for scenario in &resource.scenarios {
                if let Some(event) = scenario.event.as_deref().filter(|e| !events.contains(e)) {
                    let message =
                        format!("no file declares the event `{event}` (`x-wechatpay-events`)");
                    let at = path.key("scenarios").key(&scenario.name).key("event");
                    self.error(file, &at, message);
                }
            }
        }
        for group in groups {
            for op in &group.operations {
                let Some(flow) = &op.flow else { continue };
                let path = YamlPath::default()
                    .key("paths")
                    .key(&op.path)
                    .key(&op.method.as_str().to_ascii_lowercase())
                    .key("x-wechatpay-flow");
                let Some(resource) = resources.get(&flow.resource) else {
                    let message = format!(
                        "no resource is named `{}` (`x-wechatpay-resources`)",
                        flow.resource
                    );
                    self.error(&group.file, &path.key("resource"), message);
                    continue;
                };
                let keyed = match &flow.action {
                    FlowAction::Create => {
                        let fields = op.body.as_ref().and_then(|b| match b {
                            crate::ir::Ty::Named(n) => match self.types.get(n).map(|t| &t.kind) {
                                Some(TypeKind::Struct(fields)) => Some(fields.clone()),
                                _ => None,
                            },
                            _ => None,
                        });
                        fields.is_some_and(|f| f.iter().any(|f| f.wire_name == resource.keys[0]))
                    }
                    FlowAction::Query => (op.params.iter()).any(|p| {
                        matches!(p.location, ParamLocation::Path | ParamLocation::Query)
                            && resource.keys.contains(&p.wire_name)
                    }),
                    FlowAction::Transition { .. } => (op.params.iter()).any(|p| {
                        p.location == ParamLocation::Path && resource.keys.contains(&p.wire_name)
                    }),
                };
                if !keyed {
                    let message = match flow.action {
                        FlowAction::Create => format!(
                            "a `create` of `{}` needs a JSON body with the member `{}`",
                            resource.name, resource.keys[0]
                        ),
                        FlowAction::Query => format!(
                            "a `query` of `{}` needs a path or query parameter named one of {:?}",
                            resource.name, resource.keys
                        ),
                        FlowAction::Transition { .. } => format!(
                            "a `transition` of `{}` needs a path parameter named one of {:?}",
                            resource.name, resource.keys
                        ),
                    };
                    self.error(&group.file, &path, message);
                }
            }
        }
        resources
    }
}

fn pairs(map: &indexmap::IndexMap<String, String>) -> Vec<(String, String)> {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::id_template;
    use crate::ir::IdPart;

    #[test]
    fn templates_take_classes_with_counts_dates_and_text() {
        assert_eq!(
            id_template("42{n:3}{date}x").unwrap(),
            [
                IdPart::Text("42".into()),
                IdPart::Digits(3),
                IdPart::Date,
                IdPart::Text("x".into())
            ]
        );
        assert_eq!(
            id_template("wx{time}{hex:20}").unwrap(),
            [IdPart::Text("wx".into()), IdPart::Time, IdPart::Hex(20)]
        );
        for bad in [
            "{n}", "{n:0}", "{n:65}", "{x:3}", "{date", "date}", "{n:-1}", "{}",
        ] {
            assert!(id_template(bad).is_err(), "{bad}");
        }
    }
}
