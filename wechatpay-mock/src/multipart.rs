//! Uploads as the platform reads them: a strict `multipart/form-data` parser (RFC 7578, written
//! apart from the client's encoder so that it checks it) and the checks of an upload's two
//! parts.

use serde_json::Value;
use sha2::{Digest as _, Sha256};
use wechatpay_spec::ir::{Api, Operation, Upload, UploadDigest};

use crate::validate::{check_json, Issue};

/// One part of a `multipart/form-data` body.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Part<'b> {
    /// The `name` of its `Content-Disposition`.
    pub(crate) name: String,
    /// The `filename` of its `Content-Disposition`, if any.
    pub(crate) filename: Option<String>,
    /// Its `Content-Type`, if any.
    pub(crate) content_type: Option<String>,
    /// Its bytes.
    pub(crate) body: &'b [u8],
}

fn issue(field: &str, text: impl Into<String>) -> Issue {
    Issue {
        field: field.to_owned(),
        issue: text.into(),
    }
}

/// The boundary of a `multipart/form-data; boundary=…` content type.
pub(crate) fn boundary(content_type: Option<&str>) -> Result<String, Issue> {
    let header = "header.Content-Type";
    let content_type = content_type.ok_or_else(|| issue(header, "is missing"))?;
    let (media_type, params) = content_type.split_once(';').unwrap_or((content_type, ""));
    if !media_type
        .trim()
        .eq_ignore_ascii_case("multipart/form-data")
    {
        return Err(issue(header, "must be multipart/form-data for an upload"));
    }
    params
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim_matches('"').to_owned())
        .filter(|b| !b.is_empty() && b.len() <= 70)
        .ok_or_else(|| issue(header, "names no boundary (1 to 70 characters)"))
}

/// Splits a body into its parts: `--boundary CRLF part (CRLF --boundary CRLF part)* CRLF
/// --boundary-- [CRLF]`, each part's headers ended by an empty line.
pub(crate) fn parse<'b>(body: &'b [u8], boundary: &str) -> Result<Vec<Part<'b>>, Issue> {
    let malformed = |what: &str| issue("body", format!("is not multipart/form-data: {what}"));
    let open = format!("--{boundary}\r\n");
    let rest = body
        .strip_prefix(open.as_bytes())
        .ok_or_else(|| malformed("it does not start with the boundary"))?;
    let delimiter = format!("\r\n--{boundary}");
    let mut parts = Vec::new();
    let mut rest = rest;
    loop {
        let end =
            find(rest, delimiter.as_bytes()).ok_or_else(|| malformed("a part is not closed"))?;
        parts.push(part(&rest[..end]).map_err(|what| malformed(&what))?);
        let after = &rest[end + delimiter.len()..];
        if let Some(tail) = after.strip_prefix(b"--") {
            if tail.is_empty() || tail == b"\r\n" {
                return Ok(parts);
            }
            return Err(malformed("bytes after the closing boundary"));
        }
        rest = after
            .strip_prefix(b"\r\n")
            .ok_or_else(|| malformed("a boundary is not followed by a line break"))?;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn part(raw: &[u8]) -> Result<Part<'_>, String> {
    let split = find(raw, b"\r\n\r\n").ok_or("a part has no header end")?;
    let head = std::str::from_utf8(&raw[..split]).map_err(|_| "a part header is not UTF-8")?;
    let mut name = None;
    let mut filename = None;
    let mut content_type = None;
    for line in head.split("\r\n") {
        let (key, value) = line.split_once(':').ok_or("a part header has no `:`")?;
        match key.trim().to_ascii_lowercase().as_str() {
            "content-disposition" => {
                for (k, v) in disposition(value)? {
                    match k {
                        "name" => name = Some(v),
                        "filename" => filename = Some(v),
                        _ => return Err(format!("unknown disposition item `{k}`")),
                    }
                }
            }
            "content-type" => content_type = Some(value.trim().to_owned()),
            other => return Err(format!("unexpected part header `{other}`")),
        }
    }
    Ok(Part {
        name: name.ok_or("a part has no name")?,
        filename,
        content_type,
        body: &raw[split + 4..],
    })
}

/// The parameters of a `form-data` `Content-Disposition` value, each `key="value"`: a quoted
/// string (RFC 7578, 4.2) may hold `;`, `=` and spaces, and `\` escapes the next character.
fn disposition(value: &str) -> Result<Vec<(&str, String)>, String> {
    let rest = value.trim_start();
    let mut rest = rest
        .strip_prefix("form-data")
        .ok_or("a part is not `form-data`")?;
    let mut items = Vec::new();
    loop {
        rest = rest.trim_start_matches([' ', '\t']);
        if rest.is_empty() {
            return Ok(items);
        }
        rest = rest
            .strip_prefix(';')
            .ok_or("disposition items are separated by `;`")?
            .trim_start_matches([' ', '\t']);
        if rest.is_empty() {
            return Ok(items);
        }
        let (key, after) = rest
            .split_once('=')
            .ok_or("a disposition item has no `=`")?;
        let mut chars = after
            .strip_prefix('"')
            .ok_or("a disposition value is not quoted")?
            .char_indices();
        let mut text = String::new();
        let end = loop {
            match chars.next().ok_or("a disposition value is not closed")? {
                (i, '"') => break i,
                (_, '\\') => text.push(chars.next().ok_or("a disposition value is not closed")?.1),
                (_, c) => text.push(c),
            }
        };
        items.push((key.trim(), text));
        rest = &after[1 + end + 1..];
    }
}

