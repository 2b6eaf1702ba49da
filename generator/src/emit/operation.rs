//! Operations: the operation value (its fields, the one-step constructor, the `with_…`
//! setters) and its `wechatpay_core::operation::Operation` impl: the request as data, and the
//! decoder of the answer. Names and members come from the IR; this only prints them.

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc_example, docs, field_doc, ident, ty_tokens};
use crate::ir::{
    Api, Group, Host, Member, MemberTarget, Operation, Param, ParamLocation, SuccessKind, Ty,
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
    // The operation's own impls name it and its body's deprecated fields without a warning.
    let body_deprecated = op.body.as_ref().is_some_and(|ty| match ty {
        Ty::Named(n) => matches!(api.types.get(n).map(|t| &t.kind), Some(TypeKind::Struct(fields)) if fields.iter().any(|f| f.notes.deprecated)),
        _ => false,
    });
    let allow = (op.deprecated || body_deprecated).then(|| quote!(#[allow(deprecated)]));
    let definition = definition(api, group, op);
    let constructor = constructor(api, group, op).map(|c| quote!(#allow #c));
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
        let doc = match op.upload {
            Some(_) => " The fields of the `meta` part besides `filename` and `sha256`.",
            None => " The JSON body.",
        };
        fields.push(quote! { #[doc = #doc] pub body: #ty, });
    }
    if let Some(upload) = &op.upload {
        let mut doc = upload.doc.clone().unwrap_or_else(|| "The file.".to_owned());
        if let Some(types) = &upload.media_types {
            doc.push_str(&format!("\n\nMedia types: `{types}`."));
        }
        doc.push_str("\n\nSent as the `file` part; the client writes its `sha256` into `meta`.");
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
    let allow = op.deprecated.then(|| quote!(#[allow(deprecated)]));
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

/// `new(required…)` taking every required parameter and body field, and one `with_x(…)` per
/// optional one.
fn constructor(api: &Api, group: &Group, op: &Operation) -> Option<TokenStream> {
    if op.members.is_empty() {
        return None;
    }
    let name = ident(&op.rust_name);
    let required: Vec<&Member> = op.members.iter().filter(|m| m.required).collect();
    let args = required.iter().map(|m| {
        let arg = ident(&m.name);
        let ty = argument_type(api, group, &m.ty);
        quote!(#arg: #ty)
    });
    let inits = op.params.iter().map(|p| {
        let target = MemberTarget::Param(p.rust_name.clone());
        field_init(&p.rust_name, op.members.iter().find(|m| m.target == target))
    });
    let body = op.body.as_ref().map(|ty| body_init(api, group, op, ty));
    let file = op.upload.as_ref().map(|_| quote!(file,));
    let lint = (required.len() > 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    let setters = op
        .members
        .iter()
        .filter(|m| !m.required)
        .map(|m| setter(api, group, op, m));
    let new_doc = docs(&format!(
        "A `{}` with its required parameters and body fields set and every optional one absent.",
        op.rust_name
    ));
    Some(quote! {
        impl #name {
            #new_doc
            #lint
            pub fn new(#(#args),*) -> Self {
                Self { #(#inits)* #body #file }
            }
            #(#setters)*
        }
    })
}

/// Strings are taken as `impl Into<String>`, everything else as is.
fn argument_type(api: &Api, group: &Group, ty: &Ty) -> TokenStream {
    match ty {
        Ty::String => quote!(impl ::std::convert::Into<::std::string::String>),
        other => ty_tokens(api, group, other),
    }
}

/// A field's value in `new`: the member's argument (shorthand when the names agree), or `None`
/// for an optional member.
fn field_init(field: &str, m: Option<&Member>) -> TokenStream {
    let field_ident = ident(field);
    let Some(m) = m.filter(|m| m.required) else {
        return quote!(#field_ident: ::std::option::Option::None,);
    };
    let arg = ident(&m.name);
    match &m.ty {
        Ty::String => quote!(#field_ident: ::std::convert::Into::into(#arg),),
        _ if m.name == field => quote!(#field_ident,),
        _ => quote!(#field_ident: #arg,),
    }
}

/// `body: Type { field: value, … }`, or `body` when the body is one argument.
fn body_init(api: &Api, group: &Group, op: &Operation, ty: &Ty) -> TokenStream {
    if op.members.iter().any(|m| m.target == MemberTarget::Body) {
        return quote!(body,);
    }
    let ty = ty_tokens(api, group, ty);
    let fields = op.members.iter().filter_map(|m| match &m.target {
        MemberTarget::BodyField(field) => Some(field_init(field, Some(m))),
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

/// The `Request` literal.
fn request_tokens(api: &Api, op: &Operation) -> TokenStream {
    let id = &op.id;
    let method = ident(op.method.as_str());
    let host = ident(match op.host {
        Host::Mainland => "Mainland",
        Host::HongKong => "HongKong",
    });
    let path = &op.path;
    let path_params = pairs(api, op, ParamLocation::Path);
    let query = pairs(api, op, ParamLocation::Query);
    let headers = pairs(api, op, ParamLocation::Header);
    let body = match (&op.upload, &op.body) {
        (Some(upload), body) => {
            let meta = match body {
                Some(_) => quote!(::std::option::Option::Some(&self.body)),
                None => quote!(::std::option::Option::None),
            };
            let filename = upload.filename_in_meta;
            quote!(::wechatpay_core::operation::Body::Multipart { meta: #meta, file: &self.file, filename_in_meta: #filename })
        }
        (None, Some(_)) => {
            let pointers = &op.encrypted_fields;
            quote!(::wechatpay_core::operation::Body::Json { value: &self.body, encrypted: &[#(#pointers),*] })
        }
        (None, None) => quote!(::wechatpay_core::operation::Body::None),
    };
    let serial = op.needs_platform_serial();
    let sensitive = sensitive_tokens(op);
    let answer = ident(match op.success.kind {
        SuccessKind::Empty if op.success.status == 202 => "Accepted",
        SuccessKind::Empty => "Empty",
        SuccessKind::Json(_) => "Json",
        SuccessKind::Bytes => "Download",
    });
    quote! {
        ::wechatpay_core::operation::Request {
            id: #id,
            method: ::wechatpay_core::operation::Method::#method,
            host: ::wechatpay_core::operation::Host::#host,
            path: #path,
            path_params: #path_params,
            query: #query,
            headers: #headers,
            body: #body,
            platform_serial: #serial,
            answer: ::wechatpay_core::operation::Answer::#answer,
            sensitive: #sensitive,
        }
    }
}

/// The `Sensitive` literal: the wire names of sensitive query and header parameters, and the
/// pointers of sensitive answer fields.
fn sensitive_tokens(op: &Operation) -> TokenStream {
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
        return quote!(::wechatpay_core::operation::Sensitive::NONE);
    }
    quote! {
        ::wechatpay_core::operation::Sensitive {
            query: &[#(#query),*],
            headers: &[#(#headers),*],
            answer: &[#(#answer),*],
        }
    }
}

/// The `(name, value)` pairs of the parameters in one location: a `vec!` when every value is
/// there, otherwise a block pushing what is set.
fn pairs(api: &Api, op: &Operation, location: ParamLocation) -> TokenStream {
    let params: Vec<&Param> = op
        .params
        .iter()
        .filter(|p| p.location == location)
        .collect();
    if params.is_empty() {
        return quote!(::std::vec::Vec::new());
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
        return quote!(::std::vec![#(#items),*]);
    }
    let pushes = params[lead..].iter().map(|p| push_pair(api, p));
    quote! {{
        let mut __pairs = ::std::vec![#(#items),*];
        #(#pushes)*
        __pairs
    }}
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
        SuccessKind::Empty => {
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
        SuccessKind::Empty => {
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
