//! Hostile and pathological specs: every one gives located errors (file and line), all at once,
//! or output that parses as Rust; never a panic, a stack overflow or unbounded work.

use wechatpay_generator::{emit, lower, Output, Source, SpecErrors};

/// Lowers and emits one in-memory file, `spec.yaml`; a panic fails the test with its message.
fn generate(text: &str) -> Result<Output, SpecErrors> {
    generate_files(&[("spec.yaml", text)])
}

fn generate_files(files: &[(&str, &str)]) -> Result<Output, SpecErrors> {
    let sources: Vec<Source> = files
        .iter()
        .map(|(name, text)| Source {
            name: (*name).to_owned(),
            text: (*text).to_owned(),
        })
        .collect();
    lower(&sources).map(|api| emit(&api, "wechatpay_api"))
}

/// The errors of a spec that must be refused, each checked to carry its file and line.
fn errors(text: &str) -> String {
    errors_of(generate(text))
}

fn errors_of(result: Result<Output, SpecErrors>) -> String {
    let errors = match result {
        Ok(output) => panic!("accepted:\n{}", output.files[0].contents),
        Err(e) => e,
    };
    for e in &errors.0 {
        assert!(e.line.is_some(), "error without a line: {e}");
    }
    errors.to_string()
}

/// Every generated file parses as Rust.
fn assert_parses(output: &Output) {
    for file in &output.files {
        if let Err(e) = syn::parse_file(&file.contents) {
            panic!("{} does not parse: {e}\n{}", file.path, file.contents);
        }
    }
}

/// A file with one `POST /v3/x` whose body schema is `body`, indented for the body's place.
fn with_body(body: &str) -> String {
    let body: String = body
        .lines()
        .map(|l| format!("              {l}\n"))
        .collect();
    format!("openapi: 3.0.3\ninfo:\n  title: t\n  version: \"1\"\npaths:\n  /v3/x:\n    post:\n      operationId: op\n      requestBody:\n        content:\n          application/json:\n            schema:\n{body}      responses:\n        \"204\":\n          description: ok\n")
}

// --- 11. Bounded work -------------------------------------------------------------------------

#[test]
fn two_hundred_nested_inline_objects_are_a_located_error() {
    let mut body = String::new();
    for level in 0..200 {
        let pad = " ".repeat(4 * level);
        body.push_str(&format!("{pad}type: object\n{pad}properties:\n{pad}  a:\n"));
    }
    body.push_str(&format!("{}type: string\n", " ".repeat(4 * 200)));
    let message = errors(&with_body(&body));
    assert!(message.contains("nests 65 levels deep"), "{message}");
    assert!(message.starts_with("spec.yaml:"), "{message}");
}

#[test]
fn two_hundred_nested_flow_arrays_are_a_located_error() {
    let body = format!(
        "{{type: object, properties: {{a: {}{{type: string}}{}}}}}",
        "{type: array, items: ".repeat(200),
        "}".repeat(200)
    );
    let message = errors(&with_body(&body));
    assert!(message.contains("spec.yaml:13:"), "{message}");
}

/// Schemas nested through `$ref`s: `S{n}` has a property of type `S{n-1}`. `forward` lists
/// `S0` first (each is lowered before the next uses it); otherwise the deepest first.
fn ref_chain(n: usize, forward: bool) -> String {
    let mut components: Vec<String> =
        vec!["    S0: {type: object, properties: {a: {type: string}}}\n".to_owned()];
    for i in 1..=n {
        components.push(format!(
            "    S{i}: {{type: object, properties: {{a: {{$ref: \"#/components/schemas/S{}\"}}}}}}\n",
            i - 1
        ));
    }
    if !forward {
        components.reverse();
    }
    let mut text = with_body(&format!("$ref: \"#/components/schemas/S{n}\""));
    text.push_str("components:\n  schemas:\n");
    text.extend(components);
    text
}

