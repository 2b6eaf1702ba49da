//! Answers that answer the request: the example answer takes the identifiers and values the
//! request gave (an order queried by `out_trade_no` comes back with that `out_trade_no`), and
//! the mock's own merchant id.

use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

/// What the request said, as the mock read it.
pub(crate) struct Said<'a> {
    /// Path parameters, decoded.
    pub(crate) path: &'a [(String, String)],
    /// The raw query string.
    pub(crate) query: &'a str,
    /// The sensitive query and header parameters, decrypted (wire name, plaintext): echoed in
    /// place of the ciphertext the query carries.
    pub(crate) plaintext: &'a [(String, String)],
    /// The body as JSON (sensitive fields decrypted), or an upload's `meta`.
    pub(crate) body: Option<&'a Value>,
    /// The mock's merchant id.
    pub(crate) mchid: &'a str,
}

/// Overlays what the request said on an example answer: a member of the answer named like a path
/// or query parameter takes its value; members of the body overlay the answer's members of the
/// same name and JSON type, objects recursively (arrays are kept as they are); `mchid` and
/// `sp_mchid` not given by the request are the mock's own.
pub(crate) fn overlay(answer: &mut Value, said: &Said<'_>) {
    let Value::Object(members) = answer else {
        return;
    };
    for key in ["mchid", "sp_mchid"] {
        if let Some(Value::String(text)) = members.get_mut(key) {
            said.mchid.clone_into(text);
        }
    }
    if let Some(Value::Object(body)) = said.body {
        merge(members, body);
    }
    for (name, text) in said.path.iter().cloned().chain(query_pairs(said.query)) {
        if let Some(member) = members.get_mut(&name) {
            let plain = said.plaintext.iter().find(|(wire, _)| *wire == name);
            set_text(member, plain.map_or(text, |(_, plain)| plain.clone()));
        }
    }
}

/// The pairs of a query string, percent-decoded.
pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    (query.split('&'))
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            Some((decode(k), decode(v)))
        })
        .collect()
}

/// Copies each member of `from` onto the member of `to` with the same name and JSON type
/// (objects recursively, arrays kept), so that `to` keeps its shape.
pub(crate) fn merge(to: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (name, given) in from {
        match (to.get_mut(name), given) {
            (Some(Value::Object(inner)), Value::Object(given)) => merge(inner, given),
            (Some(Value::String(text)), Value::String(given)) => given.clone_into(text),
            (Some(slot @ Value::Number(_)), Value::Number(_))
            | (Some(slot @ Value::Bool(_)), Value::Bool(_)) => *slot = given.clone(),
            _ => {}
        }
    }
}

/// A parameter's text into an answer member: as text, or as the number or boolean it spells.
fn set_text(member: &mut Value, text: String) {
    match member {
        Value::String(_) => *member = Value::String(text),
        Value::Number(_) => {
            if let Ok(n) = text.parse::<serde_json::Number>() {
                *member = Value::Number(n);
            }
        }
        Value::Bool(_) => {
            if let Ok(b) = text.parse::<bool>() {
                *member = Value::Bool(b);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_answer_takes_what_the_request_said() {
        let mut answer = json!({
            "mchid": "other",
            "out_trade_no": "example",
            "transaction_id": "4200",
            "amount": {"total": 1, "currency": "CNY"},
            "trade_state": "SUCCESS",
            "list": [{"out_trade_no": "x"}]
        });
        let body = json!({
            "amount": {"total": 888},
            "description": "not in the answer",
            "list": [{"out_trade_no": "y"}]
        });
        let path = [("out_trade_no".to_owned(), "T-1/中".to_owned())];
        overlay(
            &mut answer,
            &Said {
                path: &path,
                query: "mchid=1900000109&limit=5",
                plaintext: &[],
                body: Some(&body),
                mchid: "1230000109",
            },
        );
        assert_eq!(
            answer,
            json!({
                "mchid": "1900000109",
                "out_trade_no": "T-1/中",
                "transaction_id": "4200",
                "amount": {"total": 888, "currency": "CNY"},
                "trade_state": "SUCCESS",
                "list": [{"out_trade_no": "x"}]
            })
        );
    }

    #[test]
    fn the_mocks_own_merchant_id_when_the_request_gave_none() {
        let mut answer = json!({"mchid": "other", "sp_mchid": "other"});
        let said = Said {
            path: &[],
            query: "",
            plaintext: &[],
            body: None,
            mchid: "1230000109",
        };
        overlay(&mut answer, &said);
        assert_eq!(
            answer,
            json!({"mchid": "1230000109", "sp_mchid": "1230000109"})
        );
    }

    #[test]
    fn a_sensitive_query_value_is_echoed_as_plaintext_not_ciphertext() {
        let mut answer = json!({"user_name": "example", "out_bill_no": "example"});
        let plaintext = [("user_name".to_owned(), "张三".to_owned())];
        let said = Said {
            path: &[],
            query: "user_name=Q2lwaGVy%2Bdz0%3D&out_bill_no=B-1",
            plaintext: &plaintext,
            body: None,
            mchid: "1230000109",
        };
        overlay(&mut answer, &said);
        assert_eq!(answer, json!({"user_name": "张三", "out_bill_no": "B-1"}));
    }
}
