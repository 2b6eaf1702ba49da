//! A field whose wire value is a string holding a JSON document (`"{\"a\":1}"`), typed as the
//! document's model on the Rust side. Generated code uses it on the fields the spec marks with
//! `x-wechatpay-json-string`:
//!
//! ```
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Scene {
//!     store_id: String,
//! }
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Order {
//!     #[serde(with = "wechatpay_core::json_string")]
//!     scene: Scene,
//! }
//!
//! let order: Order = serde_json::from_str(r#"{"scene":"{\"store_id\":\"S1\"}"}"#).unwrap();
//! assert_eq!(order.scene.store_id, "S1");
//! assert_eq!(serde_json::to_string(&order).unwrap(), r#"{"scene":"{\"store_id\":\"S1\"}"}"#);
//! ```
//!
//! The inner document is written by `serde_json` in its compact form (no spaces, fields in
//! declaration order), so the same value always gives the same bytes. Optional fields use
//! [`option`].

use serde::de::{DeserializeOwned, Error as _};
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Writes `value` as a string holding its compact JSON.
pub fn serialize<T: Serialize, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&to_text::<T, S>(value)?)
}

/// Reads a string and parses the JSON document it holds as a `T`.
pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    from_text::<T, D>(&String::deserialize(deserializer)?)
}

/// The `Option` form: `None` is written as `null` (generated requests skip it instead), and
/// `null` reads as `None` (with `#[serde(default)]`, so does an absent field).
pub mod option {
    use super::*;

    /// Writes `Some(value)` as a string holding its compact JSON, `None` as `null`.
    pub fn serialize<T: Serialize, S: Serializer>(
        value: &Option<T>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => serializer.serialize_some(&to_text::<T, S>(value)?),
            None => serializer.serialize_none(),
        }
    }

    /// Reads `null` as `None`, and a string as the JSON document it holds.
    pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<T>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            Some(text) => from_text::<T, D>(&text).map(Some),
            None => Ok(None),
        }
    }
}

fn to_text<T: Serialize, S: Serializer>(value: &T) -> Result<String, S::Error> {
    serde_json::to_string(value)
        .map_err(|e| S::Error::custom(format_args!("a JSON document in a string: {e}")))
}

fn from_text<'de, T: DeserializeOwned, D: Deserializer<'de>>(text: &str) -> Result<T, D::Error> {
    serde_json::from_str(text)
        .map_err(|e| D::Error::custom(format_args!("a JSON document in a string: {e}")))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    struct Inner {
        id: String,
        count: i64,
        tags: Vec<String>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Outer {
        #[serde(with = "crate::json_string")]
        inner: Inner,
        #[serde(
            with = "crate::json_string::option",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        extra: Option<BTreeMap<String, i64>>,
    }

    #[test]
    fn the_document_travels_as_a_compact_string() {
        let outer = Outer {
            inner: Inner {
                id: "a\"b".into(),
                count: -3,
                tags: vec!["x".into()],
            },
            extra: Some(BTreeMap::from([("k".into(), 1)])),
        };
        let text = serde_json::to_string(&outer).unwrap();
        assert_eq!(
            text,
            r#"{"inner":"{\"id\":\"a\\\"b\",\"count\":-3,\"tags\":[\"x\"]}","extra":"{\"k\":1}"}"#
        );
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(value["inner"].is_string());
        assert_eq!(serde_json::from_str::<Outer>(&text).unwrap(), outer);
    }

    #[test]
    fn absent_and_null_optional_documents_are_none() {
        let inner = r#""{\"id\":\"i\",\"count\":1,\"tags\":[]}""#;
        for text in [
            format!(r#"{{"inner":{inner}}}"#),
            format!(r#"{{"inner":{inner},"extra":null}}"#),
        ] {
            let outer: Outer = serde_json::from_str(&text).unwrap();
            assert_eq!(outer.extra, None);
            assert_eq!(
                serde_json::to_string(&outer).unwrap(),
                format!(r#"{{"inner":{inner}}}"#)
            );
        }
    }

    #[test]
    fn a_value_that_is_not_a_string_of_the_document_is_refused() {
        let cases = [
            // The document itself instead of a string holding it.
            r#"{"inner":{"id":"i","count":1,"tags":[]}}"#,
            // A string that is not JSON.
            r#"{"inner":"not json"}"#,
            // JSON of the wrong shape.
            r#"{"inner":"{\"id\":1,\"count\":1,\"tags\":[]}"}"#,
            r#"{"inner":"{\"id\":\"i\",\"count\":1,\"tags\":[]}","extra":"[1]"}"#,
        ];
        for text in cases {
            assert!(serde_json::from_str::<Outer>(text).is_err(), "{text}");
        }
        let e = serde_json::from_str::<Outer>(r#"{"inner":"nope"}"#).unwrap_err();
        assert!(e.to_string().contains("a JSON document in a string"), "{e}");
    }

    proptest! {
        #[test]
        fn any_document_round_trips_byte_for_byte(
            id in ".*",
            count in any::<i64>(),
            tags in proptest::collection::vec(".*", 0..4),
            extra in proptest::option::of(proptest::collection::btree_map(".*", any::<i64>(), 0..4)),
        ) {
            let outer = Outer { inner: Inner { id, count, tags }, extra };
            let text = serde_json::to_string(&outer).unwrap();
            let back: Outer = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(&back, &outer);
            prop_assert_eq!(&serde_json::to_string(&back).unwrap(), &text);
            let wire: serde_json::Value = serde_json::from_str(&text).unwrap();
            let inner_text = wire["inner"].as_str().unwrap();
            prop_assert_eq!(inner_text, serde_json::to_string(&outer.inner).unwrap());
        }
    }
}
