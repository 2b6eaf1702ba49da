//! Models: the structs and open enums of request and response bodies, with the builders of
//! the structs users write.

use proc_macro2::{Ident, TokenStream};
use quote::quote;
use wechatpay_spec::SERDE_BOTH_FEATURE;

use super::{docs, field_doc, ident, own_docs, required_struct, ty_tokens, RequiredField};
use crate::ir::{
    Api, Construction, EnumNumber, Field, Group, NumberKind, Ty, TypeDef, TypeKind, Variant,
};

pub(super) fn type_tokens(api: &Api, group: &Group, def: &TypeDef) -> TokenStream {
    match &def.kind {
        TypeKind::Struct(fields) => struct_tokens(api, group, def, fields),
        TypeKind::Enum(variants) => enum_tokens(def, variants),
        TypeKind::NumberEnum(kind, variants) => number_enum_tokens(def, *kind, variants),
    }
}

/// An open enum of numbers: the type, its number both ways, `Display`, and serde as a number.
fn number_enum_tokens(def: &TypeDef, kind: NumberKind, variants: &[Variant]) -> TokenStream {
    let name = ident(&def.name);
    let (number, derives) = match kind {
        NumberKind::Integer => (
            quote!(i64),
            quote!(
                ::std::fmt::Debug,
                ::std::clone::Clone,
                ::std::marker::Copy,
                ::std::cmp::PartialEq,
                ::std::cmp::Eq,
                ::std::hash::Hash
            ),
        ),
        NumberKind::Number => (
            quote!(f64),
            quote!(
                ::std::fmt::Debug,
                ::std::clone::Clone,
                ::std::marker::Copy,
                ::std::cmp::PartialEq
            ),
        ),
    };
    // Lowering read every value as a number of the enum's kind.
    let literal = |v: &Variant| -> TokenStream {
        let (negative, lit) = match v.number {
            Some(EnumNumber::Integer(n)) => (
                n < 0,
                proc_macro2::Literal::u64_unsuffixed(n.unsigned_abs()),
            ),
            Some(EnumNumber::Number(n)) => (n < 0.0, proc_macro2::Literal::f64_unsuffixed(n.abs())),
            None => return quote!(::std::compile_error!("a number enum without its number")),
        };
        match negative {
            true => quote!(-#lit),
            false => quote!(#lit),
        }
    };
    let doc = docs(&with_paragraph(&def.doc, "An open enum of numbers: a value this version does not know arrives as `Unknown` and round-trips unchanged. Do not match on `Unknown` for a specific value: a later version may know it."));
    let defs = variants.iter().map(|v| {
        let vname = ident(&v.rust_name);
        let vdoc = docs(&match &v.doc {
            Some(d) => format!("`{}`: {d}", v.value),
            None => format!("`{}`.", v.value),
        });
        quote! { #vdoc #vname, }
    });
    let to_number = variants.iter().map(|v| {
        let vname = ident(&v.rust_name);
        let lit = literal(v);
        quote!(Self::#vname => #lit,)
    });
    let from_number = variants.iter().map(|v| {
        let vname = ident(&v.rust_name);
        let lit = literal(v);
        quote!(if value == #lit { return Self::#vname; })
    });
    let serialize = match kind {
        NumberKind::Integer => quote!(serializer.serialize_i64(self.value())),
        NumberKind::Number => quote!(serializer.serialize_f64(self.value())),
    };
    let ser = serde_impl(
        def.in_request,
        def,
        quote! {
            impl ::serde::Serialize for #name {
                fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                    #serialize
                }
            }
        },
    );
    let de = serde_impl(
        def.in_response,
        def,
        quote! {
            impl<'de> ::serde::Deserialize<'de> for #name {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                    let value = <#number as ::serde::Deserialize>::deserialize(deserializer)?;
                    ::std::result::Result::Ok(Self::from(value))
                }
            }
        },
    );
    quote! {
        #doc
        #[derive(#derives)]
        #[non_exhaustive]
        pub enum #name {
            #(#defs)*
            /// A value this version of the SDK does not know.
            Unknown(#number),
        }
        impl #name {
            /// The value as sent on the wire.
            pub fn value(&self) -> #number {
                match self {
                    #(#to_number)*
                    Self::Unknown(value) => *value,
                }
            }
        }
        impl ::std::convert::From<#number> for #name {
            fn from(value: #number) -> Self {
                #(#from_number)*
                Self::Unknown(value)
            }
        }
        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.value(), f)
            }
        }
        #ser
        #de
    }
}

