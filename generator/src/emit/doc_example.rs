//! The rustdoc example of each operation: `new` called with the spec's examples (completed from
//! the schema in lowering, see `Member::example`), the call on the async client, and a look at the
//! answer. It is a `no_run` doctest of the generated crate, so it compiles or the crate's doc
//! tests fail.
//!
//! The example is printed by prettyplease like the rest of the code. Example strings come from the
//! spec, so one that could end the code fence or hide characters is replaced by a plain one.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{Literal, TokenStream};
use quote::{quote, ToTokens};
use serde_json::Value;

use super::ident;
use crate::ir::{Api, Member, MemberTarget, Operation, SuccessKind, Ty, TypeKind};

/// Answer fields shown by the example, at most.
const SHOWN_FIELDS: usize = 3;

/// The `# Example` section of `op`'s rustdoc (`op` is in the group module `module`), for a crate whose root code names `krate`
/// (`wechatpay_api`, or a path to a module that stands for a crate root).
pub(super) fn example_section(api: &Api, module: &str, op: &Operation, krate: &str) -> String {
    // A crate name that is not a path gets no examples rather than a panic.
    let Ok(krate_ident) = syn::parse_str::<syn::Path>(krate) else {
        return String::new();
    };
    let (use_items, construct) = construction(api, module, op, &krate_ident, Purpose::Doc);
    let call = call(api, op);
    let allow = op.touches_deprecated.then(|| quote!(#[allow(deprecated)]));
    let function = quote! {
        #allow
        async fn example(client: &#krate_ident::Client) -> Result<(), Box<dyn std::error::Error>> {
            #(#use_items)*
            #construct
            #call
            Ok(())
        }
    };
    let code = match syn::parse2::<syn::File>(function) {
        Ok(file) => prettyplease::unparse(&file),
        // Our own tokens always parse; if not, the example is left out rather than broken.
        Err(_) => return String::new(),
    };
    let body: Vec<&str> = code.lines().collect();
    // The attributes and the signature (up to its `{`), and the end, are hidden.
    let opened = body
        .iter()
        .position(|line| line.ends_with('{'))
        .unwrap_or_default();
    let mut lines = vec![
        "# Example".to_owned(),
        String::new(),
        "```no_run".to_owned(),
    ];
    let (mut in_use, mut after_use) = (false, false);
    for (i, line) in body.iter().enumerate() {
        let hidden = i <= opened || i + 1 == body.len() || line.trim() == "Ok(())";
        if hidden {
            lines.push(format!("# {}", line.trim_start()));
            continue;
        }
        let shown = line.strip_prefix("    ").unwrap_or(line);
        if shown.starts_with("use ") || in_use {
            // A `use` may span lines; it ends at its `;`.
            in_use = !shown.ends_with(';');
            after_use = true;
        } else if after_use {
            // A blank line between the imports and the code.
            lines.push(String::new());
            after_use = false;
        }
        lines.push(shown.to_owned());
    }
    lines.push("```".to_owned());
    lines.join("\n")
}

/// What the construction is for: the rustdoc example (a file read from disk for an upload) or
/// the generated test that calls every operation (a few bytes in memory).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Doc,
    Test,
}

/// The `use` items and the `let op = …;` statement building `op` from the spec's examples.
fn construction(
    api: &Api,
    module: &str,
    op: &Operation,
    krate: &syn::Path,
    purpose: Purpose,
) -> (Vec<TokenStream>, TokenStream) {
    let mut uses = Uses::default();
    uses.add(&op.rust_name, module);
    let required: Vec<&Member> = op.members.iter().filter(|m| m.required).collect();
    let name = ident(&op.rust_name);
    let value =
        |m: &Member, uses: &mut Uses, position| match (m.target == MemberTarget::File, purpose) {
            (true, Purpose::Test) => {
                let file = upload_file_name(op);
                quote!(#krate::Upload::new(#file, vec![0xFF, 0xD8, 0xFF, 0xE0]))
            }
            _ => member_value(api, m, op, krate, uses, position),
        };
    let construct = match &op.required_struct {
        _ if op.members.is_empty() => quote!(let op = #name;),
        Some(rname) => {
            uses.add(rname, module);
            let rident = ident(rname);
            let fields: Vec<TokenStream> = (required.iter())
                .map(|m| {
                    let field = ident(&m.name);
                    let value = value(m, &mut uses, Position::Field);
                    quote!(#field: #value)
                })
                .collect();
            quote!(let op = #name::new(#rident { #(#fields),* });)
        }
        None => {
            let args: Vec<TokenStream> = (required.iter())
                .map(|m| value(m, &mut uses, Position::Argument))
                .collect();
            quote!(let op = #name::new(#(#args),*);)
        }
    };
    (uses.tokens(krate), construct)
}

/// The test that calls every operation of `api` once against the mock, built from the spec's
/// examples as the rustdoc examples are, and checks that each answer decodes into the
/// operation's typed output: a Rust source file (for `wechatpay-tests`, with every feature).
/// The mock forgets its state before each call, so each call meets a platform that has seen
/// nothing else. `state_errors` lists `(operationId, code, why)` for calls whose example a
/// fresh platform must refuse with that API error code (a bill of a day without
/// transactions…): the test checks that exact code instead.
pub fn calls_test(api: &Api, krate: &str, state_errors: &[(&str, &str, &str)]) -> String {
    let Ok(krate) = syn::parse_str::<syn::Path>(krate) else {
        return String::new();
    };
    let mut functions = Vec::new();
    let mut checks = Vec::new();
    for group in &api.groups {
        for op in &group.operations {
            let (use_items, construct) =
                construction(api, &group.module, op, &krate, Purpose::Test);
            let fname = ident(&snake_case(&op.id));
            let execute = match op.success.kind {
                SuccessKind::Bytes => quote!(client.download(&op, &mut Vec::new(), None).await?;),
                _ => quote!(client.execute(&op).await?;),
            };
            let allow = op.touches_deprecated.then(|| quote!(#[allow(deprecated)]));
            functions.push(quote! {
                #allow
                async fn #fname(client: &#krate::Client) -> Result<(), Box<dyn std::error::Error>> {
                    #(#use_items)*
                    #construct
                    #execute
                    Ok(())
                }
            });
            let id = &op.id;
            let listed = state_errors.iter().find(|(op_id, _, _)| op_id == id);
            let expected = match listed
                .map(|(_, code, _)| code.to_string())
                .or_else(|| fresh_refusal(api, op))
            {
                Some(code) => quote!(::std::option::Option::Some(#code)),
                None => quote!(::std::option::Option::None),
            };
            // Boxed: a thousand calls' futures inline would outgrow a test thread's stack.
            checks.push(quote! {
                mock.reset();
                results.push((#id, #expected, ::std::boxed::Box::pin(#fname(&client)).await));
            });
        }
    }
    // The merchant the examples of the operations that create resources name, else the mock's
    // default merchant.
    let merchant = examples_merchant(api).map(|id| quote!(.mchid(#id)));
    let count = checks.len();
    let reasons = state_errors
        .iter()
        .map(|(id, code, why)| format!("\n//! - `{id}`: `{code}`, {why}."))
        .collect::<String>()
        + "\n//! - every operation that reads or changes a resource the spec declares \
           (`x-wechatpay-flow`), or creates one against a parent: the resource's (or the \
           parent's) `not_found` code, as a fresh platform has none.";
    let file = quote! {
        #[tokio::test]
        async fn every_operation_is_answered_and_decodes() {
            let mock = wechatpay_mock::MockPlatform::builder() #merchant .start().unwrap();
            let client = mock.credentials().client_builder(mock.base_url()).unwrap().build().unwrap();
            type Outcome = Result<(), Box<dyn std::error::Error>>;
            let mut results: Vec<(&str, Option<&str>, Outcome)> = Vec::new();
            #(#checks)*
            assert_eq!(results.len(), #count);
            let failures: Vec<String> = results
                .iter()
                .filter_map(|(id, expected, outcome)| {
                    let code = outcome.as_ref().err().map(|e| match e.downcast_ref::<#krate::Error>() {
                        Some(#krate::Error::Api(api)) => api.code.clone(),
                        _ => e.to_string(),
                    });
                    match (expected, code) {
                        (None, None) => None,
                        (Some(expected), Some(code)) if *expected == code => None,
                        (expected, code) => Some(format!("{id}: expected {expected:?}, got {code:?} ({outcome:?})")),
                    }
                })
                .collect();
            assert!(failures.is_empty(), "{} of {} operations failed:\n{}", failures.len(), #count, failures.join("\n"));
        }
        #(#functions)*
    };
    let header = format!("// @generated by `cargo xtask codegen` from `spec/`: do not edit.\n//! Every operation of the spec, called once against the mock with the spec's examples (as in\n//! its rustdoc example), each on a platform that has seen nothing else; each answer must\n//! arrive, verify and decode into the operation's typed output. These examples meet a state\n//! error on such a platform, and the test checks that exact code:{reasons}\n\n");
    match syn::parse2::<syn::File>(file) {
        Ok(file) => format!("{header}{}", prettyplease::unparse(&file)),
        Err(_) => String::new(),
    }
}

/// `jsapiPrepay` → `jsapi_prepay`.
fn snake_case(id: &str) -> String {
    let mut out = String::new();
    for (i, c) in id.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else {
            out.push('_');
        }
    }
    out
}

/// The `use` lines: the named types the example mentions, by module.
#[derive(Default)]
struct Uses(BTreeMap<String, BTreeSet<String>>);

impl Uses {
    fn add(&mut self, name: &str, module: &str) {
        self.0
            .entry(module.to_owned())
            .or_default()
            .insert(name.to_owned());
    }

    fn add_type_named(&mut self, name: &str, module: &str) {
        self.add(name, module);
    }

    fn add_type(&mut self, api: &Api, name: &str) {
        if let Some(def) = api.types.get(name) {
            self.add(name, &def.module);
        }
    }

    fn tokens(&self, krate: &syn::Path) -> Vec<TokenStream> {
        self.0
            .iter()
            .map(|(module, names)| {
                let module = ident(module);
                let names = names.iter().map(|n| ident(n));
                quote!(use #krate::#module::{#(#names),*};)
            })
            .collect()
    }
}

/// The value `new` takes for a required member.
fn member_value(
    api: &Api,
    m: &Member,
    op: &Operation,
    krate: &syn::Path,
    uses: &mut Uses,
    position: Position,
) -> TokenStream {
    if m.target == MemberTarget::File {
        let file = upload_file_name(op);
        return quote!(#krate::Upload::new(#file, std::fs::read(#file)?));
    }
    value_tokens(api, &m.ty, m.example.as_ref(), uses, position)
}

/// Where a value goes: a lone argument of `new` takes a string as `impl Into<String>`; a field
/// of a struct of required values and an item of a `Vec` must be a `String`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Position {
    Argument,
    Field,
    Item,
}

/// A file name whose extension gives the first media type the upload accepts.
fn upload_file_name(op: &Operation) -> &'static str {
    let first = op
        .upload
        .as_ref()
        .and_then(|u| u.media_types.as_deref())
        .and_then(|t| t.split(',').next())
        .map(str::trim);
    match first {
        Some("image/png") => "image.png",
        Some("image/bmp") => "image.bmp",
        Some(t) if t.starts_with("video/") => "video.mp4",
        Some("application/pdf") => "file.pdf",
        _ => "image.jpg",
    }
}

/// The Rust expression for `value` as a `ty`: strings as literals (taken by `impl Into<String>`),
/// enums as their variant, structs through their `new`.
fn value_tokens(
    api: &Api,
    ty: &Ty,
    value: Option<&Value>,
    uses: &mut Uses,
    position: Position,
) -> TokenStream {
    match ty {
        Ty::String => {
            let text = value.and_then(Value::as_str).filter(|t| safe(t));
            let text = Literal::string(text.unwrap_or("example"));
            match position {
                Position::Argument => text.into_token_stream(),
                Position::Field => quote!(#text.into()),
                Position::Item => quote!(String::from(#text)),
            }
        }
        Ty::DateTime => {
            let text = value.and_then(Value::as_str).filter(|t| safe(t));
            let text = Literal::string(text.unwrap_or("2015-05-20T13:29:35+08:00"));
            quote!(time::OffsetDateTime::parse(#text, &time::format_description::well_known::Rfc3339)?)
        }
        Ty::I32 | Ty::I64 => {
            Literal::i64_unsuffixed(value.and_then(Value::as_i64).unwrap_or(1)).into_token_stream()
        }
        Ty::F64 => Literal::f64_unsuffixed(value.and_then(Value::as_f64).unwrap_or(1.0))
            .into_token_stream(),
        Ty::Bool => match value.and_then(Value::as_bool).unwrap_or(true) {
            true => quote!(true),
            false => quote!(false),
        },
        Ty::Json => {
            let json = value
                .map(Value::to_string)
                .filter(|t| safe(t))
                .and_then(|t| t.parse::<TokenStream>().ok())
                .unwrap_or_else(|| quote!({}));
            quote!(serde_json::json!(#json))
        }
        Ty::Map(_) => quote!(std::collections::BTreeMap::new()),
        Ty::File => quote!(::std::unreachable!()),
        Ty::Vec(inner) => {
            // Every item of the example (a schema may want several), or one made up.
            let items: Vec<Option<&Value>> = match value.and_then(Value::as_array) {
                Some(items) if !items.is_empty() => items.iter().map(Some).collect(),
                _ => vec![None],
            };
            let items = (items.into_iter())
                .map(|item| value_tokens(api, inner, item, uses, Position::Item));
            let items: Vec<TokenStream> = items.collect();
            quote!(Vec::from([#(#items),*]))
        }
        Ty::Named(name) => named_value(api, name, value, uses),
    }
}

fn named_value(api: &Api, name: &str, value: Option<&Value>, uses: &mut Uses) -> TokenStream {
    let Some(def) = api.types.get(name) else {
        return quote!(::std::unreachable!());
    };
    uses.add_type(api, name);
    let type_name = ident(name);
    match &def.kind {
        TypeKind::Struct(fields) => {
            let object = value.and_then(Value::as_object);
            let required = fields.iter().filter(|f| f.required);
            let mut value = |f: &crate::ir::Field, position| {
                let own = object.and_then(|o| o.get(&f.wire_name));
                value_tokens(api, &f.ty, own, uses, position)
            };
            match &def.required_struct {
                Some(rname) => {
                    let fields: Vec<TokenStream> = (required.clone())
                        .map(|f| {
                            let field = ident(&f.rust_name);
                            let value = value(f, Position::Field);
                            quote!(#field: #value)
                        })
                        .collect();
                    uses.add_type_named(rname, &def.module);
                    let rident = ident(rname);
                    quote!(#type_name::new(#rident { #(#fields),* }))
                }
                None => {
                    let args: Vec<TokenStream> =
                        required.map(|f| value(f, Position::Argument)).collect();
                    quote!(#type_name::new(#(#args),*))
                }
            }
        }
        TypeKind::Enum(variants) | TypeKind::NumberEnum(_, variants) => {
            let wanted = value.map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            let variant = variants
                .iter()
                .find(|v| Some(&v.value) == wanted.as_ref())
                .or(variants.first());
            match variant {
                Some(v) => {
                    let variant = ident(&v.rust_name);
                    quote!(#type_name::#variant)
                }
                None => quote!(::std::unreachable!()),
            }
        }
    }
}

/// The call, and what the example shows of the answer.
fn call(api: &Api, op: &Operation) -> TokenStream {
    match &op.success.kind {
        SuccessKind::Bytes => quote! {
            let mut file = Vec::new();
            let downloaded = client.download(&op, &mut file, None).await?;
            println!("{} bytes, Request-ID {:?}", downloaded.len, downloaded.request_id);
        },
        SuccessKind::Empty | SuccessKind::Accepted => quote! {
            let answer = client.execute(&op).await?;
            println!("status {}, Request-ID {:?}", answer.status, answer.request_id);
        },
        SuccessKind::Json(ty) => {
            let shown = shown_fields(api, ty);
            match shown.is_empty() {
                true => quote! {
                    let answer = client.execute(&op).await?;
                    println!("{:?}", answer.data);
                },
                false => {
                    let lines = shown.iter().map(|f| {
                        let format = format!("{f}: {{:?}}");
                        let f = ident(f);
                        quote!(println!(#format, answer.data.#f);)
                    });
                    quote! {
                        let answer = client.execute(&op).await?;
                        #(#lines)*
                    }
                }
            }
        }
    }
}

/// The required, not deprecated fields of an answer struct, the first [`SHOWN_FIELDS`].
fn shown_fields(api: &Api, ty: &Ty) -> Vec<String> {
    let Ty::Named(name) = ty else {
        return Vec::new();
    };
    match api.types.get(name).map(|t| &t.kind) {
        Some(TypeKind::Struct(fields)) => fields
            .iter()
            .filter(|f| f.required && !f.notes.deprecated)
            .take(SHOWN_FIELDS)
            .map(|f| f.rust_name.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether text from the spec may appear in the example's code: nothing that could end the
/// code fence, and no control or bidirectional characters.
fn safe(text: &str) -> bool {
    !text.contains("```")
        && !text.contains("~~~")
        && !text.chars().any(|c| {
            c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
}

/// The code a fresh platform refuses an operation's example with because of its flow: the
/// resource it reads or changes does not exist, or the parent it is created against.
fn fresh_refusal(api: &Api, op: &crate::ir::Operation) -> Option<String> {
    let flow = op.flow.as_ref()?;
    let resource = api.resources.get(&flow.resource)?;
    match flow.action {
        crate::ir::FlowAction::Create => resource.parent.as_ref().map(|p| p.not_found.code.clone()),
        _ => Some(resource.not_found.code.clone()),
    }
}

/// The merchant id the body examples of the operations that create a resource name for
/// themselves (`sp_mchid`, else `mchid`), the most frequent (the smallest on a tie); `None`
/// when none does.
fn examples_merchant(api: &Api) -> Option<String> {
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for op in api.operations() {
        let creates = op
            .flow
            .as_ref()
            .is_some_and(|f| f.action == crate::ir::FlowAction::Create);
        let example = op.body_example.as_ref().filter(|_| creates);
        let named = example.and_then(|e| e.get("sp_mchid").or_else(|| e.get("mchid")));
        if let Some(id) = named.and_then(|v| v.as_str()) {
            *counts.entry(id.to_owned()).or_default() += 1;
        }
    }
    let best = counts
        .iter()
        .max_by_key(|(id, n)| (**n, std::cmp::Reverse((*id).clone())));
    best.map(|(id, _)| id.clone())
}