/// Checks an upload: the two parts, once each; `meta` is JSON whose `sha256` (or SM3 `digest`,
/// with its algorithm member's value) is the file's
/// and whose `filename` (where the operation has one) is the file part's; the other `meta`
/// fields against the operation's `meta` type; the file's media type against the spec's.
/// Returns the `meta` bytes (what the signature covers) and the `meta` JSON.
pub(crate) fn check_upload<'b>(
    api: &Api,
    op: &Operation,
    upload: &Upload,
    parts: &[Part<'b>],
) -> Result<(&'b [u8], Value), Issue> {
    let one = |name: &str| -> Result<&Part<'b>, Issue> {
        let mut found = parts.iter().filter(|p| p.name == name);
        match (found.next(), found.next()) {
            (Some(part), None) => Ok(part),
            (None, _) => Err(issue(&format!("body.{name}"), "part is missing")),
            (Some(_), Some(_)) => Err(issue(&format!("body.{name}"), "part appears twice")),
        }
    };
    if let Some(extra) = parts.iter().find(|p| p.name != "meta" && p.name != "file") {
        return Err(issue(
            &format!("body.{}", extra.name),
            "is not a part of this upload",
        ));
    }
    let (meta, file) = (one("meta")?, one("file")?);
    if meta.content_type.as_deref() != Some("application/json") {
        return Err(issue(
            "body.meta",
            "part must be `Content-Type: application/json`",
        ));
    }
    let value: Value = serde_json::from_slice(meta.body)
        .map_err(|e| issue("body.meta", format!("is not JSON: {e}")))?;
    let text = |name: &str| value.get(name).and_then(Value::as_str);
    match &upload.digest {
        UploadDigest::Sha256 => {
            if text("sha256") != Some(hex::encode(Sha256::digest(file.body)).as_str()) {
                return Err(issue(
                    "body.meta.sha256",
                    "is not the SHA-256 of the file part (lowercase hex)",
                ));
            }
        }
        UploadDigest::Sm3 {
            field,
            value: algorithm,
        } => {
            if text(field) != Some(algorithm.as_str()) {
                return Err(issue(
                    &format!("body.meta.{field}"),
                    format!("is not `{algorithm}`"),
                ));
            }
            if text("digest") != Some(hex::encode(sm3::Sm3::digest(file.body)).as_str()) {
                return Err(issue(
                    "body.meta.digest",
                    "is not the SM3 of the file part (lowercase hex)",
                ));
            }
        }
    }
    let filename = file.filename.as_deref().filter(|f| !f.is_empty());
    let filename = filename.ok_or_else(|| issue("body.file", "part has no filename"))?;
    if upload.filename_in_meta && value.get("filename").and_then(Value::as_str) != Some(filename) {
        return Err(issue(
            "body.meta.filename",
            "is not the file part's filename",
        ));
    }
    check_media_type(upload, file.content_type.as_deref())?;
    if let Some(ty) = &op.body {
        check_json(api, "body.meta", ty, &value, &Default::default())?;
    }
    Ok((meta.body, value))
}

fn check_media_type(upload: &Upload, content_type: Option<&str>) -> Result<(), Issue> {
    let content_type =
        content_type.ok_or_else(|| issue("body.file", "part has no Content-Type"))?;
    let Some(allowed) = &upload.media_types else {
        return Ok(());
    };
    if allowed
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case(content_type))
    {
        Ok(())
    } else {
        Err(issue(
            "body.file",
            format!("is `{content_type}`; this upload takes {allowed}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_well_formed_body_gives_its_parts() {
        let body = b"--b\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n{}\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\nPNG\r\n\r\n--b--\r\n";
        let parts = parse(body, "b").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].body, b"{}");
        assert_eq!(parts[1].filename.as_deref(), Some("a.png"));
        // A line break before the delimiter belongs to the content.
        assert_eq!(parts[1].body, b"PNG\r\n");
    }

    #[test]
    fn malformed_bodies_are_refused() {
        for body in [
            &b"--b\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n{}"[..],
            b"x--b\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n{}\r\n--b--",
            b"--b\r\nContent-Disposition: form-data; name=meta\r\n\r\n{}\r\n--b--",
            b"--b\r\nContent-Disposition: attachment; name=\"meta\"\r\n\r\n{}\r\n--b--",
            b"--b\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n{}\r\n--b--junk",
        ] {
            assert!(
                parse(body, "b").is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert!(boundary(Some("application/json")).is_err());
        assert_eq!(
            boundary(Some("multipart/form-data; boundary=\"x y\"")).unwrap(),
            "x y"
        );
    }
}
