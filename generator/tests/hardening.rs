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
    lower(&sources).map(|api| emit(&api))
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
