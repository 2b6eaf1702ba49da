//! Emission: IR → Rust source. Only printing happens here; every decision was made in lowering.
//! `models` prints types, `operation` prints operation values and their `Operation` impls.
//! Generated code names everything by its full path (`::std::string::String`), so a schema called
//! `Option` or `ToString` cannot shadow std, and its locals start with `__` so that no parameter
//! name can collide with them.

use std::fmt::Write as _;

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use wechatpay_spec::SERDE_BOTH_FEATURE;

mod doc_example;

pub use doc_example::calls_test;
mod events;
mod models;
mod operation;

use crate::ir::{Api, Constraints, Group, Host, MerchantMode, Notes, Ty};

/// One generated file, relative to the `wechatpay-api` crate root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// E.g. `src/generated/papay.rs`.
    pub path: String,
    /// The full contents, `@generated` header first.
    pub contents: String,
}

/// Everything the generator writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The Rust files.
    pub files: Vec<GeneratedFile>,
    /// The cargo `[features]` lines of the API groups, for the marked block of `Cargo.toml`.
    pub features: String,
    /// What lowering degraded rather than refused (see [`crate::ir::Api::warnings`]).
    pub warnings: Vec<wechatpay_spec::SpecError>,
}

/// Prints the whole API for the crate named `krate` in code (`wechatpay_api`): the name the
/// operations' rustdoc examples use.
pub fn emit(api: &Api, krate: &str) -> Output {
    let groups: Vec<&Group> = api.groups_with_code().collect();
    let mut files = render_groups(api, &groups, krate);
    let mut mods = Vec::new();
    let mut features = Vec::new();
    for group in groups {
        let module = ident(&group.module);
        let gate = group
            .feature
            .as_ref()
            .map(|f| quote! { #[cfg(feature = #f)] #[cfg_attr(docsrs, doc(cfg(feature = #f)))] });
        let doc = docs(&format!("{} (`spec/{}`).", group.title, group.file));
        mods.push(quote! { #gate #doc pub mod #module; });
        if let Some(f) = &group.feature {
            let deps = group
                .feature_deps
                .iter()
                .map(|d| format!("\"{d}\""))
                .collect::<Vec<_>>()
                .join(", ");
            features.push((f.clone(), format!("{f} = [{deps}]")));
        }
    }
    files.push(GeneratedFile {
        path: "src/generated/events.rs".to_owned(),
        contents: render("*.yaml", vec![events::events_tokens(api)]),
    });
    let mod_rs = quote! {
        //! The generated API groups: one module and one cargo feature per spec file, and the
        //! notification events of them all.
        #(#mods)*
        mod events;
        pub use events::Event;
    };
    files.push(GeneratedFile {
        path: "src/generated/mod.rs".to_owned(),
        contents: render("*.yaml", vec![mod_rs]),
    });
    let full = features
        .iter()
        .map(|(f, _)| format!("\"{f}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut block = format!(
        "## Every API group.\nfull = [{full}]\n## Models derive the serde direction they do not need too (answers `Serialize`, requests\n## `Deserialize`), to store a value and read it back.\n{SERDE_BOTH_FEATURE} = []\n"
    );
    for (_, line) in &features {
        block.push_str(line);
        block.push('\n');
    }
    Output {
        files,
        features: block,
        warnings: api.warnings.clone(),
    }
}

/// The file of each group, in order. Groups are independent, so they are printed on as many
/// threads as there are cores, each taking every n-th group; the output does not depend on it.
fn render_groups(api: &Api, groups: &[&Group], krate: &str) -> Vec<GeneratedFile> {
    let render_group = |group: &Group| GeneratedFile {
        path: format!("src/generated/{}.rs", group.module),
        contents: render(&group.file, group_tokens(api, group, krate)),
    };
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(groups.len())
        .max(1);
    let rendered: Vec<Vec<GeneratedFile>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let mine = groups.iter().skip(w).step_by(workers);
                scope.spawn(move || mine.map(|g| render_group(g)).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            // A worker only panics on a generator bug; its panic goes on unchanged.
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    // Back in order: group `i` is the next file of worker `i % workers`.
    let mut per_worker: Vec<_> = rendered.into_iter().map(Vec::into_iter).collect();
    (0..groups.len())
        .filter_map(|i| per_worker[i % workers].next())
        .collect()
}

fn render(source: &str, parts: Vec<TokenStream>) -> String {
    let header = format!("// @generated by wechatpay-codegen from {source}. Do not edit: edit the spec and regenerate.\n");
    // The tokens come from our own quote! templates; a parse failure is a generator bug, which
    // we surface as a compile error in the output rather than a panic.
    let mut file = syn::File {
        shebang: None,
        attrs: Vec::new(),
        items: Vec::new(),
    };
    for part in parts {
        match syn::parse2::<syn::File>(part) {
            Ok(parsed) => {
                file.attrs.extend(parsed.attrs);
                file.items.extend(parsed.items);
            }
            Err(e) => {
                return format!(
                    "{header}compile_error!({:?});\n",
                    format!("generator bug: {e}")
                )
            }
        }
    }
    header + &prettyplease::unparse(&file)
}

/// `#[doc]` attributes, one per line, so that they print as `///` comments.
pub(crate) fn docs(text: &str) -> TokenStream {
    let attrs = doc_lines(text)
        .into_iter()
        .map(|line| quote!(#[doc = #line]));
    quote!(#(#attrs)*)
}

/// `#[doc]` attributes of our own text (not spec text), one per line, printed as written: its
/// intra-doc links stay links.
pub(crate) fn own_docs(text: &str) -> TokenStream {
    let attrs = text.lines().map(|line| match line.is_empty() {
        true => quote!(#[doc = ""]),
        false => {
            let line = format!(" {line}");
            quote!(#[doc = #line])
        }
    });
    quote!(#(#attrs)*)
}

/// A field of a `{Name}Required` struct: its rustdoc, whether it is deprecated, its name and
/// type.
pub(crate) struct RequiredField {
    pub(crate) doc: String,
    pub(crate) deprecated: bool,
    pub(crate) name: String,
    pub(crate) ty: TokenStream,
}

/// What `new` takes when `owner` has two or more required values: the parameter
/// `required: {rname}`, the statement unpacking it into locals named like its fields, and the
/// struct itself (`what` says "fields" or "values"). `allow` goes on the struct.
pub(crate) fn required_struct(
    owner: &str,
    rname: &str,
    what: &str,
    fields: &[RequiredField],
    allow: &Option<TokenStream>,
) -> (TokenStream, TokenStream, TokenStream) {
    let rident = ident(rname);
    let names = fields.iter().map(|f| ident(&f.name));
    let members = fields.iter().map(|f| {
        let doc = docs(&f.doc);
        let deprecated = f.deprecated.then(|| quote!(#[deprecated]));
        let (name, ty) = (ident(&f.name), &f.ty);
        quote! { #doc #deprecated pub #name: #ty, }
    });
    let sdoc = own_docs(&format!(
        "The required {what} of [`{owner}`], by name: what [`{owner}::new`] takes. A new required one in a later version is a new field here."
    ));
    (
        quote!(required: #rident),
        quote!(let #rident { #(#names),* } = required;),
        quote! { #sdoc #allow pub struct #rident { #(#members)* } },
    )
}

/// "1 character", "2 characters".
fn characters(n: impl std::fmt::Display) -> String {
    match n.to_string().as_str() {
        "1" => "1 character".to_owned(),
        n => format!("{n} characters"),
    }
}

/// Inner `#![doc]` attributes, one per line.
fn inner_docs(text: &str) -> TokenStream {
    let attrs = doc_lines(text)
        .into_iter()
        .map(|line| quote!(#![doc = #line]));
    quote!(#(#attrs)*)
}

/// Spec text as rustdoc lines that show it and cannot change the code: every line break (a bare
/// `\r` too) ends a line; lines are trimmed, so no indented code block; runs of three or more
/// backticks or tildes are escaped, so no fence and no doctest; `<`, `>` and `&` become
/// entities and `\`, `[`, `]` are escaped outside code spans, so HTML is shown and no link
/// forms but bare URLs, which become autolinks; control and bidirectional characters are written as `U+…`. Code spans (`` `x` ``)
/// that close on their line are kept.
pub(crate) fn doc_lines(text: &str) -> Vec<String> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim();
    if text.is_empty() {
        return Vec::new();
    }
    text.split('\n')
        .map(|line| format!(" {}", escape_line(line.trim())))
        .collect()
}

fn escape_line(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // Only backtick and tilde runs matter; measured once per run, so a line is read in
        // linear time whatever repeats in it.
        let run = match c {
            '`' | '~' => chars[i..].iter().take_while(|&&d| d == c).count(),
            _ => 1,
        };
        match c {
            '`' | '~' if run >= 3 => {
                for _ in 0..run {
                    out.push('\\');
                    out.push(c);
                }
                i += run;
            }
            '`' => match closing_run(&chars, i + run, run) {
                Some(end) => {
                    for &c in &chars[i..end + run] {
                        push_shown(&mut out, c);
                    }
                    i = end + run;
                }
                None => {
                    for _ in 0..run {
                        out.push_str("\\`");
                    }
                    i += run;
                }
            },
            'h' if (i == 0 || !chars[i - 1].is_alphanumeric()) && url_len(&chars[i..]) > 0 => {
                // A bare URL becomes an autolink (`<…>`), which rustdoc does not warn about.
                let len = url_len(&chars[i..]);
                out.push('<');
                out.extend(&chars[i..i + len]);
                out.push('>');
                i += len;
            }
            '<' => {
                out.push_str("&lt;");
                i += 1;
            }
            '>' => {
                out.push_str("&gt;");
                i += 1;
            }
            '&' => {
                out.push_str("&amp;");
                i += 1;
            }
            '\\' | '[' | ']' => {
                out.push('\\');
                out.push(c);
                i += 1;
            }
            c => {
                push_shown(&mut out, c);
                i += 1;
            }
        }
    }
    out
}

/// The length of the `http://` or `https://` URL at the start of `chars` (0 if none): up to a
/// space or a character an autolink cannot hold, without trailing punctuation.
fn url_len(chars: &[char]) -> usize {
    let starts = |p: &str| chars.iter().take(p.len()).copied().eq(p.chars());
    let scheme = if starts("https://") {
        8
    } else if starts("http://") {
        7
    } else {
        return 0;
    };
    let mut len = chars
        .iter()
        .take_while(|&&c| !(c.is_whitespace() || c.is_control() || "<>\"`\\[]".contains(c)))
        .count();
    while len > scheme && ".,;:!?)'".contains(chars[len - 1]) {
        len -= 1;
    }
    if len > scheme {
        len
    } else {
        0
    }
}

/// Where a code span opened by `len` backticks closes: the next run of exactly `len`.
fn closing_run(chars: &[char], from: usize, len: usize) -> Option<usize> {
    let mut j = from;
    while j < chars.len() {
        if chars[j] == '`' {
            let run = chars[j..].iter().take_while(|&&d| d == '`').count();
            if run == len {
                return Some(j);
            }
            j += run;
        } else {
            j += 1;
        }
    }
    None
}

/// Pushes a character as it may appear in a doc comment: control characters (but tab) and the
/// bidirectional controls, which rustc rejects or warns about in comments, as `U+…`.
fn push_shown(out: &mut String, c: char) {
    let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}');
    if (c.is_control() && c != '\t') || bidi {
        let _ = write!(out, "U+{:04X}", c as u32);
    } else {
        out.push(c);
    }
}

pub(crate) fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// The module's inner docs, then one token stream per type and operation: parsing them one
/// by one keeps the cost linear (one giant stream spent its time copying tokens).
fn group_tokens(api: &Api, group: &Group, krate: &str) -> Vec<TokenStream> {
    let mut doc = group.title.clone();
    if let Some(d) = &group.description {
        doc.push_str("\n\n");
        doc.push_str(d.trim());
    }
    if let Some(usage) = group_usage(group) {
        doc.push_str("\n\n");
        doc.push_str(&usage);
    }
    let mut parts = vec![inner_docs(&doc)];
    parts.extend(
        api.types
            .values()
            .filter(|t| t.module == group.module)
            .map(|t| models::type_tokens(api, group, t)),
    );
    parts.extend(
        group
            .operations
            .iter()
            .map(|op| operation::operation_tokens(api, group, op, krate)),
    );
    parts
}

/// Which host the group's operations use and which merchants may call them.
fn group_usage(group: &Group) -> Option<String> {
    if group.operations.is_empty() {
        return None;
    }
    let mainland = group.operations.iter().any(|op| op.host == Host::Mainland);
    let hong_kong = group.operations.iter().any(|op| op.host == Host::HongKong);
    let host = match (mainland, hong_kong) {
        (true, false) => "the mainland host, `api.mch.weixin.qq.com` (backup `api2.mch.weixin.qq.com`)",
        (false, _) => "the Hong Kong host, `apihk.mch.weixin.qq.com`",
        (true, true) => "the mainland host (`api.mch.weixin.qq.com`) and the Hong Kong host (`apihk.mch.weixin.qq.com`), as each operation says",
    };
    let merchants = match group.merchant_modes.as_slice() {
        [MerchantMode::Direct] => "For direct merchants (直连商户).",
        [MerchantMode::ServiceProvider] => {
            "For service providers acting for their sub-merchants (服务商)."
        }
        [_, _] => "For direct merchants (直连商户) and service providers (服务商).",
        _ => "The spec does not say which merchants may call it.",
    };
    Some(format!("Host: {host}. {merchants}"))
}

pub(crate) fn ty_tokens(api: &Api, group: &Group, ty: &Ty) -> TokenStream {
    match ty {
        Ty::String => quote!(::std::string::String),
        Ty::DateTime => quote!(::time::OffsetDateTime),
        Ty::I32 => quote!(i32),
        Ty::I64 => quote!(i64),
        Ty::F64 => quote!(f64),
        Ty::Bool => quote!(bool),
        Ty::Json => quote!(::serde_json::Value),
        Ty::File => quote!(::wechatpay_core::Upload),
        Ty::Vec(inner) => {
            let inner = ty_tokens(api, group, inner);
            quote!(::std::vec::Vec<#inner>)
        }
        Ty::Map(inner) => {
            let inner = ty_tokens(api, group, inner);
            quote!(::std::collections::BTreeMap<::std::string::String, #inner>)
        }
        Ty::Named(name) => {
            let name_ident = ident(name);
            match api.types.get(name) {
                Some(def) if def.module != group.module => {
                    let module = ident(&def.module);
                    quote!(super::#module::#name_ident)
                }
                _ => quote!(#name_ident),
            }
        }
    }
}

pub(crate) fn field_doc(
    doc: &Option<String>,
    c: &Constraints,
    notes: &Notes,
    example: &Option<serde_json::Value>,
    encrypted: bool,
) -> String {
    let mut out = doc.as_deref().map(str::trim).unwrap_or("").to_owned();
    if let Some(title) = notes
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        out = if out.is_empty() {
            title.to_owned()
        } else {
            format!("{title}\n\n{out}")
        };
    }
    let mut facts = Vec::new();
    if let Some(n) = c.max_length {
        facts.push(format!("at most {}", characters(n)));
    }
    if let Some(n) = c.min_length {
        facts.push(format!("at least {}", characters(n)));
    }
    facts.extend(constraint_facts(c));
    if let Some(items) = &c.items {
        let mut each = Vec::new();
        if let Some(n) = items.max_length {
            each.push(format!("at most {}", characters(n)));
        }
        if let Some(n) = items.min_length {
            each.push(format!("at least {}", characters(n)));
        }
        each.extend(constraint_facts(items));
        if !each.is_empty() {
            facts.push(format!("each item {}", each.join(", ")));
        }
    }
    if let Some(f) = &c.format {
        facts.push(match f.as_str() {
            "date-time" => "RFC 3339 date-time, e.g. `2015-05-20T13:29:35+08:00`".to_owned(),
            other => format!("format `{other}`"),
        });
    }
    facts.extend(note_facts(notes));
    if let Some(e) = example {
        facts.push(format!("example: `{e}`"));
    }
    if encrypted {
        facts.push("sensitive: encrypted on the wire (the client encrypts it in requests and decrypts it in answers) and redacted in `Debug`".to_owned());
    }
    if !facts.is_empty() {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&facts.join("; "));
        out.push('.');
    }
    out
}

/// The checked keywords beyond lengths, one short phrase each.
fn constraint_facts(c: &Constraints) -> Vec<String> {
    let mut facts = Vec::new();
    match (c.minimum, c.exclusive_minimum) {
        (Some(n), false) => facts.push(format!("at least {n}")),
        (Some(n), true) => facts.push(format!("greater than {n}")),
        (None, _) => {}
    }
    match (c.maximum, c.exclusive_maximum) {
        (Some(n), false) => facts.push(format!("at most {n}")),
        (Some(n), true) => facts.push(format!("less than {n}")),
        (None, _) => {}
    }
    if let Some(n) = c.multiple_of {
        facts.push(format!("a multiple of {n}"));
    }
    if let Some(p) = &c.pattern {
        facts.push(format!("matches the pattern `{p}`"));
    }
    if let Some(n) = c.min_items {
        facts.push(format!("at least {n} {}", plural(n, "item", "items")));
    }
    if let Some(n) = c.max_items {
        facts.push(format!("at most {n} {}", plural(n, "item", "items")));
    }
    if c.unique_items {
        facts.push("items are distinct".to_owned());
    }
    if let Some(n) = c.min_properties {
        facts.push(format!("at least {n} {}", plural(n, "entry", "entries")));
    }
    if let Some(n) = c.max_properties {
        facts.push(format!("at most {n} {}", plural(n, "entry", "entries")));
    }
    if let Some(values) = &c.enum_subset {
        let values: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
        facts.push(format!("narrowed to {}", values.join(", ")));
    }
    facts
}

/// The documentation-only keywords, one short phrase each.
fn note_facts(notes: &Notes) -> Vec<String> {
    let mut facts = Vec::new();
    if let Some(d) = &notes.default {
        facts.push(format!("default: `{d}`"));
    }
    if notes.read_only {
        facts.push("read-only: sent by the platform only".to_owned());
    }
    if notes.write_only {
        facts.push("write-only: sent to the platform only".to_owned());
    }
    if notes.deprecated {
        facts.push("deprecated".to_owned());
    }
    if let Some(e) = &notes.examples {
        facts.push(format!("examples: `{e}`"));
    }
    if let Some((url, description)) = &notes.external_docs {
        facts.push(match description {
            Some(d) => format!("see {} ({url})", d.trim()),
            None => format!("see {url}"),
        });
    }
    facts
}

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}
