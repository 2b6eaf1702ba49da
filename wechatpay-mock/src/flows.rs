//! The resources the platform keeps (orders, refunds, transfer bills…), as the spec declares
//! them (`x-wechatpay-resources`, `x-wechatpay-flow`): one generic engine, no path in it. An
//! operation bound to a resource creates one (keyed by the merchant's number, with the ids the
//! platform issues), reads one by any of its keys, or moves it between states; a test moves
//! it too (`MockPlatform::scenario`). Answers are built from what was stored, projected onto
//! the answer's model: a member the state does not know is left out, or taken from the example
//! only when the model requires it. The platform's errors come from the declarations: a
//! resource that does not exist, a number repeated with other values, a parent in the wrong
//! state or a draw past its budget, a transition from the wrong state.
//!
//! Time is the ledger's clock: the system clock, or the time a test set (and moves).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use serde_json::{json, Map, Value};
use time::OffsetDateTime;
use wechatpay_spec::ir::{
    Api, DerivedFrom, FlowAction, IdPart, Operation, Refusal, Resource, SuccessKind, Ty, TypeKind,
};

/// The most resources of one kind the ledger keeps; past it, the oldest is forgotten.
pub(crate) const MAX_RESOURCES: usize = 100_000;

/// A resource stored.
#[derive(Debug, Clone)]
struct Item {
    /// The creating request (sensitive fields decrypted) with what the creating operation sets.
    request: Value,
    /// Ids issued so far, by member.
    issued: Map<String, Value>,
    state: String,
    /// Every state entered, with when.
    entered: Vec<(String, OffsetDateTime)>,
    created: OffsetDateTime,
    /// What children drew from its budget.
    drawn: i64,
    /// Its parent (resource and merchant's number) and what it drew from the parent's budget,
    /// until a releasing state gives it back.
    parent: Option<(String, String, i64)>,
}

/// One kind of resource: items by the merchant's number, and the other keys naming them.
#[derive(Debug, Default)]
struct Store {
    items: HashMap<String, Item>,
    /// (key member, value) → the merchant's number.
    aliases: HashMap<(String, String), String>,
    /// Numbers in creation order, for eviction.
    order: VecDeque<String>,
}

impl Store {
    fn insert(&mut self, key: String, item: Item) {
        if self.items.len() >= MAX_RESOURCES {
            let oldest = self.order.pop_front();
            let gone = oldest
                .as_ref()
                .and_then(|k| Some((k, self.items.remove(k)?)));
            if let Some((key, gone)) = gone {
                for (member, id) in &gone.issued {
                    let alias = (member.clone(), id.as_str().unwrap_or_default().to_owned());
                    if self.aliases.get(&alias) == Some(key) {
                        self.aliases.remove(&alias);
                    }
                }
            }
        }
        self.order.push_back(key.clone());
        self.items.insert(key, item);
    }

    fn find(&self, member: &str, value: &str, primary: &str) -> Option<String> {
        if member == primary {
            return self.items.contains_key(value).then(|| value.to_owned());
        }
        (self.aliases.get(&(member.to_owned(), value.to_owned()))).cloned()
    }
}

/// A resource as the ledger shows it: its number, state, what is known of it, and when each
/// state was entered. For bills and notifications.
#[derive(Debug, Clone)]
pub(crate) struct View {
    pub(crate) state: String,
    pub(crate) facts: Value,
    pub(crate) entered: Vec<(String, OffsetDateTime)>,
    pub(crate) created: OffsetDateTime,
}

/// A refusal: status, code and message, as the platform gives them.
pub(crate) type Refused = (u16, String, String);

fn refused(r: &Refusal) -> Refused {
    (r.status, r.code.clone(), r.message.clone())
}

/// What the ledger did with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// The answer was built from the state of a resource.
    State,
    /// The operation is bound to no resource: the answer is the example.
    Example,
}

/// Every resource the mock holds, and the clock.
#[derive(Debug, Default)]
pub(crate) struct Ledger {
    stores: Mutex<HashMap<String, Store>>,
    /// Set: the ledger's time (`MockPlatform::set_time`, `advance_time`).
    time: Mutex<Option<OffsetDateTime>>,
}

