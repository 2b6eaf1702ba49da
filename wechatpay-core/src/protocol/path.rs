//! The request target: a path template filled with percent-encoded parameters, and the query.
//! What these functions return is exactly what is signed and exactly what is sent.

use std::borrow::Cow;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::error::PathError;

/// Characters kept as they are in a path segment or a query key or value: RFC 3986 unreserved.
/// Everything else (`/`, `?`, `#`, `%`, spaces, non-ASCII) is percent-encoded, so a value can
/// never change the shape of the target; case is kept as it is.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Fills `{name}` placeholders of `template` with percent-encoded values.
///
/// Refused, so that the path signed is the path sent: a template that does not start with `/`,
/// has unbalanced braces, a `.`/`..` segment (escaped or not), or a character outside RFC 3986's
/// path characters (`?`, `#`, spaces, quotes, `\`, non-ASCII, a `%` that starts no escape);
/// a placeholder without a value or a value without a placeholder; a value that is empty, `.`
/// or `..` (URL parsers would normalise the segment away and send the request elsewhere).
pub fn fill_path(template: &str, params: &[(&str, Cow<'_, str>)]) -> Result<String, PathError> {
    check_template(template)?;
    let mut path = String::with_capacity(template.len() + 16);
    let mut used = vec![false; params.len()];
    let mut rest = template;
    while let Some((literal, after)) = rest.split_once('{') {
        path.push_str(literal);
        let (name, tail) = after
            .split_once('}')
            .ok_or_else(|| PathError::UnbalancedBraces(template.to_owned()))?;
        let index =
            params
                .iter()
                .position(|(k, _)| *k == name)
                .ok_or_else(|| PathError::MissingParam {
                    template: template.to_owned(),
                    name: name.to_owned(),
                })?;
        let value = &params[index].1;
        if matches!(value.as_ref(), "" | "." | "..") {
            return Err(PathError::DotOrEmptySegment {
                name: name.to_owned(),
                value: value.to_string(),
            });
        }
        path.extend(utf8_percent_encode(value, UNRESERVED));
        used[index] = true;
        rest = tail;
    }
    path.push_str(rest);
    if let Some(i) = used.iter().position(|u| !u) {
        return Err(PathError::UnusedParam {
            template: template.to_owned(),
            name: params[i].0.to_owned(),
        });
    }
    Ok(path)
}

fn check_template(template: &str) -> Result<(), PathError> {
    if !template.starts_with('/') {
        return Err(PathError::NoLeadingSlash(template.to_owned()));
    }
    let mut depth = 0u8;
    for c in template.chars() {
        depth = match (c, depth) {
            ('{', 0) => 1,
            ('}', 1) => 0,
            ('{' | '}', _) => return Err(PathError::UnbalancedBraces(template.to_owned())),
            _ => depth,
        };
    }
    if depth != 0 {
        return Err(PathError::UnbalancedBraces(template.to_owned()));
    }
    let mut literal = String::with_capacity(template.len());
    let mut in_placeholder = false;
    for c in template.chars() {
        match c {
            // A placeholder stands for a value that is never empty, `.` or `..`.
            '{' => {
                in_placeholder = true;
                literal.push('v');
            }
            '}' => in_placeholder = false,
            c if !in_placeholder => literal.push(c),
            _ => {}
        }
    }
    let bad = || PathError::BadTemplate(template.to_owned());
    // Only characters that every URL parser keeps as they are: what is signed is what is sent.
    if !literal.chars().all(is_path_char) || !valid_escapes(&literal) {
        return Err(bad());
    }
    let dot_segment = literal.split('/').any(|segment| {
        let decoded = percent_encoding::percent_decode_str(segment).collect::<Vec<u8>>();
        decoded == b"." || decoded == b".."
    });
    if dot_segment {
        return Err(bad());
    }
    Ok(())
}

/// RFC 3986 `pchar` and `/`, without `%` escapes (checked by [`valid_escapes`]): unreserved,
/// sub-delimiters, `:` and `@`.
fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/%".contains(c)
}

/// Every `%` starts a two-hex-digit escape.
fn valid_escapes(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().all(|(i, b)| {
        *b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    })
}

/// Encodes query pairs as `k=v&k=v`, in order: the exact text that is sent and signed.
pub fn encode_query(pairs: &[(&str, Cow<'_, str>)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.extend(utf8_percent_encode(k, UNRESERVED));
        out.push('=');
        out.extend(utf8_percent_encode(v, UNRESERVED));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(template: &str, params: &[(&str, &str)]) -> Result<String, PathError> {
        let params: Vec<_> = params.iter().map(|(k, v)| (*k, Cow::from(*v))).collect();
        fill_path(template, &params)
    }

    #[test]
    fn values_are_encoded_and_keep_their_case() {
        assert_eq!(
            fill("/v3/x/{id}/y", &[("id", "Ab/c d?é#%")]).unwrap(),
            "/v3/x/Ab%2Fc%20d%3F%C3%A9%23%25/y"
        );
        assert_eq!(fill("/v3/x", &[]).unwrap(), "/v3/x");
    }

    #[test]
    fn dot_and_empty_values_are_refused() {
        for value in ["", ".", ".."] {
            assert_eq!(
                fill("/v3/x/{id}", &[("id", value)]),
                Err(PathError::DotOrEmptySegment {
                    name: "id".into(),
                    value: value.into()
                })
            );
        }
        assert_eq!(fill("/v3/x/{id}", &[("id", "...")]).unwrap(), "/v3/x/...");
    }

    #[test]
    fn bad_templates_are_refused() {
        let no_slash = fill("@evil.example/v3/x", &[]);
        assert_eq!(
            no_slash,
            Err(PathError::NoLeadingSlash("@evil.example/v3/x".into()))
        );
        for t in ["/v3/{a", "/v3/a}", "/v3/{{a}}", "/v3/{a}}"] {
            assert_eq!(
                fill(t, &[("a", "1")]),
                Err(PathError::UnbalancedBraces(t.into())),
                "{t}"
            );
        }
        for t in [
            "/v3/../x",
            "/v3/./x",
            "/v3/x?y=1",
            "/v3/x#f",
            "/\"",
            "/a\\b",
            "/é",
            "/v3/%2e%2e/x",
            "/v3/%2E/x",
            "/a b",
            "/a%zz",
            "/a%2",
        ] {
            assert_eq!(fill(t, &[]), Err(PathError::BadTemplate(t.into())), "{t}");
        }
    }

    #[test]
    fn missing_and_unused_parameters_are_refused() {
        assert!(matches!(
            fill("/v3/x/{id}", &[]),
            Err(PathError::MissingParam { name, .. }) if name == "id"
        ));
        assert!(matches!(
            fill("/v3/x", &[("id", "1")]),
            Err(PathError::UnusedParam { name, .. }) if name == "id"
        ));
    }

    #[test]
    fn query_is_encoded_in_order() {
        let q = encode_query(&[("b", "1 2".into()), ("a", "x&y=z".into())]);
        assert_eq!(q, "b=1%202&a=x%26y%3Dz");
    }
}