#[test]
fn a_chain_of_three_thousand_refs_is_a_located_error() {
    for forward in [true, false] {
        let message = errors(&ref_chain(3000, forward));
        assert!(message.contains("more than 64 levels"), "{message}");
        assert!(message.contains("components.schemas.S"), "{message}");
    }
}

#[test]
fn schemas_nested_to_the_limit_are_accepted() {
    // S0 is two levels (the object and its string); S62 is 64.
    for forward in [true, false] {
        assert_parses(&generate(&ref_chain(62, forward)).unwrap());
        let message = errors(&ref_chain(63, forward));
        assert!(message.contains("more than 64 levels"), "{message}");
    }
}

/// `S{n}` is the `allOf` of `S{n-1}` and an object adding `a{n}`; listed deepest first.
fn all_of_chain(n: usize) -> String {
    let mut text = with_body(&format!("$ref: \"#/components/schemas/S{n}\""));
    text.push_str("components:\n  schemas:\n");
    for i in (1..=n).rev() {
        text.push_str(&format!(
            "    S{i}: {{allOf: [{{$ref: \"#/components/schemas/S{}\"}}, {{type: object, properties: {{a{i}: {{type: string}}}}}}]}}\n",
            i - 1
        ));
    }
    text.push_str("    S0: {type: object, properties: {a0: {type: string}}}\n");
    text
}

#[test]
fn a_chain_of_three_thousand_all_of_members_is_a_located_error() {
    let message = errors(&all_of_chain(3000));
    assert!(message.contains("more than 64 levels"), "{message}");
    assert!(message.contains("components.schemas.S"), "{message}");
}

#[test]
fn merged_members_within_the_limit_are_one_struct() {
    let output = generate(&all_of_chain(60)).unwrap();
    assert_parses(&output);
    let spec = &output.files[0].contents;
    assert!(spec.contains("pub struct S60 {"), "{spec}");
    assert!(
        spec.contains("pub a0:") && spec.contains("pub a60:"),
        "{spec}"
    );
}

#[test]
fn all_of_members_that_include_themselves_are_a_located_error() {
    let mut text = with_body("$ref: \"#/components/schemas/A\"");
    text.push_str("components:\n  schemas:\n    A: {allOf: [{$ref: \"#/components/schemas/A\"}, {type: object}]}\n");
    let message = errors(&text);
    assert!(
        message.contains("recursive schemas are not supported"),
        "{message}"
    );
}

#[test]
fn two_hundred_kilobytes_of_nested_flow_brackets_are_refused_before_parsing() {
    // The YAML scanner is quadratic in flow depth (this took minutes); it never sees it.
    let text = format!("openapi: {}\n", "[".repeat(200_000));
    let message = errors(&text);
    assert!(message.contains("spec.yaml:1:"), "{message}");
    let text = format!("openapi: {}\n", "[{a: ".repeat(40_000));
    assert!(errors(&text).contains("more than the limit of 64"));
}

