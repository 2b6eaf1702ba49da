//! Operations: the operation value (its fields, the one-step constructor, the `with_…`
//! setters) and its `wechatpay_core::operation::Operation` impl: the request as data, and the
//! decoder of the answer. Names and members come from the IR; this only prints them.

use proc_macro2::TokenStream;
use quote::quote;

use super::{
    doc_example, docs, field_doc, ident, own_docs, required_struct, ty_tokens, RequiredField,
};
use crate::ir::{
    self, Api, Group, Host, Member, MemberTarget, Operation, Param, ParamLocation, SuccessKind, Ty,
    TypeKind,
};

pub(super) fn operation_tokens(
    api: &Api,
    group: &Group,
    op: &Operation,
    krate: &str,
) -> TokenStream {
    let name = ident(&op.rust_name);
    let doc = docs(&op_doc(op));
    // The example is our own code, not spec text: its lines go in as they are.
    let example = doc_example::example_section(api, &group.module, op, krate);
    let example_lines = example.lines().map(|line| match line.is_empty() {
        true => String::new(),
        false => format!(" {line}"),
    });
    let example = quote!(#[doc = ""] #(#[doc = #example_lines])*);
    let deprecated = op.deprecated.then(|| quote!(#[deprecated]));
    // The operation's own impls name it and what it reaches that is deprecated without a warning.
    let allow = op.touches_deprecated.then(|| quote!(#[allow(deprecated)]));
    let definition = definition(api, group, op);
    let constructor = constructor(api, group, op, &allow);
    let request = request_tokens(api, op);
    let (output, decode) = answer_tokens(api, group, op);
    quote! {
        #doc
        #example
        #deprecated
        #definition
        #constructor
        #allow
        impl ::wechatpay_core::operation::Operation for #name {
            type Output = #output;
            fn request(&self) -> ::wechatpay_core::operation::Request<'_> { #request }
            #decode
        }
    }
}

/// The struct: one `pub` field per parameter, plus `pub body`.
fn definition(api: &Api, group: &Group, op: &Operation) -> TokenStream {
    let name = ident(&op.rust_name);
    let mut fields: Vec<TokenStream> = op
        .params
        .iter()
        .map(|p| param_field(api, group, p))
        .collect();
    if let Some(body) = &op.body {
        let ty = ty_tokens(api, group, body);
        let doc = match &op.upload {
            Some(upload) => format!(
                " The fields of the `meta` part besides `filename` and {}.",
                digest_members(&upload.digest)
            ),
            None => " The JSON body.".to_owned(),
        };
        fields.push(quote! { #[doc = #doc] pub body: #ty, });
    }
    if let Some(upload) = &op.upload {
        let mut doc = upload.doc.clone().unwrap_or_else(|| "The file.".to_owned());
        if let Some(types) = &upload.media_types {
            doc.push_str(&format!("\n\nMedia types: `{types}`."));
        }
        doc.push_str(&format!(
            "\n\nSent as the `file` part; the client writes its {} into `meta`.",
            digest_members(&upload.digest)
        ));
        let doc = docs(&doc);
        fields.push(quote! { #doc pub file: ::wechatpay_core::Upload, });
    }
    let default = op
        .members
        .iter()
        .all(|m| !m.required)
        .then(|| quote!(::std::default::Default));
    let redacted = op.params.iter().any(|p| p.encrypted);
    let debug = (!redacted).then(|| quote!(::std::fmt::Debug,));
    let redacted_debug = redacted.then(|| redacted_debug(op));
    if fields.is_empty() {
        return quote! {
            #[derive(::std::fmt::Debug, ::std::clone::Clone, ::std::cmp::PartialEq, ::std::default::Default)]
            pub struct #name;
        };
    }
    quote! {
        #[derive(#debug ::std::clone::Clone, ::std::cmp::PartialEq, #default)]
        #[non_exhaustive]
        pub struct #name { #(#fields)* }
        #redacted_debug
    }
}

/// `Debug` for an operation with sensitive parameters: `<redacted>` in their place.
fn redacted_debug(op: &Operation) -> TokenStream {
    let name = ident(&op.rust_name);
    let sname = &op.rust_name;
    let mut entries: Vec<TokenStream> = (op.params.iter())
        .map(|p| {
            let (field, text) = (ident(&p.rust_name), &p.rust_name);
            match p.encrypted {
                true => quote!(.field(#text, &"<redacted>")),
                false => quote!(.field(#text, &self.#field)),
            }
        })
        .collect();
    if op.body.is_some() {
        entries.push(quote!(.field("body", &self.body)));
    }
    let allow = op.touches_deprecated.then(|| quote!(#[allow(deprecated)]));
    quote! {
        #allow
        impl ::std::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(#sname) #(#entries)* .finish()
            }
        }
    }
}

fn param_field(api: &Api, group: &Group, p: &Param) -> TokenStream {
    let field = ident(&p.rust_name);
    let ty = ty_tokens(api, group, &p.ty);
    let pdoc = field_doc(&p.doc, &p.constraints, &p.notes, &p.example, p.encrypted);
    let pdoc = docs(&format!(
        "{pdoc}\n\nSent as the {} parameter `{}`.",
        format!("{:?}", p.location).to_lowercase(),
        p.wire_name
    ));
    if p.required {
        quote! { #pdoc pub #field: #ty, }
    } else {
        quote! { #pdoc pub #field: ::std::option::Option<#ty>, }
    }
}

/// `new` taking the required parameters and body fields (nothing, the one value, or the
/// operation's struct of required values, by name) and one `with_x(…)` per optional one.
/// `allow` goes on each item (the struct of required values and the `impl`).
fn constructor(
    api: &Api,
    group: &Group,
    op: &Operation,
    allow: &Option<TokenStream>,
) -> Option<TokenStream> {
    if op.members.is_empty() {
        return None;
    }
    let name = ident(&op.rust_name);
    let required: Vec<&Member> = op.members.iter().filter(|m| m.required).collect();
    let one = op.required_struct.is_none();
    let inits = op.params.iter().map(|p| {
        let target = MemberTarget::Param(p.rust_name.clone());
        field_init(
            &p.rust_name,
            op.members.iter().find(|m| m.target == target),
            one,
        )
    });
    let body = op
        .body
        .as_ref()
        .map(|ty| body_init(api, group, op, ty, one));
    let file = op.upload.as_ref().map(|_| quote!(file,));
    let (args, unpack, required_struct) = match (&op.required_struct, required.as_slice()) {
        (Some(rname), _) => {
            let fields: Vec<RequiredField> = (required.iter())
                .map(|m| RequiredField {
                    doc: member_doc(api, op, m),
                    deprecated: false,
                    name: m.name.clone(),
                    ty: ty_tokens(api, group, &m.ty),
                })
                .collect();
            let (param, unpack, definition) =
                required_struct(&op.rust_name, rname, "values", &fields, allow);
            (param, unpack, Some(definition))
        }
        (None, [m]) => {
            let (arg, ty) = (ident(&m.name), argument_type(api, group, &m.ty));
            (quote!(#arg: #ty), quote!(), None)
        }
        (None, _) => (quote!(), quote!(), None),
    };
    let setters = op
        .members
        .iter()
        .filter(|m| !m.required)
        .map(|m| setter(api, group, op, m));
    let new_doc = own_docs(&format!(
        "Builds a [`{}`] with its required values set and every optional one absent.",
        op.rust_name
    ));
    Some(quote! {
        #required_struct
        #allow
        impl #name {
            #new_doc
            pub fn new(#args) -> Self {
                #unpack
                Self { #(#inits)* #body #file }
            }
            #(#setters)*
        }
    })
}

/// The rustdoc of a member in the struct of required values: the parameter's or body field's.
fn member_doc(api: &Api, op: &Operation, m: &Member) -> String {
    match &m.target {
        MemberTarget::Param(field) => (op.params.iter())
            .find(|p| &p.rust_name == field)
            .map(|p| field_doc(&p.doc, &p.constraints, &p.notes, &p.example, p.encrypted))
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| format!("The parameter `{field}`.")),
        MemberTarget::BodyField(field) => (op.body.as_ref())
            .and_then(|ty| match ty {
                Ty::Named(n) => match api.types.get(n).map(|t| &t.kind) {
                    Some(TypeKind::Struct(fields)) => fields.iter().find(|f| &f.rust_name == field),
                    _ => None,
                },
                _ => None,
            })
            .map(|f| super::models::field_text(api, f))
            .unwrap_or_else(|| format!("The body field `{field}`.")),
        MemberTarget::Body => "The JSON body.".to_owned(),
        MemberTarget::File => "The file, sent as the `file` part.".to_owned(),
    }
}

/// Strings are taken as `impl Into<String>`, everything else as is.
fn argument_type(api: &Api, group: &Group, ty: &Ty) -> TokenStream {
    match ty {
        Ty::String => quote!(impl ::std::convert::Into<::std::string::String>),
        other => ty_tokens(api, group, other),
    }
}

/// A field's value in `new`: the member's value (shorthand when the names agree; a lone
/// string argument is converted), or `None` for an optional member.
fn field_init(field: &str, m: Option<&Member>, one: bool) -> TokenStream {
    let field_ident = ident(field);
    let Some(m) = m.filter(|m| m.required) else {
        return quote!(#field_ident: ::std::option::Option::None,);
    };
    let arg = ident(&m.name);
    match &m.ty {
        Ty::String if one => quote!(#field_ident: ::std::convert::Into::into(#arg),),
        _ if m.name == field => quote!(#field_ident,),
        _ => quote!(#field_ident: #arg,),
    }
}

/// `body: Type { field: value, … }`, or `body` when the body is one value.
fn body_init(api: &Api, group: &Group, op: &Operation, ty: &Ty, one: bool) -> TokenStream {
    if op.members.iter().any(|m| m.target == MemberTarget::Body) {
        return quote!(body,);
    }
    let ty = ty_tokens(api, group, ty);
    let fields = op.members.iter().filter_map(|m| match &m.target {
        MemberTarget::BodyField(field) => Some(field_init(field, Some(m), one)),
        _ => None,
    });
    quote!(body: #ty { #(#fields)* },)
}

fn setter(api: &Api, group: &Group, op: &Operation, m: &Member) -> TokenStream {
    let method = ident(&m.setter);
    let deprecated = match &m.target {
        MemberTarget::Param(field) => op
            .params
            .iter()
            .any(|p| &p.rust_name == field && p.notes.deprecated),
        _ => false,
    }
    .then(|| quote!(#[deprecated]));
    let (place, what) = match &m.target {
        MemberTarget::Param(field) => (ident(field), quote!(self)),
        MemberTarget::BodyField(field) => (ident(field), quote!(self.body)),
        MemberTarget::Body | MemberTarget::File => (ident(&m.name), quote!(self)),
    };
    let doc = match &m.target {
        MemberTarget::BodyField(field) => format!("Sets the body field `{field}`."),
        _ => format!("Sets `{}`.", m.name),
    };
    let doc = docs(&doc);
    let (arg, value) = match &m.ty {
        Ty::String => (
            quote!(impl ::std::convert::Into<::std::string::String>),
            quote!(::std::convert::Into::into(value)),
        ),
        other => (ty_tokens(api, group, other), quote!(value)),
    };
    quote! {
        #doc
        #deprecated
        #[must_use]
        pub fn #method(mut self, value: #arg) -> Self {
            #what.#place = ::std::option::Option::Some(#value);
            self
        }
    }
}

/// The `meta` members the client fills with the file's digest, for docs.
fn digest_members(digest: &ir::UploadDigest) -> String {
    match digest {
        ir::UploadDigest::Sha256 => "`sha256`".to_owned(),
        ir::UploadDigest::Sm3 { field, .. } => format!("SM3 `digest` and `{field}`"),
    }
}

/// The `Request`: `Request::new(id, method, path)` and one `with_…` per attribute that is not
/// the default, so that the core can add attributes without breaking generated code.
fn request_tokens(api: &Api, op: &Operation) -> TokenStream {
    let id = &op.id;
    let method = ident(op.method.as_str());
    let path = &op.path;
    let mut calls = Vec::new();
    if op.host == Host::HongKong {
        calls.push(quote!(.with_host(::wechatpay_core::operation::Host::HongKong)));
    }
    for (location, setter) in [
        (ParamLocation::Path, quote!(with_path_params)),
        (ParamLocation::Query, quote!(with_query)),
        (ParamLocation::Header, quote!(with_headers)),
    ] {
        if let Some(pairs) = pairs(api, op, location) {
            calls.push(quote!(.#setter(#pairs)));
        }
    }
    match (&op.upload, &op.body) {
        (Some(upload), body) => {
            let meta = match body {
                Some(_) => quote!(::std::option::Option::Some(&self.body)),
                None => quote!(::std::option::Option::None),
            };
            let filename = upload.filename_in_meta;
            let digest = match &upload.digest {
                ir::UploadDigest::Sha256 => None,
                ir::UploadDigest::Sm3 { field, value } => Some(quote!(.with_digest(
                    ::wechatpay_core::operation::MetaDigest::Sm3 { field: #field, value: #value }
                ))),
            };
            calls.push(quote!(.with_body(::wechatpay_core::operation::Body::multipart(#meta, &self.file, #filename)#digest)));
        }
        (None, Some(_)) => {
            let pointers = &op.encrypted_fields;
            calls.push(quote!(.with_body(::wechatpay_core::operation::Body::json(&self.body, &[#(#pointers),*]))));
        }
        (None, None) => {}
    }
    if op.needs_platform_serial() {
        calls.push(quote!(.with_platform_serial()));
    }
    let answer = match op.success.kind {
        SuccessKind::Accepted => Some("Accepted"),
        SuccessKind::Empty => Some("Empty"),
        SuccessKind::Json(_) => None,
        SuccessKind::Bytes => Some("Download"),
    };
    if let Some(answer) = answer {
        let answer = ident(answer);
        calls.push(quote!(.with_answer(::wechatpay_core::operation::Answer::#answer)));
    }
    if let Some(sensitive) = sensitive_tokens(op) {
        calls.push(quote!(.with_sensitive(#sensitive)));
    }
    if op.idempotent != ir::idempotent_by_default(&op.method) {
        let idempotent = op.idempotent;
        calls.push(quote!(.with_idempotent(#idempotent)));
    }
    quote! {
        ::wechatpay_core::operation::Request::new(#id, ::wechatpay_core::operation::Method::#method, #path)
            #(#calls)*
    }
}

/// The `Sensitive` value, if anything is: the wire names of sensitive query and header
/// parameters, and the pointers of sensitive answer fields.
fn sensitive_tokens(op: &Operation) -> Option<TokenStream> {
    let names = |location: ParamLocation| -> Vec<String> {
        (op.params.iter())
            .filter(|p| p.encrypted && p.location == location)
            .map(|p| match location {
                ParamLocation::Header => p.wire_name.to_ascii_lowercase(),
                _ => p.wire_name.clone(),
            })
            .collect()
    };
    let (query, headers) = (names(ParamLocation::Query), names(ParamLocation::Header));
    let answer = &op.encrypted_answer_fields;
    if query.is_empty() && headers.is_empty() && answer.is_empty() {
        return None;
    }
    let query = (!query.is_empty()).then(|| quote!(.with_query(&[#(#query),*])));
    let headers = (!headers.is_empty()).then(|| quote!(.with_headers(&[#(#headers),*])));
    let answer = (!answer.is_empty()).then(|| quote!(.with_answer(&[#(#answer),*])));
    Some(quote!(::wechatpay_core::operation::Sensitive::NONE #query #headers #answer))
}

/// The `(name, value)` pairs of the parameters in one location, if it has any: a `vec!` when
/// every value is there, otherwise a block pushing what is set.
fn pairs(api: &Api, op: &Operation, location: ParamLocation) -> Option<TokenStream> {
    let params: Vec<&Param> = op
        .params
        .iter()
        .filter(|p| p.location == location)
        .collect();
    if params.is_empty() {
        return None;
    }
    // The leading plain pairs (required, not an exploded array) start the vector; the rest are
    // pushed as they apply.
    let simple = |p: &&Param| p.required && !(matches!(p.ty, Ty::Vec(_)) && p.explode);
    let lead = params.iter().take_while(|p| simple(p)).count();
    let items = params[..lead].iter().map(|p| {
        let key = pair_key(p);
        let field = ident(&p.rust_name);
        let value = pair_value(api, p, quote!(self.#field));
        quote!((#key, #value))
    });
    if lead == params.len() {
        return Some(quote!(::std::vec![#(#items),*]));
    }
    let pushes = params[lead..].iter().map(|p| push_pair(api, p));
    Some(quote! {{
        let mut __pairs = ::std::vec![#(#items),*];
        #(#pushes)*
        __pairs
    }})
}

/// The wire name: a `&str` for path and query, a lowercase `HeaderName` for headers.
fn pair_key(p: &Param) -> TokenStream {
    match p.location {
        ParamLocation::Header => {
            let name = p.wire_name.to_ascii_lowercase();
            quote!(::wechatpay_core::operation::HeaderName::from_static(#name))
        }
        _ => {
            let name = &p.wire_name;
            quote!(#name)
        }
    }
}

/// Pushes one parameter's pairs: none when unset, one per item for exploded arrays.
fn push_pair(api: &Api, p: &Param) -> TokenStream {
    let key = pair_key(p);
    let field = ident(&p.rust_name);
    let push = |value: TokenStream| -> TokenStream {
        match &p.ty {
            Ty::Vec(inner) if p.explode => {
                let item = pair_value(
                    api,
                    &Param {
                        ty: (**inner).clone(),
                        ..p.clone()
                    },
                    quote!(__item),
                );
                quote!(for __item in #value { __pairs.push((#key, #item)); })
            }
            _ => {
                let value = pair_value(api, p, value);
                quote!(__pairs.push((#key, #value));)
            }
        }
    };
    if p.required {
        let borrowed = match &p.ty {
            Ty::Vec(_) if p.explode => quote!(&self.#field),
            _ => quote!(self.#field),
        };
        push(borrowed)
    } else {
        let push = push(quote!(__value));
        quote!(if let ::std::option::Option::Some(__value) = &self.#field { #push })
    }
}

/// A `Cow` of a parameter value: borrowed for strings and enums, owned for numbers, booleans
/// and joined (non-exploded) arrays.
fn pair_value(api: &Api, p: &Param, value: TokenStream) -> TokenStream {
    match &p.ty {
        Ty::Vec(inner) => {
            let text = if is_text(api, inner) {
                quote!(|__item| __item.as_str())
            } else {
                quote!(::std::string::ToString::to_string)
            };
            quote!(::std::borrow::Cow::Owned(#value.iter().map(#text).collect::<::std::vec::Vec<_>>().join(",")))
        }
        ty if is_text(api, ty) => quote!(::std::borrow::Cow::Borrowed(#value.as_str())),
        _ => quote!(::std::borrow::Cow::Owned(::std::string::ToString::to_string(&#value))),
    }
}

/// Strings and open enums: values with `as_str()`.
fn is_text(api: &Api, ty: &Ty) -> bool {
    match ty {
        Ty::String => true,
        // Number enums are written with `Display`, like numbers.
        Ty::Named(n) => matches!(api.types.get(n).map(|t| &t.kind), Some(TypeKind::Enum(_))),
        _ => false,
    }
}

/// The `Output` type and the `decode` method.
fn answer_tokens(api: &Api, group: &Group, op: &Operation) -> (TokenStream, TokenStream) {
    let signature = |arg: TokenStream| quote!(fn decode(&self, #arg: &::wechatpay_core::Bytes) -> ::std::result::Result<Self::Output, ::serde_json::Error>);
    match &op.success.kind {
        SuccessKind::Empty | SuccessKind::Accepted => {
            let signature = signature(quote!(_body));
            (
                quote!(()),
                quote! { #signature { ::std::result::Result::Ok(()) } },
            )
        }
        SuccessKind::Json(ty) => {
            let signature = signature(quote!(body));
            let ty = ty_tokens(api, group, ty);
            (ty, quote! { #signature { ::serde_json::from_slice(body) } })
        }
        SuccessKind::Bytes => {
            let signature = signature(quote!(body));
            let decode = quote! { #signature { ::std::result::Result::Ok(::std::clone::Clone::clone(body)) } };
            (quote!(::wechatpay_core::Bytes), decode)
        }
    }
}

fn op_doc(op: &Operation) -> String {
    let mut doc = op.summary.clone().unwrap_or_else(|| op.id.clone());
    if let Some(d) = &op.description {
        doc.push_str("\n\n");
        doc.push_str(d.trim());
    }
    let host = match op.host {
        Host::Mainland => "the mainland host",
        Host::HongKong => "the Hong Kong host",
    };
    doc.push_str(&format!(
        "\n\n`{} {}` on {host}.",
        op.method.as_str(),
        op.path
    ));
    match &op.success.kind {
        SuccessKind::Empty | SuccessKind::Accepted => {
            doc.push_str(&format!(" Success: `{}` with no body.", op.success.status))
        }
        SuccessKind::Json(_) => doc.push_str(&format!(
            " Success: `{}` with a JSON body.",
            op.success.status
        )),
        SuccessKind::Bytes => doc.push_str(&format!(
            " Success: `{}` with a raw body.",
            op.success.status
        )),
    }
    if op.upload.is_some() {
        doc.push_str(" An upload (`multipart/form-data`): the client writes the file's SHA-256 into the `meta` part and signs that part.");
    }
    if let Some((n, per)) = op.rate_limit {
        doc.push_str(&format!(" Rate limit: {n} requests per {per}."));
    }
    if op.idempotent {
        doc.push_str(" Idempotent: the same request may be sent again.");
    }
    if !op.encrypted_fields.is_empty() {
        doc.push_str(&format!(
            " Sensitive fields ({}) are written in plaintext: the client encrypts them with the platform key and sets `Wechatpay-Serial`.",
            pointer_list(&op.encrypted_fields)
        ));
    }
    let params: Vec<String> = (op.params.iter())
        .filter(|p| p.encrypted)
        .map(|p| format!("`{}`", p.wire_name))
        .collect();
    if !params.is_empty() {
        doc.push_str(&format!(
            " Sensitive parameters ({}) are written in plaintext: the client encrypts them with the platform key and sets `Wechatpay-Serial`.",
            params.join(", ")
        ));
    }
    if !op.encrypted_answer_fields.is_empty() {
        doc.push_str(&format!(
            " Sensitive answer fields ({}) arrive encrypted with the merchant key: the client decrypts them after verifying the answer.",
            pointer_list(&op.encrypted_answer_fields)
        ));
    }
    if !op.signed_response {
        doc.push_str(" The platform does not sign this answer.");
    }
    doc
}

/// Pointers as a list of code spans.
fn pointer_list(pointers: &[String]) -> String {
    let spans: Vec<String> = pointers.iter().map(|p| format!("`{p}`")).collect();
    spans.join(", ")
}
