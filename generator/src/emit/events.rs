//! Notification events: one `Event` enum over every group's `x-wechatpay-events`, each variant
//! holding its resource model and gated by its group's feature, plus `Unknown` for the rest.

use proc_macro2::TokenStream;
use quote::quote;

use super::{docs, ident};
use crate::ir::{Api, Event, Group, Ty};

/// `src/generated/events.rs`.
pub(super) fn events_tokens(api: &Api) -> TokenStream {
    let events: Vec<(&Group, &Event)> = api
        .groups
        .iter()
        .flat_map(|g| g.events.iter().map(move |e| (g, e)))
        .collect();
    let variants = events.iter().map(|(g, e)| variant(api, g, e));
    // Event types in order of first declaration, each with its shapes in file order.
    let mut by_type: Vec<(&str, Vec<(&Group, &Event)>)> = Vec::new();
    for (g, e) in &events {
        match by_type.iter_mut().find(|(t, _)| *t == e.event_type) {
            Some((_, shapes)) => shapes.push((g, e)),
            None => by_type.push((&e.event_type, vec![(g, e)])),
        }
    }
    let arms = by_type.iter().map(|(event_type, shapes)| match shapes.as_slice() {
        [(g, e)] => {
            let gate = gate(g);
            let name = ident(&e.rust_name);
            quote! { #gate #event_type => notification.decode().map(Event::#name), }
        }
        // Several shapes (told apart by required properties, checked in lowering): the first
        // whose feature is on and that decodes.
        shapes => {
            let tries = shapes.iter().map(|(g, e)| {
                let gate = gate(g);
                let name = ident(&e.rust_name);
                quote! {
                    #gate
                    match notification.decode() {
                        ::std::result::Result::Ok(resource) => return ::std::result::Result::Ok(Event::#name(resource)),
                        ::std::result::Result::Err(error) => {
                            __error.get_or_insert(error);
                        }
                    }
                }
            });
            quote! {
                #event_type => {
                    #[allow(unused_mut)]
                    let mut __error: ::std::option::Option<::serde_json::Error> = ::std::option::Option::None;
                    #(#tries)*
                    match __error {
                        ::std::option::Option::Some(error) => ::std::result::Result::Err(error),
                        ::std::option::Option::None => ::std::result::Result::Ok(Event::Unknown {
                            event_type: ::std::clone::Clone::clone(&notification.event_type),
                            resource: ::std::clone::Clone::clone(&notification.resource),
                        }),
                    }
                }
            }
        }
    });
    let types = events.iter().map(|(g, e)| {
        let gate = gate(g);
        let name = ident(&e.rust_name);
        let event_type = &e.event_type;
        quote! { #gate Event::#name(_) => #event_type, }
    });
    quote! {
        //! Notification events, typed: `NotificationHandler::parse_event::<Event>(headers, body)`
        //! verifies and decrypts a notification, then decodes its resource into the model of its
        //! `event_type`. Each variant exists when its group's feature is on; any other event type
        //! is `Event::Unknown` with the decrypted JSON. An event type that several groups send
        //! with different resources (`TRANSACTION.SUCCESS` to a direct merchant, a service
        //! provider, a combine order) has one variant per resource shape; the shapes differ in
        //! required members, so a notification decodes as exactly one of them.

        /// A notification's decrypted resource, by its `event_type`.
        #[derive(::std::fmt::Debug, ::std::clone::Clone, ::std::cmp::PartialEq)]
        #[non_exhaustive]
        pub enum Event {
            #(#variants)*
            /// An event type this build does not know (or whose group's feature is off).
            Unknown {
                /// The `event_type`.
                event_type: ::std::string::String,
                /// The decrypted resource.
                resource: ::serde_json::Value,
            },
        }

        impl Event {
            /// The `event_type`, e.g. `TRANSACTION.SUCCESS`.
            pub fn event_type(&self) -> &str {
                match self {
                    #(#types)*
                    Event::Unknown { event_type, .. } => event_type,
                }
            }
        }

        impl ::wechatpay_core::NotificationEvent for Event {
            /// Decodes the resource by `event_type`. (With no event's feature on, only the
            /// catch-all arm is left.)
            #[allow(clippy::match_single_binding)]
            fn from_notification(
                notification: &::wechatpay_core::Notification,
            ) -> ::std::result::Result<Self, ::serde_json::Error> {
                match notification.event_type.as_str() {
                    #(#arms)*
                    _ => ::std::result::Result::Ok(Event::Unknown {
                        event_type: ::std::clone::Clone::clone(&notification.event_type),
                        resource: ::std::clone::Clone::clone(&notification.resource),
                    }),
                }
            }
        }
    }
}

fn gate(group: &Group) -> Option<TokenStream> {
    group.feature.as_ref().map(|f| quote!(#[cfg(feature = #f)]))
}

fn variant(api: &Api, group: &Group, event: &Event) -> TokenStream {
    let gate = gate(group);
    let name = ident(&event.rust_name);
    let mut doc = event.summary.clone().unwrap_or_default();
    if let Some(d) = &event.description {
        doc.push_str("\n\n");
        doc.push_str(d.trim());
    }
    doc.push_str(&format!(
        "\n\n`{}` (`spec/{}`).",
        event.event_type, group.file
    ));
    let doc = docs(doc.trim_start());
    let resource = match &event.resource {
        Ty::Named(n) => {
            let module = ident(api.types.get(n).map_or(&group.module, |t| &t.module));
            let n = ident(n);
            quote!(super::#module::#n)
        }
        // Lowering makes every resource a named struct.
        _ => quote!(::serde_json::Value),
    };
    quote! { #doc #gate #name(#resource), }
}