#[test]
fn files_over_eight_mib_are_refused() {
    let mut text = with_body("type: object\nproperties:\n  a: {type: string}\n");
    let padding = wechatpay_generator::MAX_FILE_BYTES - text.len() + 1;
    text.push_str(&format!("# {}\n", "x".repeat(padding)));
    let errors = generate(&text).unwrap_err();
    assert_eq!(errors.0.len(), 1, "{errors}");
    assert!(errors.to_string().contains("larger than 8 MiB"), "{errors}");
    // From disk, the file is read no further than the limit.
    let dir = std::env::temp_dir().join(format!("wechatpay-oversized-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("big.yaml"),
        format!("{text}{}", "#".repeat(1 << 20)),
    )
    .unwrap();
    let sources = wechatpay_generator::read_dir(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        sources[0].text.len(),
        wechatpay_generator::MAX_FILE_BYTES + 1
    );
    assert!(lower(&sources)
        .unwrap_err()
        .to_string()
        .contains("larger than 8 MiB"));
}

// --- 8. Names are validated where they are decided --------------------------------------------

/// A file whose body object has the given properties (YAML lines at property indentation).
fn with_properties(properties: &str) -> String {
    let mut body = String::from("type: object\nproperties:\n");
    for line in properties.lines() {
        body.push_str(&format!("  {line}\n"));
    }
    with_body(&body)
}

#[test]
fn rust_names_that_are_not_identifiers_are_located_errors() {
    let message = errors(&with_properties(
        "a: {type: string, x-wechatpay-rust-name: \"a b\"}\nb: {type: object, x-wechatpay-rust-name: \"Not-A-Type\", properties: {c: {type: string}}}",
    ));
    assert!(message.contains("spec.yaml:15: at `paths./v3/x.post.requestBody.content.application/json.schema.properties.a.x-wechatpay-rust-name`: `a b` cannot be a Rust field name"), "{message}");
    assert!(message.contains("spec.yaml:16:"), "{message}");
    assert!(
        message.contains("`Not-A-Type` is not a valid Rust type name"),
        "{message}"
    );
}

#[test]
fn keyword_rust_names_are_located_errors() {
    let message = errors(&with_properties(
        "a: {type: string, x-wechatpay-rust-name: fn}\nb: {type: string, x-wechatpay-rust-name: Self}\nc: {type: object, x-wechatpay-rust-name: type, properties: {d: {type: string}}}\ne: {type: object, x-wechatpay-rust-name: Self, properties: {d: {type: string}}}",
    ));
    assert_eq!(message.lines().count(), 4, "{message}");
    assert!(
        message.contains("`fn` cannot be a Rust field name: it is a Rust keyword"),
        "{message}"
    );
    assert!(
        message.contains("`Self` cannot be a Rust field name"),
        "{message}"
    );
    assert!(
        message.contains("`type` cannot be a generated type name"),
        "{message}"
    );
    assert!(
        message.contains("`Self` cannot be a generated type name: it is a Rust keyword"),
        "{message}"
    );
}

#[test]
fn type_names_that_would_shadow_primitive_types_are_located_errors() {
    let mut text = with_body("$ref: \"#/components/schemas/Text\"");
    text.push_str("components:\n  schemas:\n    Text:\n      x-wechatpay-rust-name: str\n      type: object\n      properties:\n        a: {type: string, enum: [A], x-wechatpay-rust-name: i32}\n");
    let message = errors(&text);
    assert!(message.contains("at `components.schemas.Text`: `str` cannot be a generated type name: type names start with an uppercase ASCII letter"), "{message}");
    assert!(
        message.contains("`i32` cannot be a generated type name"),
        "{message}"
    );
}

#[test]
fn std_names_stay_usable_because_generated_code_names_std_by_full_path() {
    let mut text = with_body("$ref: \"#/components/schemas/Result\"");
    text.push_str("components:\n  schemas:\n    Result:\n      type: object\n      properties:\n        vec: {type: array, items: {type: string}}\n        string: {type: object, x-wechatpay-rust-name: String, properties: {a: {type: string}}}\n");
    let output = generate(&text).unwrap();
    assert_parses(&output);
    assert!(output.files[0].contents.contains("pub struct Result {"));
    assert!(output.files[0]
        .contents
        .contains("pub string: ::std::option::Option<String>"));
}

#[test]
fn duplicate_module_names_are_located_errors() {
    let text = with_properties("a: {type: string}");
    // A file name's error is about the whole file: it has no line.
    let message = generate_files(&[("a-b.yaml", &text), ("a-b.yml", &text)])
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("the file name `a-b` gives the module `a_b`, as `a-b.yaml` does"),
        "{message}"
    );
}

#[test]
fn module_names_the_api_crate_root_uses_are_located_errors() {
    let text = with_properties("a: {type: string}");
    for file in [
        "crypto.yaml",
        "operation.yaml",
        "time.yaml",
        "wechatpay-core.yaml",
        "serde.yaml",
    ] {
        let errors = generate_files(&[(file, &text)]).unwrap_err();
        assert!(
            errors
                .to_string()
                .contains("a name the `wechatpay-api` crate root or generated code uses"),
            "{errors}"
        );
    }
}

