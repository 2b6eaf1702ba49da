//! ARCHITECTURE.md says dependencies between a crate's modules point one way. This checks it:
//! in every crate of the workspace, the top-level modules and the `crate::…` paths their code
//! names (comments and `#[cfg(test)] mod tests` left out) form no circle. And the public surface
//! is deliberate: every public type of the core is reachable from `wechatpay_api`'s root or from
//! a module the facade re-exports whole.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod common;
use common::workspace;

const CRATES: &[&str] = &[
    "wechatpay-core",
    "wechatpay-api",
    "wechatpay-mock",
    "spec-model",
    "generator",
    "xtask",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file: without its unit tests and without comments.
fn code(text: &str) -> String {
    let text = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .map(|line| line.split(" //").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a piece of code names through `crate::`, also inside
/// `use crate::{a::X, b::{Y, Z}}`.
fn named_modules(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let word = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
            .collect()
    };
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // One level of braces is enough: the first segment of each path in the group.
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        names.insert(word(group[start..i].trim_start()));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        names.insert(word(group[start..i].trim_start()));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            names.insert(word(rest));
        }
    }
    names
}

/// Module → the other top-level modules it names.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let top = |path: &Path| -> String {
        let rel = path.strip_prefix(src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        first.trim_end_matches(".rs").to_owned()
    };
    let modules: BTreeSet<String> = files
        .iter()
        .map(|p| top(p))
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = (modules.iter())
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    for file in &files {
        let from = top(file);
        if !modules.contains(&from) {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        for to in named_modules(&code(&text)) {
            if to != from && modules.contains(&to) {
                graph.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    graph
}

/// A circle of the graph, if it has one.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, done, path) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut done, &mut Vec::new()))
}

#[test]
fn no_crate_has_a_module_import_circle() {
    for krate in CRATES {
        let graph = graph(&workspace().join(krate).join("src"));
        assert!(graph.len() > 1, "{krate}: no modules read");
        if let Some(found) = circle(&graph) {
            panic!(
                "{krate}: the modules import each other in a circle: {}",
                found.join(" → ")
            );
        }
    }
}

#[test]
fn the_check_finds_a_circle_and_reads_grouped_imports() {
    let code = code("use crate::{a::X, b::{Y, Z}};\n// crate::c::W\nfn f() { crate::d::g(); }");
    assert_eq!(
        named_modules(&code),
        ["a", "b", "d"].into_iter().map(String::from).collect()
    );
    let edges = |pairs: &[(&str, &str)]| {
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in pairs {
            graph.entry((*a).into()).or_default().insert((*b).into());
        }
        graph
    };
    assert_eq!(circle(&edges(&[("a", "b"), ("b", "c")])), None);
    assert_eq!(
        circle(&edges(&[("a", "b"), ("b", "c"), ("c", "a")])),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
}

/// The leaves of `pub use PREFIX{a, b::{c, d}}` items (and `pub use PREFIXx;`) in `code`.
fn reexported(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for item in code.split(';') {
        let item = item.replace(char::is_whitespace, "");
        let Some(start) = item.find(&format!("pubuse{prefix}")) else {
            continue;
        };
        let path = &item[start + "pubuse".len() + prefix.len()..];
        for leaf in path.split([',', '{', '}']) {
            let leaf = leaf.rsplit("::").next().unwrap_or_default();
            if !leaf.is_empty() && leaf != "self" && leaf != "*" {
                names.insert(leaf.to_owned());
            }
        }
    }
    names
}

#[test]
fn every_public_type_of_the_core_is_reachable_from_the_facade() {
    let core_src = workspace().join("wechatpay-core/src");
    let core_lib = code(&std::fs::read_to_string(core_src.join("lib.rs")).unwrap());
    let facade =
        code(&std::fs::read_to_string(workspace().join("wechatpay-api/src/lib.rs")).unwrap());
    // Modules the facade re-exports whole; `protocol` is shared through the hidden
    // `__private` module and is outside the public surface.
    let whole = reexported(&facade, "wechatpay_core::");
    for module in ["operation", "transport", "json_string", "blocking", "axum"] {
        assert!(
            whole.contains(module),
            "the facade does not re-export `{module}`: {whole:?}"
        );
    }
    let at_core_root = reexported(&core_lib, "");
    // What the hidden `__private` module shares with the mock and the tests (`pub use
    // crate::…` there), outside the public surface on purpose.
    let hidden = reexported(&core_lib, "crate::");
    let mut files = Vec::new();
    rust_files(&core_src, &mut files);
    let mut unreachable = Vec::new();
    let mut seen = 0;
    for file in &files {
        let module = file
            .strip_prefix(&core_src)
            .unwrap()
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if module == "protocol" || whole.contains(&module) {
            continue;
        }
        let text = code(&std::fs::read_to_string(file).unwrap());
        for line in text.lines() {
            // Types anywhere; functions and constants at the top level (not methods).
            let top = !line.starts_with(char::is_whitespace);
            let line = line.trim_start();
            let item = ["pub struct ", "pub enum ", "pub trait ", "pub type "]
                .iter()
                .chain(
                    top.then_some(["pub fn ", "pub const ", "pub static "].iter())
                        .into_iter()
                        .flatten(),
                )
                .find_map(|p| line.strip_prefix(p));
            let Some(rest) = item else {
                continue;
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            seen += 1;
            if hidden.contains(&name) {
                continue;
            }
            if !(at_core_root.contains(&name) && whole.contains(&name)) {
                unreachable.push(format!("{module}::{name}"));
            }
        }
    }
    assert!(seen > 30, "the reader found only {seen} public items");
    assert!(
        unreachable.is_empty(),
        "public items of wechatpay-core that `wechatpay_api` does not re-export at its root: {unreachable:?}"
    );
}