fn struct_tokens(api: &Api, group: &Group, def: &TypeDef, fields: &[Field]) -> TokenStream {
    let name = ident(&def.name);
    let doc = docs(&struct_doc(def));
    let redacted = fields.iter().any(|f| f.encrypted);
    let derives = derives(def, fields, redacted);
    let other = other_direction(def);
    let field_defs = fields.iter().map(|f| field_tokens(api, group, def, f));
    // Generated code touching a deprecated field must not warn; users' code does.
    let allow = fields
        .iter()
        .any(|f| f.notes.deprecated)
        .then(|| quote!(#[allow(deprecated)]));
    let debug = redacted
        .then(|| redacted_debug(def, fields))
        .map(|d| quote!(#allow #d));
    let builders = (def.construction == Construction::New)
        .then(|| constructor(api, group, def, fields, &allow));
    quote! {
        #doc
        #[derive(#(#derives),*)]
        #other
        #[non_exhaustive]
        pub struct #name { #(#field_defs)* }
        #debug
        #builders
    }
}

/// A type's description, if it has one, then `paragraph`.
fn with_paragraph(doc: &Option<String>, paragraph: &str) -> String {
    match doc.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(doc) => format!("{doc}\n\n{paragraph}"),
        None => paragraph.to_owned(),
    }
}

/// A struct's rustdoc: its description, or what it is for; then how to build it.
fn struct_doc(def: &TypeDef) -> String {
    let new = match &def.required_struct {
        Some(required) => format!("`new` takes the required fields by name (a [`{required}`])"),
        None => "`new` takes the required fields".to_owned(),
    };
    let how = match (def.construction, def.in_request) {
        (Construction::ByOperation, _) => {
            "Built by the operation it is the body of: its `new` and `with_…` methods set these fields.".to_owned()
        }
        (Construction::New, true) => format!("{new}; each optional field has a `with_…` setter. Later versions may add fields, so it is built with `new`, not a struct literal."),
        (Construction::New, false) => format!("Received from the platform. For tests, {new}; set optional fields on the value. Later versions may add fields, so it is built with `new`, not a struct literal."),
    };
    with_paragraph(&def.doc, &how)
}

/// The serde derive of the direction a type does not need, under the opt-in feature
/// `serde-both`: to store an answer and read it back, or read a stored request. Off by default,
/// so nobody compiles serde code twice for nothing.
fn other_direction(def: &TypeDef) -> Option<TokenStream> {
    let derive = match (def.in_request, def.in_response) {
        (true, false) => quote!(::serde::Deserialize),
        (false, true) => quote!(::serde::Serialize),
        _ => return None,
    };
    Some(quote!(#[cfg_attr(feature = #SERDE_BOTH_FEATURE, derive(#derive))]))
}

/// A hand-written serde impl: always where the type's direction needs it, else under
/// `serde-both` (if the type has serde at all).
fn serde_impl(needed: bool, def: &TypeDef, tokens: TokenStream) -> Option<TokenStream> {
    match (needed, def.in_request || def.in_response) {
        (true, _) => Some(tokens),
        (false, true) => Some(quote! { #[cfg(feature = #SERDE_BOTH_FEATURE)] #tokens }),
        (false, false) => None,
    }
}

/// Request types derive `Serialize`, response types `Deserialize`; structs with sensitive
/// fields get a redacting `Debug` instead of the derived one.
fn derives(def: &TypeDef, fields: &[Field], redacted: bool) -> Vec<TokenStream> {
    let mut derives = vec![quote!(::std::clone::Clone), quote!(::std::cmp::PartialEq)];
    if !redacted {
        derives.push(quote!(::std::fmt::Debug));
    }
    if fields.iter().all(|f| !f.required) {
        derives.push(quote!(::std::default::Default));
    }
    if def.in_request {
        derives.push(quote!(::serde::Serialize));
    }
    if def.in_response {
        derives.push(quote!(::serde::Deserialize));
    }
    derives
}

fn field_tokens(api: &Api, group: &Group, def: &TypeDef, f: &Field) -> TokenStream {
    let fname = ident(&f.rust_name);
    let ty = ty_tokens(api, group, &f.ty);
    let mut fdoc = field_text(api, f);
    if f.json_string {
        fdoc.push_str("\n\nOn the wire, a string holding this value's JSON.");
    }
    let fdoc = docs(&fdoc);
    let rename = (f.rust_name != f.wire_name).then(|| {
        let wire = &f.wire_name;
        quote!(#[serde(rename = #wire)])
    });
    let with = serde_with(f);
    let deprecated = f.notes.deprecated.then(|| quote!(#[deprecated]));
    if f.required {
        return quote! { #fdoc #deprecated #rename #with pub #fname: #ty, };
    }
    // Both attributes whenever the type has serde at all: the direction a type does not need is
    // derived under `serde-both`, and must keep `None` off the wire and accept it missing.
    let serde = def.in_request || def.in_response;
    let skip =
        serde.then(|| quote!(#[serde(skip_serializing_if = "::std::option::Option::is_none")]));
    let default = serde.then(|| quote!(#[serde(default)]));
    quote! { #fdoc #deprecated #rename #with #skip #default pub #fname: ::std::option::Option<#ty>, }
}

/// A field's rustdoc text: its description (a bare `$ref` property takes the referenced
/// type's), constraints, notes and example.
pub(super) fn field_text(api: &Api, f: &Field) -> String {
    let inherited = match (&f.doc, &f.ty) {
        (None, Ty::Named(n)) => api.types.get(n).and_then(|t| t.doc.clone()),
        (doc, _) => doc.clone(),
    };
    let fdoc = field_doc(
        &inherited,
        &f.constraints,
        &f.notes,
        &f.example,
        f.encrypted,
    );
    match fdoc.is_empty() {
        true => format!("`{}`.", f.wire_name),
        false => fdoc,
    }
}

/// The serde adapter of a field whose wire form is not serde's default for its type.
fn serde_with(f: &Field) -> Option<TokenStream> {
    let path = match (f.json_string, &f.ty) {
        // A JSON document carried in a string, written compact.
        (true, _) => "::wechatpay_core::json_string",
        // RFC 3339 keeps the offset WeChat Pay sends (`+08:00`), so a value round-trips unchanged.
        (false, Ty::DateTime) => "::time::serde::rfc3339",
        (false, _) => return None,
    };
    let path = match f.required {
        true => path.to_owned(),
        false => format!("{path}::option"),
    };
    Some(quote!(#[serde(with = #path)]))
}

fn redacted_debug(def: &TypeDef, fields: &[Field]) -> TokenStream {
    let name = ident(&def.name);
    let entries = fields.iter().map(|f| {
        let fname = ident(&f.rust_name);
        let wire = &f.rust_name;
        if f.encrypted && f.required {
            quote!(.field(#wire, &"<redacted>"))
        } else if f.encrypted {
            // An absent value shows as absent; a present one never shows.
            quote!(.field(#wire, &self.#fname.as_ref().map(|_| "<redacted>")))
        } else {
            quote!(.field(#wire, &self.#fname))
        }
    });
    let sname = &def.name;
    quote! {
        impl ::std::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(#sname) #(#entries)* .finish()
            }
        }
    }
}

/// `new` plus, for request types, one `with_x(…)` per optional member; and the struct of
/// required values `new` takes when there are two or more.
/// `allow` goes on each item (the struct of required values and the `impl`).
fn constructor(
    api: &Api,
    group: &Group,
    def: &TypeDef,
    fields: &[Field],
    allow: &Option<TokenStream>,
) -> TokenStream {
    let name = ident(&def.name);
    let required: Vec<&Field> = fields.iter().filter(|f| f.required).collect();
    let inits = fields.iter().map(|f| {
        let n = ident(&f.rust_name);
        match (f.required, &f.ty) {
            (true, Ty::String) if required.len() == 1 => quote!(#n: #n.into(),),
            (true, _) => quote!(#n,),
            (false, _) => quote!(#n: ::std::option::Option::None,),
        }
    });
    let (args, unpack, required_struct) = match (&def.required_struct, required.as_slice()) {
        (Some(rname), _) => {
            let fields: Vec<RequiredField> = (required.iter())
                .map(|f| RequiredField {
                    doc: field_text(api, f),
                    deprecated: f.notes.deprecated,
                    name: f.rust_name.clone(),
                    ty: ty_tokens(api, group, &f.ty),
                })
                .collect();
            let (param, unpack, definition) =
                required_struct(&def.name, rname, "fields", &fields, allow);
            (param, unpack, Some(definition))
        }
        (None, [f]) => {
            let n = ident(&f.rust_name);
            let ty = arg_ty(api, group, &f.ty);
            (quote!(#n: #ty), quote!(), None)
        }
        (None, _) => (quote!(), quote!(), None),
    };
    let withs = def.in_request.then(|| {
        let withs = (fields.iter())
            .filter(|f| !f.required)
            .map(|f| with_method(api, group, f));
        quote!(#(#withs)*)
    });
    let doc = own_docs(&format!(
        "Builds a [`{}`] with its required fields set and every optional one absent.",
        def.name
    ));
    quote! {
        #required_struct
        #allow
        impl #name {
            #doc
            pub fn new(#args) -> Self {
                #unpack
                Self { #(#inits)* }
            }
            #withs
        }
    }
}

/// `with_x(value)`: sets the optional member `x`.
fn with_method(api: &Api, group: &Group, f: &Field) -> TokenStream {
    let member = &f.rust_name;
    let field = ident(member);
    let method = ident(&f.setter);
    let doc = docs(&format!("Sets `{member}`."));
    let arg = arg_ty(api, group, &f.ty);
    let value = if f.ty == Ty::String {
        quote!(value.into())
    } else {
        quote!(value)
    };
    quote! {
        #doc
        #[must_use]
        pub fn #method(mut self, value: #arg) -> Self {
            self.#field = ::std::option::Option::Some(#value);
            self
        }
    }
}

/// The parameter type a constructor or setter takes for a member: strings take anything
/// `Into<String>`.
fn arg_ty(api: &Api, group: &Group, ty: &Ty) -> TokenStream {
    if *ty == Ty::String {
        quote!(impl ::std::convert::Into<::std::string::String>)
    } else {
        ty_tokens(api, group, ty)
    }
}

/// An open enum: the type, its wire text both ways, and serde only where a body needs it.
fn enum_tokens(def: &TypeDef, variants: &[Variant]) -> TokenStream {
    let name = ident(&def.name);
    let definition = enum_definition(def, variants);
    let as_str = enum_as_str(&name, variants);
    let from = enum_from(&name, variants);
    let display = enum_display(&name);
    let ser = serde_impl(def.in_request, def, enum_serialize(&name));
    let de = serde_impl(def.in_response, def, enum_deserialize(&name));
    quote! {
        #definition
        #as_str
        #from
        #display
        #ser
        #de
    }
}

/// The enum itself: one documented variant per known value, then `Unknown(String)`.
fn enum_definition(def: &TypeDef, variants: &[Variant]) -> TokenStream {
    let name = ident(&def.name);
    let doc = docs(&with_paragraph(&def.doc, "An open enum: a value this version does not know arrives as `Unknown` and round-trips unchanged. Do not match on `Unknown` for a specific value: a later version may know it."));
    let defs = variants.iter().map(|v| {
        let vname = ident(&v.rust_name);
        let vdoc = match &v.doc {
            Some(d) => format!("`{}`: {d}", v.value),
            None => format!("`{}`.", v.value),
        };
        let vdoc = docs(&vdoc);
        quote! { #vdoc #vname, }
    });
    quote! {
        #doc
        #[derive(::std::fmt::Debug, ::std::clone::Clone, ::std::cmp::PartialEq, ::std::cmp::Eq, ::std::hash::Hash)]
        #[non_exhaustive]
        pub enum #name {
            #(#defs)*
            /// A value this version of the SDK does not know.
            Unknown(::std::string::String),
        }
    }
}

/// `as_str()`: the wire text of a value.
fn enum_as_str(name: &Ident, variants: &[Variant]) -> TokenStream {
    let arms = variants.iter().map(|v| {
        let vname = ident(&v.rust_name);
        let value = &v.value;
        quote!(Self::#vname => #value,)
    });
    quote! {
        impl #name {
            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#arms)*
                    Self::Unknown(value) => value.as_str(),
                }
            }
        }
    }
}

/// `From<&str>`, `From<String>` and an infallible `FromStr`: wire text to a value.
fn enum_from(name: &Ident, variants: &[Variant]) -> TokenStream {
    let arms = variants.iter().map(|v| {
        let vname = ident(&v.rust_name);
        let value = &v.value;
        quote!(#value => Self::#vname,)
    });
    quote! {
        impl ::std::convert::From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #(#arms)*
                    other => Self::Unknown(::std::borrow::ToOwned::to_owned(other)),
                }
            }
        }
        impl ::std::convert::From<::std::string::String> for #name {
            fn from(value: ::std::string::String) -> Self {
                match Self::from(value.as_str()) {
                    Self::Unknown(_) => Self::Unknown(value),
                    known => known,
                }
            }
        }
        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, ::std::convert::Infallible> {
                ::std::result::Result::Ok(Self::from(value))
            }
        }
    }
}

/// `Display`: writes the wire text.
fn enum_display(name: &Ident) -> TokenStream {
    quote! {
        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    }
}

/// `Serialize` as the wire text, for enums in requests.
fn enum_serialize(name: &Ident) -> TokenStream {
    quote! {
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    }
}

/// `Deserialize` from any string, for enums in responses.
fn enum_deserialize(name: &Ident) -> TokenStream {
    quote! {
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)?;
                ::std::result::Result::Ok(Self::from(value))
            }
        }
    }
}
