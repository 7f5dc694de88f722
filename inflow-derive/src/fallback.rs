//! What a derive with mistakes expands to: the errors, and impls that never
//! run but let the rest of the user's crate type-check, so that each mistake
//! shows up once instead of once per use of the struct.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::ext::IdentExt;
use syn::DeriveInput;

use crate::ast::{snake_case, Input};
use crate::handles::handles;

pub fn expand(node: &DeriveInput, input: Option<&Input<'_>>, error: syn::Error) -> TokenStream {
    let errors = error.into_compile_error();
    let ident = &node.ident;
    let (impl_generics, ty_generics, where_clause) = node.generics.split_for_impl();
    let name = input
        .and_then(Input::literal_name)
        .unwrap_or_else(|| snake_case(&ident.unraw().to_string()));
    let reads = match input {
        Some(input) => input.reads(),
        None => node.generics.lifetimes().next().is_none(),
    };
    let from_row = if reads {
        let source = match input.and_then(Input::source) {
            Some(source) => source.to_token_stream(),
            None => quote!(Self),
        };
        quote! {
            #[doc(hidden)]
            /// Stands in for the row builder while the derive has errors.
            pub struct __InflowRowBuilder;

            #[automatically_derived]
            impl #impl_generics ::inflow::__private::FromRow for #ident #ty_generics #where_clause {
                type Source = #source;
                type Builder = __InflowRowBuilder;
            }

            #[automatically_derived]
            impl #impl_generics ::inflow::__private::RowBuilder<#ident #ty_generics>
                for __InflowRowBuilder #where_clause
            {
                fn new() -> Self {
                    __InflowRowBuilder
                }
                fn slot(_: &str) -> ::inflow::__private::Option<usize> {
                    ::inflow::__private::None
                }
                fn set(&mut self, _: usize, _: ::inflow::__private::Cell<'_>) {}
                fn finish(
                    self,
                ) -> ::inflow::__private::Result<#ident #ty_generics, ::inflow::__private::DecodeError> {
                    ::core::unreachable!()
                }
            }
        }
    } else {
        TokenStream::new()
    };
    let handles = input.map(handles);
    quote! {
        #errors
        const _: () = {
            #[automatically_derived]
            impl #impl_generics ::inflow::__private::Measurement for #ident #ty_generics #where_clause {
                const NAME: &'static str = #name;
                const COLUMNS: &'static [::inflow::__private::Column] = &[];
                fn encode(
                    &self,
                    _: &mut ::inflow::__private::LineWriter<'_>,
                ) -> ::inflow::__private::Result<(), ::inflow::__private::InvalidPoint> {
                    ::core::unreachable!()
                }
            }
            #from_row
            #handles
        };
    }
}