#[test]
fn parameters_mapping_to_one_rust_name_are_escaped() {
    let text = "openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\npaths:\n  /v3/x/{x}:\n    get:\n      operationId: op\n      parameters:\n        - {name: x, in: path, required: true, schema: {type: string}}\n        - {name: x, in: query, schema: {type: string}}\n        - {name: x_query, in: query, schema: {type: string}}\n        - {name: X-Query, in: header, schema: {type: string}}\n      responses:\n        \"204\": {description: ok}\n";
    let api = lower(&[Source {
        name: "spec.yaml".into(),
        text: text.into(),
    }])
    .unwrap();
    let names: Vec<&str> = api.groups[0].operations[0]
        .params
        .iter()
        .map(|p| p.rust_name.as_str())
        .collect();
    assert_eq!(names, ["x", "x_query", "x_query_query", "x_query_header"]);
    let setters: Vec<&str> = api.groups[0].operations[0]
        .members
        .iter()
        .map(|m| m.setter.as_str())
        .collect();
    assert_eq!(
        setters,
        [
            "with_x",
            "with_x_query",
            "with_x_query_query",
            "with_x_query_header"
        ]
    );
    assert_parses(&emit(&api, "wechatpay_api"));
}

#[test]
fn a_parameter_declared_twice_is_a_located_error() {
    let text = "openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\npaths:\n  /v3/x:\n    parameters:\n      - {name: limit, in: query, schema: {type: integer}}\n    get:\n      operationId: op\n      parameters:\n        - {name: limit, in: query, schema: {type: integer}}\n        - {name: X-A, in: header, schema: {type: string}}\n        - {name: x-a, in: header, schema: {type: string}}\n      responses:\n        \"204\": {description: ok}\n";
    let message = errors(text);
    assert!(message.contains("spec.yaml:10: at `paths./v3/x.get.parameters[0].name`: parameter `limit` (`in: query`) is declared twice; spec.yaml:6"), "{message}");
    assert!(message.contains("spec.yaml:12:"), "{message}");
}

#[test]
fn colliding_setters_are_escaped() {
    let output = generate(&with_properties(
        "ty: {type: string}\nkind: {type: string, x-wechatpay-rust-name: ty_}\nmore: {type: string, x-wechatpay-rust-name: ty__}",
    ))
    .unwrap();
    assert_parses(&output);
    let text = &output.files[0].contents;
    for setter in ["fn with_ty(", "fn with_ty_(", "fn with_ty__("] {
        assert_eq!(
            text.matches(setter).count(),
            1,
            "{setter} on the operation only (it builds its body):\n{text}"
        );
    }
}

// --- 9. Spec text cannot change the code ------------------------------------------------------

/// The rustdoc lines of a generated file: the text after `///` or `//!`.
fn doc_lines(contents: &str) -> impl Iterator<Item = &str> {
    contents.lines().filter_map(|l| {
        let l = l.trim_start();
        l.strip_prefix("///").or_else(|| l.strip_prefix("//!"))
    })
}