impl Ledger {
    /// Forgets every resource (the clock stays).
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Store>> {
        self.stores.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The ledger's time: the one set, else now.
    pub(crate) fn now(&self) -> OffsetDateTime {
        self.time
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .unwrap_or_else(OffsetDateTime::now_utc)
    }

    /// Sets (or, with `None`, clears) the ledger's time.
    pub(crate) fn set_time(&self, time: Option<OffsetDateTime>) {
        *self.time.lock().unwrap_or_else(|e| e.into_inner()) = time;
    }

    /// Moves the ledger's time forward (from now, if none was set).
    pub(crate) fn advance(&self, by: time::Duration) {
        let mut time = self.time.lock().unwrap_or_else(|e| e.into_inner());
        *time = Some(
            time.unwrap_or_else(OffsetDateTime::now_utc)
                .saturating_add(by),
        );
    }

    /// Applies an operation bound to a resource: creates, reads or moves it, and builds the
    /// answer from its state onto `answer` (the example, replaced). `params`: the path and
    /// query parameters, decoded.
    pub(crate) fn apply(
        &self,
        api: &Api,
        mchid: &str,
        op: &Operation,
        params: &[(String, String)],
        body: Option<&Value>,
        answer: &mut Value,
    ) -> Result<Source, Refused> {
        let Some(flow) = &op.flow else {
            return Ok(Source::Example);
        };
        let Some(resource) = api.resources.get(&flow.resource) else {
            return Ok(Source::Example);
        };
        let now = self.now();
        let mut stores = self.lock();
        let key = match &flow.action {
            FlowAction::Create => create(api, &mut stores, resource, op, body, now)?,
            FlowAction::Query => find(&mut stores, resource, params, now)
                .ok_or_else(|| refused(&resource.not_found))?,
            FlowAction::Transition {
                from,
                to,
                refused: no,
            } => {
                let key = find(&mut stores, resource, params, now)
                    .ok_or_else(|| refused(&resource.not_found))?;
                let item = stores
                    .get_mut(&resource.name)
                    .and_then(|s| s.items.get_mut(&key))
                    .ok_or_else(|| refused(&resource.not_found))?;
                if !from.contains(&item.state) {
                    return Err(refused(no));
                }
                enter(item, to, now);
                release(&mut stores, resource, &key);
                key
            }
        };
        let mut view = view(&stores, resource, &key).ok_or_else(|| refused(&resource.not_found))?;
        // The merchant's own id where the model has one the request did not give.
        if let Value::Object(facts) = &mut view.facts {
            if !facts.contains_key("sp_mchid") {
                for member in ["mchid", "mch_id"] {
                    facts.entry(member).or_insert_with(|| mchid.into());
                }
            }
        }
        if let SuccessKind::Json(ty) = &op.success.kind {
            let example = op.success.example.as_ref();
            *answer = project(api, ty, Some(&view.facts), example).unwrap_or_else(|| json!({}));
        }
        Ok(Source::State)
    }

    /// Runs a test's scenario on the resource `resource` named `key` (any of its keys): its
    /// state moves, ids are issued, and the event to notify (if any) comes back with the
    /// resource as it now is. `None` if there is no such resource or scenario, or the resource
    /// is not in a state the scenario applies in.
    pub(crate) fn scenario(
        &self,
        api: &Api,
        resource: &str,
        key: &str,
        name: &str,
    ) -> Option<(Option<String>, View)> {
        let resource = api.resources.get(resource)?;
        let scenario = resource.scenarios.iter().find(|s| s.name == name)?;
        let now = self.now();
        let mut stores = self.lock();
        let primary = (resource.keys.iter())
            .find_map(|k| find(&mut stores, resource, &[(k.clone(), key.to_owned())], now))?;
        let store = stores.get_mut(&resource.name)?;
        let item = store.items.get_mut(&primary)?;
        if !scenario.from.contains(&item.state) {
            return None;
        }
        enter(item, &scenario.to, now);
        let issued = issue(store, resource, &scenario.issues, &primary, now);
        if let Some(item) = store.items.get_mut(&primary) {
            item.issued.extend(issued);
        }
        release(&mut stores, resource, &primary);
        let view = view(&stores, resource, &primary)?;
        Some((scenario.event.clone(), view))
    }

    /// The resource of kind `resource` that `key` names (by any of its keys), as it now is.
    pub(crate) fn one(&self, api: &Api, resource: &str, key: &str) -> Option<View> {
        let resource = api.resources.get(resource)?;
        let now = self.now();
        let mut stores = self.lock();
        let primary = (resource.keys.iter())
            .find_map(|k| find(&mut stores, resource, &[(k.clone(), key.to_owned())], now))?;
        view(&stores, resource, &primary)
    }

    /// Every resource of kind `resource`, as it now is.
    pub(crate) fn all(&self, api: &Api, resource: &str) -> Vec<View> {
        let Some(resource) = api.resources.get(resource) else {
            return Vec::new();
        };
        let now = self.now();
        let mut stores = self.lock();
        let keys: Vec<String> = (stores.get(&resource.name))
            .map(|s| s.order.iter().cloned().collect())
            .unwrap_or_default();
        for key in &keys {
            expire(&mut stores, resource, key, now);
        }
        (keys.iter())
            .filter_map(|key| view(&stores, resource, key))
            .collect()
    }
}

/// Fresh ids from `templates`, for the resource `key`: an id that is one of the resource's
/// keys names it from now on, and is drawn again if another resource has it.
fn issue(
    store: &mut Store,
    resource: &Resource,
    templates: &[(String, Vec<IdPart>)],
    key: &str,
    now: OffsetDateTime,
) -> Map<String, Value> {
    let mut issued = Map::new();
    for (member, template) in templates {
        let is_key = resource.keys.contains(member);
        let mut id = render(template, now);
        for _ in 0..8 {
            if !is_key || !store.aliases.contains_key(&(member.clone(), id.clone())) {
                break;
            }
            id = render(template, now);
        }
        if is_key {
            (store.aliases).insert((member.clone(), id.clone()), key.to_owned());
        }
        issued.insert(member.clone(), Value::String(id));
    }
    issued
}

/// Gives a child's draw back to its parent's budget when the child is in a state its
/// declaration says releases it (a refund closed without paying out); once.
fn release(stores: &mut HashMap<String, Store>, resource: &Resource, key: &str) {
    let Some(releases) = resource.parent.as_ref().map(|p| &p.releases) else {
        return;
    };
    let Some(item) = stores
        .get_mut(&resource.name)
        .and_then(|s| s.items.get_mut(key))
    else {
        return;
    };
    if !releases.contains(&item.state) {
        return;
    }
    let Some((parent, parent_key, draw)) = item.parent.take() else {
        return;
    };
    if let Some(parent) = stores
        .get_mut(&parent)
        .and_then(|s| s.items.get_mut(&parent_key))
    {
        parent.drawn = parent.drawn.saturating_sub(draw);
    }
}

/// Moves a resource to `state`, stamped `now`; already there, nothing changes.
fn enter(item: &mut Item, state: &str, now: OffsetDateTime) {
    if item.state != state {
        state.clone_into(&mut item.state);
        item.entered.push((state.to_owned(), now));
    }
}

/// Moves a resource whose time ran out on to its expiry state, stamped with the deadline.
fn expire(
    stores: &mut HashMap<String, Store>,
    resource: &Resource,
    key: &str,
    now: OffsetDateTime,
) {
    let Some(expiry) = &resource.expiry else {
        return;
    };
    let Some(item) = stores
        .get_mut(&resource.name)
        .and_then(|s| s.items.get_mut(key))
    else {
        return;
    };
    if !expiry.from.contains(&item.state) {
        return;
    }
    let set = (expiry.field.as_deref())
        .and_then(|f| item.request.get(f))
        .and_then(Value::as_str)
        .and_then(|t| {
            OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
        });
    let after = time::Duration::seconds(i64::try_from(expiry.after_secs).unwrap_or(i64::MAX));
    // The platform raises a `time_expire` under a minute after the order to that minute.
    let deadline = match set {
        Some(set) => set.max(item.created.saturating_add(time::Duration::MINUTE)),
        None => item.created.saturating_add(after),
    };
    if now >= deadline {
        enter(item, &expiry.to, deadline);
    }
}

/// The merchant's number of the resource `pairs` name (members named as its keys): every key
/// given must name the same one (a key that names nothing, or another resource, finds none).
/// Expired first if its time ran out.
fn find(
    stores: &mut HashMap<String, Store>,
    resource: &Resource,
    pairs: &[(String, String)],
    now: OffsetDateTime,
) -> Option<String> {
    let primary = &resource.keys[0];
    let store = stores.get(&resource.name)?;
    let mut found: Option<String> = None;
    for (member, value) in pairs.iter().filter(|(m, _)| resource.keys.contains(m)) {
        let key = store.find(member, value, primary)?;
        if found.as_ref().is_some_and(|f| *f != key) {
            return None;
        }
        found = Some(key);
    }
    let key = found?;
    expire(stores, resource, &key, now);
    Some(key)
}

/// Creates a resource from a request, or answers a repeat of one.
fn create(
    api: &Api,
    stores: &mut HashMap<String, Store>,
    resource: &Resource,
    op: &Operation,
    body: Option<&Value>,
    now: OffsetDateTime,
) -> Result<String, Refused> {
    let Some(body) = body else {
        return Err(refused(&resource.conflict));
    };
    // Only what the creating request's model has: a member the platform would not read is
    // not kept, nor shown back.
    let mut request = (op.body.as_ref())
        .and_then(|ty| project(api, ty, Some(body), None))
        .unwrap_or_else(|| body.clone());
    if let (Value::Object(request), Some(flow)) = (&mut request, &op.flow) {
        if let Some(Value::Object(sets)) = &flow.sets {
            request.extend(sets.clone());
        }
    }
    let key = (body.get(&resource.keys[0]))
        .and_then(Value::as_str)
        .ok_or_else(|| refused(&resource.conflict))?
        .to_owned();
    if let Some(existing) = stores.get(&resource.name).and_then(|s| s.items.get(&key)) {
        // The same request again: every member it gives is what was stored.
        let same = match (&request, &existing.request) {
            (Value::Object(new), Value::Object(old)) => {
                new.iter().all(|(k, v)| old.get(k) == Some(v))
            }
            (new, old) => new == old,
        };
        if !same {
            return Err(refused(&resource.conflict));
        }
        // The same request again: answered as the first, unless the resource has moved on
        // (a paid or closed order is not placed again).
        expire(stores, resource, &key, now);
        let state = (stores.get(&resource.name))
            .and_then(|s| s.items.get(&key))
            .map(|i| i.state.clone())
            .unwrap_or_default();
        return match resource.repeat.iter().find(|(s, _)| *s == state) {
            Some((_, no)) => Err(refused(no)),
            None => Ok(key),
        };
    }
    // A child: its parent exists, is in a state that allows it, and has the budget.
    let mut link = None;
    if let Some(parent) = &resource.parent {
        let parent_resource = api.resources.get(&parent.resource);
        let not_found = || refused(&parent.not_found);
        let parent_resource = parent_resource.ok_or_else(not_found)?;
        let pairs: Vec<(String, String)> = (parent_resource.keys.iter())
            .filter_map(|k| Some((k.clone(), body.get(k)?.as_str()?.to_owned())))
            .collect();
        let parent_key = find(stores, parent_resource, &pairs, now).ok_or_else(not_found)?;
        let budget = parent_resource.budget.as_deref();
        let item = (stores.get_mut(&parent.resource))
            .and_then(|s| s.items.get_mut(&parent_key))
            .ok_or_else(not_found)?;
        // The child names its parent by every key the parent has now, kept with it (the
        // parent may be forgotten later).
        if let Value::Object(request) = &mut request {
            for k in &parent_resource.keys {
                let known = item.request.get(k).or_else(|| item.issued.get(k));
                if let Some(value) = known {
                    request.entry(k.clone()).or_insert_with(|| value.clone());
                }
            }
        }
        if !parent.states.contains(&item.state) {
            return Err(not_found());
        }
        // A child belongs to its parent's merchant: a sub-merchant refunds its own orders.
        if (parent.same.iter()).any(|member| body.get(member) != item.request.get(member)) {
            return Err(not_found());
        }
        let draw = (parent.draws.as_deref())
            .and_then(|p| body.pointer(p))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let limit = budget
            .and_then(|p| item.request.pointer(p))
            .and_then(Value::as_i64);
        if let (Some(limit), Some(over)) = (limit, &parent.over_budget) {
            if item.drawn.saturating_add(draw) > limit {
                return Err(refused(over));
            }
        }
        item.drawn = item.drawn.saturating_add(draw);
        if let Some(becomes) = &parent.becomes {
            if item.state != *becomes {
                enter(item, becomes, now);
            }
        }
        link = Some((parent.resource.clone(), parent_key, draw));
    }
    let store = stores.entry(resource.name.clone()).or_default();
    let issued = issue(store, resource, &resource.issues, &key, now);
    store.insert(
        key.clone(),
        Item {
            request,
            issued,
            state: resource.initial.clone(),
            entered: vec![(resource.initial.clone(), now)],
            created: now,
            drawn: 0,
            parent: link,
        },
    );
    Ok(key)
}

/// What the ledger knows of a resource, in the members of its models: the creating request
/// (with its parent's keys), the ids issued, the state and its stamps and members, and the
/// derived members.
fn view(stores: &HashMap<String, Store>, resource: &Resource, key: &str) -> Option<View> {
    let item = stores.get(&resource.name)?.items.get(key)?;
    let mut facts = match &item.request {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    facts.extend(item.issued.clone());
    facts.insert(resource.state.clone(), Value::String(item.state.clone()));
    for (state, member) in &resource.stamps {
        if let Some((_, at)) = item.entered.iter().rev().find(|(s, _)| s == state) {
            facts.insert(member.clone(), Value::String(rfc3339(*at)));
        }
    }
    for (state, members) in &resource.in_state {
        if *state == item.state {
            if let Value::Object(members) = members {
                facts.extend(members.clone());
            }
        }
    }
    let mut facts = Value::Object(facts);
    for derived in &resource.derived {
        if !derived.states.is_empty() && !derived.states.contains(&item.state) {
            continue;
        }
        if facts.pointer(&derived.to).is_some() {
            continue;
        }
        let value = match &derived.source {
            DerivedFrom::Member(from) => facts.pointer(from).cloned(),
            DerivedFrom::Value(value) => Some(value.clone()),
        };
        if let Some(value) = value {
            set_pointer(&mut facts, &derived.to, value);
        }
    }
    Some(View {
        state: item.state.clone(),
        facts,
        entered: item.entered.clone(),
        created: item.created,
    })
}

/// Writes `value` at a JSON pointer, making the objects on the way.
fn set_pointer(target: &mut Value, pointer: &str, value: Value) {
    let tokens: Vec<String> = (pointer.split('/').skip(1))
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    let Some((last, path)) = tokens.split_last() else {
        return;
    };
    let mut at = target;
    for token in path {
        let Value::Object(members) = at else { return };
        at = members.entry(token.clone()).or_insert_with(|| json!({}));
    }
    if let Value::Object(members) = at {
        members.insert(last.clone(), value);
    }
}

/// `facts` in the shape of `ty`: each member the model has and the facts know, of the right
/// JSON type; a required member the facts do not know from `example`. `None` when neither
/// has a value of the right type.
pub(crate) fn project(
    api: &Api,
    ty: &Ty,
    facts: Option<&Value>,
    example: Option<&Value>,
) -> Option<Value> {
    match ty {
        Ty::Named(name) => match api.types.get(name).map(|t| &t.kind) {
            Some(TypeKind::Struct(fields)) => {
                let facts = facts.filter(|f| f.is_object());
                if facts.is_none() {
                    return example.filter(|e| e.is_object()).cloned();
                }
                let mut out = Map::new();
                for field in fields {
                    let known = facts.and_then(|f| f.get(&field.wire_name));
                    let sample = example.and_then(|e| e.get(&field.wire_name));
                    let value = match known {
                        Some(_) => project(api, &field.ty, known, sample),
                        None if field.required => sample.cloned(),
                        None => None,
                    };
                    if let Some(value) = value {
                        out.insert(field.wire_name.clone(), value);
                    }
                }
                Some(Value::Object(out))
            }
            Some(TypeKind::Enum(_)) => facts.filter(|f| f.is_string()).cloned(),
            Some(TypeKind::NumberEnum(..)) => facts.filter(|f| f.is_number()).cloned(),
            None => facts.cloned(),
        },
        Ty::Vec(item) => {
            let items = facts?.as_array()?;
            let sample = example.and_then(|e| e.as_array()).and_then(|a| a.first());
            Some(Value::Array(
                items
                    .iter()
                    .filter_map(|i| project(api, item, Some(i), sample))
                    .collect(),
            ))
        }
        Ty::Map(_) | Ty::Json => facts.cloned(),
        Ty::String | Ty::DateTime => facts.filter(|f| f.is_string()).cloned(),
        Ty::I32 | Ty::I64 => facts.filter(|f| f.is_i64() || f.is_u64()).cloned(),
        Ty::F64 => facts.filter(|f| f.is_number()).cloned(),
        Ty::Bool => facts.filter(|f| f.is_boolean()).cloned(),
        Ty::File => None,
    }
}

/// RFC 3339 at `+08:00`, whole seconds, as the platform writes times.
pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(time::macros::offset!(+8))
        .replace_nanosecond(0)
        .unwrap_or(at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A fresh id from its template, dated `now` (Beijing time).
fn render(template: &[IdPart], now: OffsetDateTime) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let local = now.to_offset(time::macros::offset!(+8));
    let random = |alphabet: &[u8], n: usize| -> String {
        (0..n)
            .map(|_| char::from(alphabet[rand::random::<usize>() % alphabet.len()]))
            .collect()
    };
    let mut id = String::new();
    for part in template {
        match part {
            IdPart::Text(text) => id.push_str(text),
            IdPart::Digits(n) => id.push_str(&random(b"0123456789", *n)),
            IdPart::Hex(n) => id.push_str(&random(b"0123456789abcdef", *n)),
            IdPart::Alnum(n) => id.push_str(&random(ALNUM, *n)),
            IdPart::Base64(n) => id.push_str(&random(B64, *n)),
            IdPart::Date => id.push_str(&format!(
                "{:04}{:02}{:02}",
                local.year(),
                u8::from(local.month()),
                local.day()
            )),
            IdPart::Time => id.push_str(&format!(
                "{:04}{:02}{:02}{:02}{:02}{:02}",
                local.year(),
                u8::from(local.month()),
                local.day(),
                local.hour(),
                local.minute(),
                local.second()
            )),
        }
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_their_templates_and_differ() {
        let at = time::macros::datetime!(2026-12-07 01:02:03 UTC);
        let template = [
            IdPart::Text("42".into()),
            IdPart::Digits(3),
            IdPart::Date,
            IdPart::Hex(4),
        ];
        let a = render(&template, at);
        assert_eq!(a.len(), 2 + 3 + 8 + 4);
        assert!(a.starts_with("42"));
        assert_eq!(&a[5..13], "20261207", "Beijing date");
        assert!(a[13..].chars().all(|c| c.is_ascii_hexdigit()));
        let ids: std::collections::HashSet<String> = (0..100)
            .map(|_| render(&[IdPart::Digits(20)], at))
            .collect();
        assert_eq!(ids.len(), 100);
    }

    #[test]
    fn a_full_store_forgets_its_oldest_resource_and_its_aliases() {
        let item = |n: usize| Item {
            request: json!({"n": n}),
            issued: Map::new(),
            state: "OPEN".into(),
            entered: Vec::new(),
            created: OffsetDateTime::UNIX_EPOCH,
            drawn: 0,
            parent: None,
        };
        let mut store = Store::default();
        for n in 0..=MAX_RESOURCES {
            let mut item = item(n);
            item.issued.insert("id".into(), json!(format!("I{n}")));
            store
                .aliases
                .insert(("id".into(), format!("I{n}")), format!("K{n}"));
            store.insert(format!("K{n}"), item);
        }
        store.insert("K-last".into(), item(0));
        assert_eq!(store.items.len(), MAX_RESOURCES);
        assert!(!store.items.contains_key("K0") && !store.items.contains_key("K1"));
        assert!(store.find("id", "I1", "key").is_none());
        assert_eq!(store.aliases.len(), MAX_RESOURCES - 1);
        assert!(store.items.contains_key("K-last"));
    }

    #[test]
    fn pointers_make_the_objects_on_their_way() {
        let mut v = json!({"amount": {"total": 1}});
        set_pointer(&mut v, "/amount/payer_total", json!(1));
        set_pointer(&mut v, "/scene/store/id", json!("S"));
        assert_eq!(
            v,
            json!({"amount": {"total": 1, "payer_total": 1}, "scene": {"store": {"id": "S"}}})
        );
    }
}
