//! Mutations of the real spec files in `spec/`: whatever the edit, the generator answers with
//! located errors (every error line starts `file:line:`) or with output in which every file
//! parses as Rust; it never panics.
//!
//! `every_line_deleted_or_garbled` walks each line of each file (of long files, 60 lines at an
//! even stride unless `WECHATPAY_MUTATE_EVERY_LINE=1`); `random_edits` (proptest)
//! combines up to four edits: deleting, duplicating or swapping lines, changing indentation, and
//! replacing a token. CI runs 64 cases; a longer run is
//! `PROPTEST_CASES=10000 cargo test -p wechatpay-generator --test mutations`.

use std::path::Path;

use proptest::prelude::*;
use proptest::sample::{select, Index};
use wechatpay_generator::{emit, lower, read_dir, Source};

fn real_spec() -> Vec<Source> {
    read_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec")).unwrap()
}

/// Checks the answer for a mutated set of files: located errors, or output that parses.
fn check(set: &[Source]) -> Result<(), String> {
    match lower(set).map(|api| emit(&api, "wechatpay_api")) {
        Err(errors) => {
            for e in &errors.0 {
                if e.line.is_none() {
                    return Err(format!("error without a line: {e}"));
                }
            }
            for line in errors.to_string().lines() {
                let located = line
                    .split_once(':')
                    .and_then(|(file, rest)| Some((file, rest.split_once(':')?.0)))
                    .is_some_and(|(file, n)| file.ends_with(".yaml") && n.parse::<usize>().is_ok());
                if !located {
                    return Err(format!("error line without file:line: {line}"));
                }
            }
            Ok(())
        }
        Ok(output) => {
            for file in &output.files {
                if let Err(e) = syn::parse_file(&file.contents) {
                    return Err(format!("{} does not parse: {e}", file.path));
                }
                if file.contents.contains("compile_error!") {
                    return Err(format!("{} is a generator-bug placeholder", file.path));
                }
            }
            Ok(())
        }
    }
}

/// The file at `index` and the files it refers to (`other.yaml#…`), transitively: what lowering
/// it needs. Mutating one file among only these keeps the walk over every line linear in the
/// size of the spec.
fn neighbourhood(sources: &[Source], index: usize) -> Vec<Source> {
    let mut wanted = vec![index];
    let mut i = 0;
    while i < wanted.len() {
        let text = &sources[wanted[i]].text;
        for (j, other) in sources.iter().enumerate() {
            if !wanted.contains(&j) && text.contains(&format!("{}#", other.name)) {
                wanted.push(j);
            }
        }
        i += 1;
    }
    wanted.sort_unstable();
    wanted.into_iter().map(|j| sources[j].clone()).collect()
}

/// Lines mutated per file by default: a mutation re-lowers the whole file, so walking every
/// line of every file costs the square of the file sizes (about 12 minutes on 2 cores for the
/// 489-operation spec). Files up to this many lines are walked line by line; longer ones at an
/// even stride. `WECHATPAY_MUTATE_EVERY_LINE=1` walks every line of every file.
const LINES_PER_FILE: usize = 60;

/// Every real spec file, with each line (or, in long files, every n-th line) deleted or its
/// value replaced by garbage in turn (each with the files it refers to).
#[test]
fn every_line_deleted_or_garbled() {
    let all = real_spec();
    let every_line = std::env::var_os("WECHATPAY_MUTATE_EVERY_LINE").is_some();
    let mut runs = 0;
    for (position, source) in all.iter().enumerate() {
        let sources = neighbourhood(&all, position);
        let index = sources.iter().position(|s| s.name == source.name).unwrap();
        let lines: Vec<&str> = source.text.lines().collect();
        let stride = match every_line {
            true => 1,
            false => lines.len().div_ceil(LINES_PER_FILE).max(1),
        };
        for i in (stride / 2..lines.len()).step_by(stride) {
            let garbage = match lines[i].split_once(": ") {
                Some((key, _)) => format!("{key}: [{{ 17"),
                None => format!("{}  - ~", lines[i]),
            };
            for replacement in [None, Some(garbage)] {
                let mut mutated: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                match replacement {
                    None => {
                        mutated.remove(i);
                    }
                    Some(g) => mutated[i] = g,
                }
                let mut set = sources.clone();
                set[index].text = mutated.join("\n");
                let result = std::panic::catch_unwind(|| check(&set));
                match result {
                    Err(_) => panic!(
                        "the generator panicked on {} with line {} mutated",
                        source.name,
                        i + 1
                    ),
                    Ok(Err(problem)) => {
                        panic!("{} with line {} mutated: {problem}", source.name, i + 1)
                    }
                    Ok(Ok(())) => {}
                }
                runs += 1;
            }
        }
    }
    assert!(runs > 400, "{runs} mutations");
}

