//! Bounded work: limits checked on the raw text before the YAML parser sees it, and the schema
//! nesting limit of lowering. The parser's scanner is quadratic in the depth of flow collections
//! (200 KB of `[[[…` took minutes) and deserializing a schema costs tens of KB of stack per level,
//! so a deep file is refused, located, before either runs.

/// The largest spec file accepted, in bytes (8 MiB).
pub const MAX_FILE_BYTES: usize = 8 << 20;

/// The deepest nesting accepted: of the YAML text (block indentation, `-` items and flow `[`/`{`
/// together), and of schemas (inline objects, array items and `$ref`s followed).
pub const MAX_DEPTH: usize = 64;

/// The first line whose YAML nesting, as estimated from the raw text, is deeper than
/// [`MAX_DEPTH`], with that depth. The estimate errs on the deep side: every indentation step,
/// every `- ` and every flow bracket counts one level.
pub(crate) fn too_deep(text: &str) -> Option<(usize, usize)> {
    let mut scanner = Scanner::default();
    for (n, line) in text.split('\n').enumerate() {
        if let Some(depth) = scanner.line(line.strip_suffix('\r').unwrap_or(line)) {
            return Some((n + 1, depth));
        }
    }
    None
}

#[derive(Debug)]
enum Open {
    /// A `- ` item.
    Dash,
    /// A `key:`; `empty` when nothing follows the colon, so that its value may be a sequence
    /// at the same indentation.
    Key { empty: bool },
}

#[derive(Default)]
struct Scanner {
    /// Open block nodes: (indentation, kind).
    block: Vec<(usize, Open)>,
    /// Depth of open flow collections (they may span lines).
    flow: usize,
    /// The quote of a quoted scalar that spans lines.
    quote: Option<char>,
    /// The indentation of the line that opened a block scalar (`|`, `>`) being skipped.
    block_scalar: Option<usize>,
}

impl Scanner {
    /// Scans one line; the depth reached if it is too deep.
    fn line(&mut self, line: &str) -> Option<usize> {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = &line[indent..];
        if let Some(parent) = self.block_scalar {
            if rest.trim().is_empty() || indent > parent {
                return None;
            }
            self.block_scalar = None;
        }
        let mut at = indent;
        if self.flow == 0 && self.quote.is_none() {
            if rest.trim().is_empty() || rest.starts_with('#') {
                return None;
            }
            let dash = rest.starts_with("- ") || rest == "-";
            while let Some((top, open)) = self.block.last() {
                let keeps = *top < indent
                    || (*top == indent && dash && matches!(open, Open::Key { empty: true }));
                if keeps {
                    break;
                }
                self.block.pop();
            }
            let mut rest = rest;
            while rest.starts_with("- ") || rest == "-" {
                self.block.push((at, Open::Dash));
                let after = rest[1..].trim_start_matches(' ');
                at += rest.len() - after.len();
                rest = after;
            }
            if let Some(colon) = key_colon(rest) {
                let empty = rest[colon + 1..].trim().is_empty()
                    || rest[colon + 1..].trim_start().starts_with('#');
                self.block.push((at, Open::Key { empty }));
            }
            if self.block.len() > MAX_DEPTH {
                return Some(self.block.len());
            }
        }
        self.inline(&line[at..], indent)
    }

