//! Finds the line of a YAML path in the source text. The YAML parser locates syntax and shape
//! errors itself; this is for the problems found later (an unresolved `$ref`, a duplicate
//! `operationId`), after the parsed model has lost its spans. Block-style YAML only, which is
//! what the spec files use; for anything else it returns the deepest line it could find.

/// One step of a YAML path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// A YAML path, printed as `paths./v3/x.post.parameters[0]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct YamlPath(pub(crate) Vec<Seg>);

impl YamlPath {
    /// This path extended by a key.
    pub(crate) fn key(&self, key: &str) -> Self {
        let mut segs = self.0.clone();
        segs.push(Seg::Key(key.to_owned()));
        Self(segs)
    }

    /// This path extended by an index.
    pub(crate) fn index(&self, index: usize) -> Self {
        let mut segs = self.0.clone();
        segs.push(Seg::Index(index));
        Self(segs)
    }
}

impl std::fmt::Display for YamlPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(k) if i == 0 => f.write_str(k)?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Debug)]
enum Entry {
    Dash,
    Key(String),
}

/// The 1-based line of `path` in `source`, or of its deepest ancestor that could be found.
pub(crate) fn line_of(source: &str, path: &YamlPath) -> Option<usize> {
    let entries = entries(source);
    let (mut lo, mut hi) = (0, entries.len());
    let mut parent_indent: isize = -1;
    let mut line = None;
    for seg in &path.0 {
        let Some(child) = entries[lo..hi]
            .iter()
            .find(|(_, indent, _)| *indent > parent_indent)
            .map(|(_, indent, _)| *indent)
        else {
            break;
        };
        let mut at_child = (lo..hi).filter(|&i| entries[i].1 == child);
        let found = match seg {
            Seg::Key(k) => at_child.find(|&i| matches!(&entries[i].2, Entry::Key(key) if key == k)),
            Seg::Index(n) => at_child
                .filter(|&i| matches!(entries[i].2, Entry::Dash))
                .nth(*n),
        };
        let Some(idx) = found else { break };
        line = Some(entries[idx].0);
        lo = idx + 1;
        hi = (lo..hi).find(|&j| entries[j].1 <= child).unwrap_or(hi);
        parent_indent = child;
    }
    line
}

/// (line, indent, entry) for every key and list dash, in order.
fn entries(source: &str) -> Vec<(usize, isize, Entry)> {
    let mut out = Vec::new();
    for (n, raw) in source.lines().enumerate() {
        let mut indent = raw.len() - raw.trim_start().len();
        let mut rest = raw.trim_start();
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        while let Some(after) =
            rest.strip_prefix("- ")
                .or(if rest == "-" { Some("") } else { None })
        {
            out.push((n + 1, indent as isize, Entry::Dash));
            indent += 2;
            rest = after.trim_start();
        }
        if let Some(key) = key_of(rest) {
            out.push((n + 1, indent as isize, Entry::Key(key)));
        }
    }
    out
}

fn key_of(text: &str) -> Option<String> {
    let (key, rest) = if let Some(q @ ('"' | '\'')) = text.chars().next() {
        let end = text[1..].find(q)? + 1;
        (text[1..end].to_owned(), &text[end + 1..])
    } else {
        let end = text
            .find(": ")
            .or_else(|| text.strip_suffix(':').map(str::len))?;
        (text[..end].trim_end().to_owned(), &text[end..])
    };
    rest.trim_start().starts_with(':').then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "openapi: 3.0.3\npaths:\n  \"/v3/a\":\n    post:\n      parameters:\n        - name: x\n          in: path\n        - name: y\n          in: query\n      operationId: a\n  /v3/b:\n    get:\n      operationId: b\n";

    #[test]
    fn finds_keys_indexes_and_quoted_keys() {
        let p = YamlPath::default().key("paths").key("/v3/a").key("post");
        assert_eq!(line_of(DOC, &p), Some(4));
        assert_eq!(
            line_of(DOC, &p.key("parameters").index(1).key("in")),
            Some(9)
        );
        assert_eq!(line_of(DOC, &p.key("operationId")), Some(10));
        let b = YamlPath::default()
            .key("paths")
            .key("/v3/b")
            .key("get")
            .key("operationId");
        assert_eq!(line_of(DOC, &b), Some(13));
    }

    #[test]
    fn falls_back_to_the_deepest_ancestor() {
        let p = YamlPath::default().key("paths").key("/v3/b").key("missing");
        assert_eq!(line_of(DOC, &p), Some(11));
        assert_eq!(p.to_string(), "paths./v3/b.missing");
    }
}
