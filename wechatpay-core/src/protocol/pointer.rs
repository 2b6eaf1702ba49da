//! JSON pointers (RFC 6901) with one extension: a `*` token matches every element of an array,
//! and `~2` stands for a `*` in a member name (so a member named `*` is `/~2`).
//! The client uses them to encrypt sensitive request fields; the mock platform uses the same
//! code to decrypt them, so the two can never disagree on `~0`/`~1`.

/// A parsed JSON pointer, e.g. `/payer/accounts/*/name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pointer {
    tokens: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// `*`: every element of an array.
    Each,
    /// A member name (or an array index, written in decimal), with `~2` → `*`, `~1` → `/` and
    /// `~0` → `~` undone.
    Key(String),
}

/// The text is not a JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a JSON pointer: it must be empty or start with `/`, and `~` must be followed by `0`, `1` or `2`")]
pub struct PointerError(pub String);

impl Pointer {
    /// Parses a pointer. `""` points at the whole document.
    pub fn parse(text: &str) -> Result<Self, PointerError> {
        if text.is_empty() {
            return Ok(Self { tokens: Vec::new() });
        }
        let rest = text
            .strip_prefix('/')
            .ok_or_else(|| PointerError(text.to_owned()))?;
        let tokens = rest
            .split('/')
            .map(|raw| match raw {
                "*" => Ok(Token::Each),
                raw => unescape(raw)
                    .map(Token::Key)
                    .ok_or_else(|| PointerError(text.to_owned())),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { tokens })
    }

    /// Calls `f` on every value the pointer reaches in `value`, in document order. Members that
    /// are absent (optional fields left out) are skipped; `f`'s first error stops the walk.
    pub fn for_each_mut<E>(
        &self,
        value: &mut serde_json::Value,
        f: &mut dyn FnMut(&mut serde_json::Value) -> Result<(), E>,
    ) -> Result<(), E> {
        walk(&self.tokens, value, f)
    }
}

fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '~' => match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                Some('2') => out.push('*'),
                _ => return None,
            },
            c => out.push(c),
        }
    }
    Some(out)
}

fn walk<E>(
    tokens: &[Token],
    value: &mut serde_json::Value,
    f: &mut dyn FnMut(&mut serde_json::Value) -> Result<(), E>,
) -> Result<(), E> {
    use serde_json::Value;
    let Some((first, rest)) = tokens.split_first() else {
        return f(value);
    };
    match (first, value) {
        (Token::Each, Value::Array(items)) => {
            items.iter_mut().try_for_each(|item| walk(rest, item, f))
        }
        (Token::Key(name), Value::Object(map)) => match map.get_mut(name) {
            Some(v) => walk(rest, v, f),
            None => Ok(()),
        },
        (Token::Key(index), Value::Array(items)) => {
            match index.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(v) => walk(rest, v, f),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reached(pointer: &str, mut doc: serde_json::Value) -> Vec<serde_json::Value> {
        let mut seen = Vec::new();
        Pointer::parse(pointer)
            .unwrap()
            .for_each_mut(&mut doc, &mut |v| {
                seen.push(v.clone());
                Ok::<_, ()>(())
            })
            .unwrap();
        seen
    }

    #[test]
    fn escapes_follow_rfc_6901() {
        let doc = json!({"a/b": 1, "m~n": 2, "~1": 3});
        assert_eq!(reached("/a~1b", doc.clone()), [json!(1)]);
        assert_eq!(reached("/m~0n", doc.clone()), [json!(2)]);
        // `~01` is `~1` (unescaping `~0` first would give `/`).
        assert_eq!(reached("/~01", doc), [json!(3)]);
    }

    #[test]
    fn a_member_named_star_is_written_tilde_two_and_is_not_the_wildcard() {
        let doc = json!({"*": "named", "list": ["a", "b"], "a*b": 1});
        assert_eq!(reached("/~2", doc.clone()), [json!("named")]);
        assert_eq!(reached("/a~2b", doc.clone()), [json!(1)]);
        assert_eq!(reached("/list/*", doc), [json!("a"), json!("b")]);
    }

    #[test]
    fn star_matches_every_element_and_absent_members_are_skipped() {
        let doc = json!({"list": [{"n": "a"}, {"x": 0}, {"n": "b"}]});
        assert_eq!(reached("/list/*/n", doc.clone()), [json!("a"), json!("b")]);
        assert_eq!(reached("/list/1/x", doc.clone()), [json!(0)]);
        assert!(reached("/missing/n", doc).is_empty());
    }

    #[test]
    fn malformed_pointers_are_errors() {
        for bad in ["a", "/x~", "/x~3"] {
            assert_eq!(Pointer::parse(bad), Err(PointerError(bad.to_owned())));
        }
        assert_eq!(reached("", json!(5)), [json!(5)]);
    }
}