    /// Quotes, comments, flow brackets and block-scalar indicators within a line.
    fn inline(&mut self, text: &str, indent: usize) -> Option<usize> {
        let mut chars = text.chars().peekable();
        // Whether the next character starts a node (after `: `, `- `, `[`, `{`, `,`, or at
        // the start of the line).
        let mut node_start = true;
        let mut prev_space = true;
        while let Some(c) = chars.next() {
            if let Some(q) = self.quote {
                match c {
                    '\\' if q == '"' => {
                        chars.next();
                    }
                    '\'' if q == '\'' && chars.peek() == Some(&'\'') => {
                        chars.next();
                    }
                    c if c == q => {
                        self.quote = None;
                        node_start = false;
                    }
                    _ => {}
                }
                prev_space = false;
                continue;
            }
            match c {
                '#' if prev_space => return None,
                '"' | '\'' if node_start => self.quote = Some(c),
                '[' | '{' if node_start || self.flow > 0 => {
                    self.flow += 1;
                    let depth = self.block.len() + self.flow;
                    if depth > MAX_DEPTH {
                        return Some(depth);
                    }
                    node_start = true;
                    prev_space = true;
                    continue;
                }
                ']' | '}' if self.flow > 0 => self.flow -= 1,
                ',' if self.flow > 0 => {
                    node_start = true;
                    prev_space = true;
                    continue;
                }
                '|' | '>' if node_start && self.flow == 0 => {
                    let tail: String = chars.clone().collect();
                    let tail = tail.trim_start_matches([
                        '+', '-', '1', '2', '3', '4', '5', '6', '7', '8', '9',
                    ]);
                    if tail.trim().is_empty() || tail.trim_start().starts_with('#') {
                        self.block_scalar = Some(indent);
                        return None;
                    }
                }
                ' ' | '\t' => {
                    prev_space = true;
                    continue;
                }
                ':' | '-' | '?' if chars.peek().is_none_or(|n| *n == ' ') => {
                    node_start = true;
                    prev_space = false;
                    continue;
                }
                _ => {}
            }
            node_start = false;
            prev_space = false;
        }
        None
    }
}

/// The byte offset of the colon of a block mapping key (`key:` or `key: value`), if the text
/// starts with one.
fn key_colon(text: &str) -> Option<usize> {
    if let Some(q @ ('"' | '\'')) = text.chars().next() {
        let end = text[1..].find(q)? + 1;
        let after = &text[end + 1..];
        let colon = end + 1 + (after.len() - after.trim_start().len());
        return (text[colon..].starts_with(':')
            && text[colon + 1..].chars().next().is_none_or(|c| c == ' '))
        .then_some(colon);
    }
    if text.starts_with(['[', '{', '#']) {
        return None;
    }
    text.find(": ")
        .or_else(|| text.strip_suffix(':').map(str::len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_shapes_are_shallow() {
        let text =
            "a:\n  b:\n    - c: 1\n      d: [1, {e: 2}]\n    - |\n      [[[[[[\n  f: 'it''s'\n";
        assert_eq!(too_deep(text), None);
    }

    #[test]
    fn deep_flow_is_found_on_its_line() {
        let text = format!("a: 1\nb: {}\n", "[".repeat(200_000));
        assert_eq!(too_deep(&text), Some((2, MAX_DEPTH + 1)));
    }

    #[test]
    fn lines_are_counted_with_crlf_too() {
        let text = format!("a: 1\r\nb: 2\r\nc: {}\r\n", "[".repeat(100));
        assert_eq!(too_deep(&text), Some((3, MAX_DEPTH + 1)));
    }

    #[test]
    fn deep_blocks_are_found() {
        let mut text = String::new();
        for i in 0..100 {
            text.push_str(&format!("{}k{i}:\n", " ".repeat(i)));
        }
        assert_eq!(too_deep(&text), Some((MAX_DEPTH + 1, MAX_DEPTH + 1)));
    }

    #[test]
    fn sequences_at_the_indentation_of_their_key_count() {
        let mut text = String::from("a:\n");
        for i in 0..40 {
            text.push_str(&format!("{}- b{i}:\n", " ".repeat(2 * i)));
        }
        // Each `- bN:` line opens two levels (the item and its mapping).
        assert!(too_deep(&text).is_some());
    }

    #[test]
    fn brackets_in_plain_text_and_block_scalars_do_not_count() {
        let deep = "[".repeat(100);
        let text = format!("a: x{deep}\nb: |\n  {deep}\nc: \"{deep}\"\nd: 1 # {deep}\n");
        assert_eq!(too_deep(&text), None);
    }
}