/// Every generated file of every `fixtures/ok` spec and of `spec/`.
fn every_output() -> Vec<(String, Output)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec![root.join("../spec")];
    let mut fixtures: Vec<_> = std::fs::read_dir(root.join("tests/fixtures/ok"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    fixtures.sort();
    dirs.extend(fixtures);
    dirs.iter()
        .map(|d| {
            let output = wechatpay_generator::generate_dir(d, "wechatpay_api").unwrap();
            (d.display().to_string(), output)
        })
        .collect()
}

/// What a Markdown line holds once its block containers are taken off: up to three spaces of
/// indentation, block quote markers (`>`) and list item markers (`-`, `*`, `+`, `1.`, `1)`),
/// in any nesting. A fence opens only where this starts with ```` ``` ```` or `~~~`.
fn block_content(mut text: &str) -> &str {
    loop {
        let trimmed = text.trim_start_matches(' ');
        if text.len() - trimmed.len() > 3 {
            return text;
        }
        let digits = trimmed.len()
            - trimmed
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .len();
        let quote_or_bullet = trimmed.starts_with('>')
            || (trimmed.starts_with(['-', '*', '+']) && trimmed[1..].starts_with(' '));
        let marker = if quote_or_bullet {
            1
        } else if (1..=9).contains(&digits) && trimmed[digits..].starts_with(['.', ')']) {
            digits + 1
        } else {
            return trimmed;
        };
        text = &trimmed[marker..];
        text = text.strip_prefix(' ').unwrap_or(text);
    }
}

/// The generator's own example sections: `# Example`, a blank line, a ` ```no_run ` fence, code
/// without any fence marker in it, and the closing fence. Returns where each section's lines
/// are, and fails on a malformed one.
fn example_sections(lines: &[&str], dir: &str) -> Vec<std::ops::Range<usize>> {
    let mut sections = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i] != " # Example" {
            i += 1;
            continue;
        }
        assert_eq!(lines.get(i + 1), Some(&""), "{dir}: after # Example");
        assert_eq!(lines.get(i + 2), Some(&" ```no_run"), "{dir}: the fence");
        let close = (i + 3..lines.len())
            .find(|&k| lines[k] == " ```")
            .unwrap_or_else(|| panic!("{dir}: an example that does not close"));
        for line in &lines[i + 3..close] {
            assert!(
                !line.contains("```") && !line.contains("~~~"),
                "{dir}: a fence marker inside an example: {line}"
            );
        }
        sections.push(i..close + 1);
        i = close + 1;
    }
    sections
}

#[test]
fn no_emitted_rustdoc_line_opens_a_code_block() {
    let mut hostile = false;
    let mut examples = 0;
    for (dir, output) in every_output() {
        hostile |= dir.ends_with("hostile_docs");
        for file in &output.files {
            let lines: Vec<&str> = doc_lines(&file.contents).collect();
            let sections = example_sections(&lines, &dir);
            examples += sections.len();
            for (k, line) in lines.iter().enumerate() {
                if sections.iter().any(|s| s.contains(&k)) {
                    continue;
                }
                let text = line.strip_prefix(' ').unwrap_or(line);
                assert!(
                    !text.starts_with("    ") && !text.starts_with('\t'),
                    "an indented code block: {dir}: {line}"
                );
                let opened = block_content(text);
                assert!(
                    !opened.starts_with("```") && !opened.starts_with("~~~"),
                    "a fence: {dir}: {line}"
                );
            }
        }
    }
    assert!(hostile, "the hostile_docs fixture is among them");
    assert!(examples > 60, "every operation has its example: {examples}");
}

#[test]
fn a_hostile_example_value_does_not_reach_the_example_code() {
    let (_, output) = every_output()
        .into_iter()
        .find(|(dir, _)| dir.ends_with("hostile_docs"))
        .unwrap();
    let code = &output.files[0].contents;
    let start = code.find("/// # Example").expect("an example section");
    let end = start + code[start..].find("/// ```\n").expect("closed");
    let section = &code[start..end];
    assert!(
        section.contains("HostileDocs::new(HostileDocsRequired {\n///     id: \"example\".into(),"),
        "{section}"
    );
    assert!(!section.contains("compile_error"), "{section}");
    // The value itself is still shown, escaped, where the parameter is documented.
    assert!(code.contains("an example value ran"));
}

#[test]
fn html_in_descriptions_is_shown_not_interpreted() {
    let text = with_properties(
        "a: {type: string, description: \"<script>x</script> <!-- & <b>bold</b> `<kept>`\"}",
    );
    let output = generate(&text).unwrap();
    let doc: Vec<&str> = doc_lines(&output.files[0].contents)
        .filter(|l| l.contains("script"))
        .collect();
    assert_eq!(
        doc,
        [" &lt;script&gt;x&lt;/script&gt; &lt;!-- &amp; &lt;b&gt;bold&lt;/b&gt; `<kept>`"]
    );
}