/// Tokens an edit may put in place of another: YAML syntax, spec keywords and values that
/// break names, paths, types and references.
const TOKENS: &[&str] = &[
    "",
    "~",
    "null",
    "[",
    "]",
    "{",
    "}",
    "[[[[",
    ":",
    "- ",
    "-",
    "\"",
    "'",
    "&a",
    "*a",
    "!!str",
    "|",
    ">",
    "#",
    "type:",
    "object",
    "string",
    "integer",
    "array",
    "$ref:",
    "required:",
    "properties:",
    "items:",
    "enum:",
    "\"#/components/schemas/Missing\"",
    "\"common.yaml#/components/schemas/ErrorBody\"",
    "{x}",
    "/v3/{x}/{x}",
    "/../",
    "?",
    "0",
    "-1",
    "99999999999999999999",
    "1e400",
    "true",
    "false",
    "x-wechatpay-rust-name:",
    "fn",
    "Self",
    "str",
    "a b",
    "in:",
    "path",
    "query",
    "header",
    "\"\\r\"",
    "```rust",
    "<b>",
    "x-wechatpay-encrypted:",
    "x-wechatpay-unsigned-response:",
    "application/xml",
    "\"204\"",
    "default",
    "operationId:",
    "Option",
    "body",
    "with_x",
    "\u{202e}",
];

#[derive(Debug, Clone)]
enum Edit {
    Delete(Index),
    Duplicate(Index),
    Swap(Index, Index),
    Indent(Index, i8),
    /// Replaces a whitespace-separated word of a line by a token.
    Replace(Index, Index, &'static str),
    /// Replaces a word of a line by a word of another line.
    Transplant(Index, Index, Index, Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<Index>().prop_map(Edit::Delete),
        any::<Index>().prop_map(Edit::Duplicate),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::Swap(a, b)),
        (any::<Index>(), select(vec![-4i8, -2, -1, 1, 2, 4])).prop_map(|(a, d)| Edit::Indent(a, d)),
        (any::<Index>(), any::<Index>(), select(TOKENS))
            .prop_map(|(a, w, t)| Edit::Replace(a, w, t)),
        (
            any::<Index>(),
            any::<Index>(),
            any::<Index>(),
            any::<Index>()
        )
            .prop_map(|(a, w, b, v)| Edit::Transplant(a, w, b, v)),
    ]
}

/// The words of a line, split on single spaces (indentation gives empty words, kept).
fn replace_word(line: &str, word: Index, with: &str) -> String {
    let mut words: Vec<&str> = line.split(' ').collect();
    let filled: Vec<usize> = (0..words.len()).filter(|&i| !words[i].is_empty()).collect();
    if filled.is_empty() {
        return with.to_owned();
    }
    words[filled[word.index(filled.len())]] = with;
    words.join(" ")
}

fn word_of(line: &str, word: Index) -> String {
    let words: Vec<&str> = line.split_whitespace().collect();
    if words.is_empty() {
        return String::new();
    }
    words[word.index(words.len())].to_owned()
}

fn apply(lines: &mut Vec<String>, edit: &Edit) {
    if lines.is_empty() {
        return;
    }
    let n = lines.len();
    match edit {
        Edit::Delete(a) => {
            lines.remove(a.index(n));
        }
        Edit::Duplicate(a) => {
            let i = a.index(n);
            lines.insert(i, lines[i].clone());
        }
        Edit::Swap(a, b) => lines.swap(a.index(n), b.index(n)),
        Edit::Indent(a, d) => {
            let line = &mut lines[a.index(n)];
            if *d > 0 {
                line.insert_str(0, &" ".repeat(*d as usize));
            } else {
                let spaces = line.len() - line.trim_start_matches(' ').len();
                line.drain(..spaces.min(d.unsigned_abs() as usize));
            }
        }
        Edit::Replace(a, w, token) => {
            let i = a.index(n);
            lines[i] = replace_word(&lines[i], *w, token);
        }
        Edit::Transplant(a, w, b, v) => {
            let word = word_of(&lines[b.index(n)], *v);
            let i = a.index(n);
            lines[i] = replace_word(&lines[i], *w, &word);
        }
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn random_edits(file in any::<Index>(), edits in prop::collection::vec(edit(), 1..=4)) {
        // The edited file with the files it refers to, as the walk above does.
        let all = real_spec();
        let name = all[file.index(all.len())].name.clone();
        let mut set = neighbourhood(&all, file.index(all.len()));
        let target = set.iter().position(|s| s.name == name).unwrap();
        let mut lines: Vec<String> = set[target].text.lines().map(str::to_owned).collect();
        for e in &edits {
            apply(&mut lines, e);
        }
        set[target].text = lines.join("\n");
        if let Err(problem) = check(&set) {
            prop_assert!(false, "{} after {edits:?}: {problem}", set[target].name);
        }
    }
}
