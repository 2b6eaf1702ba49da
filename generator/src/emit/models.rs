//! Models: the structs and open enums of request and response bodies, with the builders of
//! the structs users write.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::{docs, field_doc, ident, ty_tokens};
use crate::ir::{Api, Field, Group, NumberKind, Ty, TypeDef, TypeKind, Variant};

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
    let literal = |v: &Variant| -> TokenStream {
        match kind {
            NumberKind::Integer => {
                let n: i64 = v.value.parse().unwrap_or_default();
                let lit = proc_macro2::Literal::i64_unsuffixed(n.abs());
                if n < 0 {
                    quote!(-#lit)
                } else {
                    quote!(#lit)
                }
            }
            NumberKind::Number => {
                let n: f64 = v.value.parse().unwrap_or_default();
                let lit = proc_macro2::Literal::f64_unsuffixed(n.abs());
                if n < 0.0 {
                    quote!(-#lit)
                } else {
                    quote!(#lit)
                }
            }
        }
    };
    let doc = def
        .doc
        .clone()
        .unwrap_or_else(|| format!("The `{}` values.", def.name));
    let doc = docs(&format!("{doc}\n\nAn open enum of numbers: a value this version does not know arrives as `Unknown` and round-trips unchanged. Do not match on `Unknown` for a specific value: a later version may know it."));
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
    let ser = def.in_request.then(|| quote! {
        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                #serialize
            }
        }
    });
    let de = def.in_response.then(|| quote! {
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value = <#number as ::serde::Deserialize>::deserialize(deserializer)?;
                ::std::result::Result::Ok(Self::from(value))
            }
        }
    });
    quote! {
        #doc
        #[derive(#derives)]
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
    let doc = docs(
        &def.doc
            .clone()
            .unwrap_or_else(|| format!("The `{}` object.", def.name)),
    );
    let redacted = fields.iter().any(|f| f.encrypted);
    let derives = derives(def, fields, redacted);
    let field_defs = fields.iter().map(|f| field_tokens(api, group, def, f));
    // Generated code touching a deprecated field must not warn; users' code does.
    let allow = fields
        .iter()
        .any(|f| f.notes.deprecated)
        .then(|| quote!(#[allow(deprecated)]));
    let debug = redacted
        .then(|| redacted_debug(def, fields))
        .map(|d| quote!(#allow #d));
    let builders = def
        .in_request
        .then(|| constructor(api, group, fields, &def.name))
        .map(|b| quote!(#allow #b));
    quote! {
        #doc
        #[derive(#(#derives),*)]
        pub struct #name { #(#field_defs)* }
        #debug
        #builders
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
    // A bare `$ref` property takes the referenced type's description.
    let inherited = match (&f.doc, &f.ty) {
        (None, Ty::Named(n)) => api.types.get(n).and_then(|t| t.doc.clone()),
        (doc, _) => doc.clone(),
    };
    let mut fdoc = field_doc(
        &inherited,
        &f.constraints,
        &f.notes,
        &f.example,
        f.encrypted,
    );
    if fdoc.is_empty() {
        fdoc = format!("`{}`.", f.wire_name);
    }
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
    let skip = def
        .in_request
        .then(|| quote!(#[serde(skip_serializing_if = "::std::option::Option::is_none")]));
    let default = def.in_response.then(|| quote!(#[serde(default)]));
    quote! { #fdoc #deprecated #rename #with #skip #default pub #fname: ::std::option::Option<#ty>, }
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
        if f.encrypted {
            quote!(.field(#wire, &"<redacted>"))
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

/// `new(required…)` plus one `with_x(…)` per optional member, for structs users build.
fn constructor(api: &Api, group: &Group, fields: &[Field], type_name: &str) -> TokenStream {
    let name = ident(type_name);
    let new = new_fn(api, group, fields, type_name);
    let withs = fields
        .iter()
        .filter(|f| !f.required)
        .map(|f| with_method(api, group, f));
    quote! {
        impl #name {
            #new
            #(#withs)*
        }
    }
}

/// `new(…)` taking the required members in order and leaving every optional one `None`.
fn new_fn(api: &Api, group: &Group, fields: &[Field], type_name: &str) -> TokenStream {
    let required: Vec<&Field> = fields.iter().filter(|f| f.required).collect();
    let args = required.iter().map(|f| {
        let n = ident(&f.rust_name);
        let ty = arg_ty(api, group, &f.ty);
        quote!(#n: #ty)
    });
    let inits = fields.iter().map(|f| {
        let n = ident(&f.rust_name);
        match (f.required, &f.ty) {
            (true, Ty::String) => quote!(#n: #n.into(),),
            (true, _) => quote!(#n,),
            (false, _) => quote!(#n: ::std::option::Option::None,),
        }
    });
    let lint = (required.len() > 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    let doc = docs(&format!(
        "A `{type_name}` with its required members set and every optional one absent."
    ));
    quote! {
        #doc
        #lint
        pub fn new(#(#args),*) -> Self {
            Self { #(#inits)* }
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
    let ser = def.in_request.then(|| enum_serialize(&name));
    let de = def.in_response.then(|| enum_deserialize(&name));
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
    let doc = def
        .doc
        .clone()
        .unwrap_or_else(|| format!("The `{}` values.", def.name));
    let doc = format!("{doc}\n\nAn open enum: a value this version does not know arrives as `Unknown` and round-trips unchanged. Do not match on `Unknown` for a specific value: a later version may know it.");
    let doc = docs(&doc);
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
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
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