#[test]
fn a_bare_carriage_return_in_a_description_ends_the_line() {
    let text = with_properties("a: {type: string, description: \"one\\rtwo\\r\\nthree\"}");
    let output = generate(&text).unwrap();
    assert_parses(&output);
    let contents = &output.files[0].contents;
    assert!(!contents.contains('\r'));
    assert!(
        contents.contains("    /// one\n    /// two\n    /// three\n"),
        "{contents}"
    );
}

#[test]
fn an_unbalanced_fence_does_not_swallow_the_rest() {
    let text = with_properties(
        "a: {type: string, description: \"```rust\\nfn f() {}\"}\nb: {type: string, description: after}",
    );
    let output = generate(&text).unwrap();
    let contents = &output.files[0].contents;
    assert!(
        contents.contains("    /// \\`\\`\\`rust\n    /// fn f() {}\n"),
        "{contents}"
    );
    assert!(contents.contains("    /// after\n"), "{contents}");
}

// --- 10. Path templates are validated ---------------------------------------------------------

/// A file with one `GET` per path template, each with the given path parameters.
fn with_paths(paths: &[(&str, &[&str])]) -> String {
    let mut text = String::from("openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\npaths:\n");
    for (i, (template, params)) in paths.iter().enumerate() {
        text.push_str(&format!(
            "  \"{template}\":\n    get:\n      operationId: op{i}\n"
        ));
        if !params.is_empty() {
            text.push_str("      parameters:\n");
            for p in *params {
                text.push_str(&format!(
                    "        - {{name: {p}, in: path, required: true, schema: {{type: string}}}}\n"
                ));
            }
        }
        text.push_str("      responses:\n        \"204\": {description: ok}\n");
    }
    text
}

#[test]
fn path_templates_are_validated() {
    let cases: &[(&str, &[&str], &str)] = &[
        ("v3/x", &[], "it must start with `/`"),
        ("/v3/{a", &["a"], "a `{` is never closed"),
        ("/v3/a}", &[], "`}` without its `{`"),
        ("/v3/{{a}}", &["a"], "`{` inside a placeholder"),
        ("/v3/{}", &[], "`{}` is not a placeholder name"),
        ("/v3/{a}/{a}", &["a"], "the placeholder `{a}` appears twice"),
        ("/v3/../x", &[], "`.` or `..` segments"),
        ("/v3/./x", &[], "`.` or `..` segments"),
        ("/v3/x?y=1", &[], "must not hold `?` or `#`"),
        ("/v3/x#f", &[], "must not hold `?` or `#`"),
        ("/v3/x y", &[], "` ` is not a URL path character"),
    ];
    for (template, params, needle) in cases {
        let message = errors(&with_paths(&[(template, params)]));
        assert!(
            message.contains(&format!(
                "spec.yaml:4: at `paths.{template}`: bad path template: "
            )),
            "{template}: {message}"
        );
        assert!(message.contains(needle), "{template}: {message}");
    }
    // All at once, each on its own line.
    let all: Vec<(&str, &[&str])> = cases.iter().map(|(t, p, _)| (*t, *p)).collect();
    let message = errors(&with_paths(&all));
    assert_eq!(
        message.matches("bad path template").count(),
        cases.len(),
        "{message}"
    );
}

#[test]
fn each_placeholder_is_declared_exactly_once_and_each_path_parameter_used() {
    let message = errors(&with_paths(&[
        ("/v3/{a}", &[]),
        ("/v3/b", &["b"]),
        ("/v3/c/{c}", &["c", "c"]),
    ]));
    assert!(
        message.contains("the path has `{a}` but no `in: path` parameter named `a`"),
        "{message}"
    );
    assert!(
        message.contains("path parameter `b` does not appear in the path"),
        "{message}"
    );
    assert!(
        message.contains("parameter `c` (`in: path`) is declared twice"),
        "{message}"
    );
    assert_parses(&generate(&with_paths(&[("/v3/{a}/x/{b}.json", &["a", "b"])])).unwrap());
}

/// One endpoint (host, method, path shape) is one operation: declared again, in the same file
/// with other placeholder names or in another file, it is an error naming the first place.
#[test]
fn a_duplicate_endpoint_is_a_located_error() {
    let message = errors(&with_paths(&[
        ("/v3/things/{id}", &["id"]),
        ("/v3/things/{thing_id}", &["thing_id"]),
        ("/v3/things/{id}/parts", &["id"]),
    ]));
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains("`GET /v3/things/{thing_id}` is already declared at spec.yaml:5 (`paths./v3/things/{id}.get`)"),
        "{message}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, id: &str| {
        format!("openapi: 3.0.3\ninfo: {{title: {name}, version: \"1\"}}\npaths:\n  /v3/same:\n    post:\n      operationId: {id}\n      responses:\n        \"204\": {{description: ok}}\n")
    };
    std::fs::write(dir.path().join("a.yaml"), file("a", "first")).unwrap();
    std::fs::write(dir.path().join("b.yaml"), file("b", "second")).unwrap();
    let message = match wechatpay_generator::generate_dir(dir.path(), "wechatpay_api") {
        Ok(_) => panic!("a duplicate across files is refused"),
        Err(e) => e.to_string(),
    };
    assert!(
        message.contains(
            "b.yaml:5: at `paths./v3/same.post`: `POST /v3/same` is already declared at a.yaml:5"
        ),
        "{message}"
    );
}

#[test]
fn each_error_is_one_line_even_when_the_yaml_key_holds_a_line_break() {
    let text = "openapi: 3.0.3\ninfo: {title: t, version: \"1\", \"a\\nb\": 1}\n";
    let message = errors(text);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.starts_with("spec.yaml:2:"), "{message}");
    assert!(message.contains("unknown field `a\\nb`"), "{message}");
}

/// An upload whose `meta` has `digest_algorithm` as its `algorithm` member and `extra` more
/// properties.
fn sm3_upload(algorithm: &str) -> String {
    format!(
        "openapi: 3.0.3\ninfo:\n  title: t\n  version: \"1\"\npaths:\n  /v3/files:\n    post:\n      operationId: uploadFile\n      requestBody:\n        content:\n          multipart/form-data:\n            schema:\n              type: object\n              properties:\n                file: {{type: string, format: binary}}\n                meta:\n                  type: object\n                  required: [digest, digest_alogrithm, kind]\n                  properties:\n                    digest: {{type: string}}\n                    digest_alogrithm: {algorithm}\n                    kind: {{type: string}}\n      responses:\n        \"204\":\n          description: ok\n"
    )
}

/// An SM3 upload's algorithm member must allow exactly one value (what the client writes);
/// with one, the client fills `digest` and it, and the caller gives only the other members.
#[test]
fn an_sm3_upload_needs_its_algorithm_to_be_one_value() {
    let output = generate(&sm3_upload("{type: string, enum: [SM3]}")).unwrap();
    assert_parses(&output);
    let code = &output.files[0].contents;
    assert!(
        code.contains("MetaDigest::Sm3") && code.contains("\"digest_alogrithm\""),
        "{code}"
    );
    assert!(
        code.contains("pub kind:") && !code.contains("pub digest:"),
        "{code}"
    );
    // The client computes SM3: any other value, or more than one, is a located error.
    for algorithm in [
        "{type: string, enum: [SM3, SHA256]}",
        "{type: string, enum: [SHA256]}",
        "{type: string}",
    ] {
        let message = errors(&sm3_upload(algorithm));
        assert!(
            message.contains("spec.yaml:") && message.contains("the one value `SM3`"),
            "{algorithm}: {message}"
        );
    }
    // Both digests: which one the client writes is ambiguous.
    let both = sm3_upload("{type: string, enum: [SM3]}").replace(
        "                    kind: {type: string}\n",
        "                    kind: {type: string}\n                    sha256: {type: string}\n",
    );
    let message = errors(&both);
    assert!(
        message.contains("both `sha256` and an SM3 `digest`"),
        "{message}"
    );
}
