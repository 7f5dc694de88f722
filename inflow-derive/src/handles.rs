//! The typed column handles a derived struct gets: one `pub const fn` per
//! column, used by the `SELECT` builder. Emitted by the expansion and, for
//! a struct with mistakes, by the fallback, so that code using the handles
//! still compiles while the user fixes the derive.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ext::IdentExt;

use crate::ast::{Input, Role};
use crate::generics::{first_and_last_span, mentions, type_params};

/// The typed column handles: one `pub const fn` per column, named after the
/// Rust field.
pub fn handles(input: &Input<'_>) -> TokenStream {
    let ident = input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let params = type_params(input);
    let fns = input.columns().map(|field| {
        let member = field.ident;
        let ty = field.ty;
        let column = field.column_name();
        let (what, ret, ctor) = match field.role() {
            Role::Time => (
                "the column",
                quote!(::inflow::__private::Time<Self>),
                quote!(Time),
            ),
            Role::Tag => (
                "the tag",
                quote!(::inflow::__private::Tag<Self>),
                quote!(Tag),
            ),
            Role::Field | Role::Aggregate | Role::Skip => {
                // Spanned from the type's first token to its last, so that a
                // type without `ColumnType` is underlined whole.
                let (first, last) = first_and_last_span(ty);
                let open = quote_spanned!(first=> ::inflow::__private::Field<Self, <);
                let close = quote_spanned!(last=> as ::inflow::__private::ColumnType>::Scalar>);
                ("the field", quote!(#open #ty #close), quote!(Field))
            }
        };
        let bound = match field.role() {
            Role::Field | Role::Aggregate if mentions(ty, &params) => {
                quote!(where #ty: ::inflow::__private::ColumnType)
            }
            _ => TokenStream::new(),
        };
        let rust_name = member.unraw().to_string();
        let doc = if rust_name == column {
            format!("Column handle for {what} `{column}` of `{ident}`.")
        } else {
            format!("Column handle for {what} `{column}` (Rust field `{rust_name}`) of `{ident}`.")
        };
        let field_docs: Vec<_> = field.docs().collect();
        let separator = (!field_docs.is_empty()).then(|| quote!(#[doc = ""]));
        quote! {
            #[doc = #doc]
            #separator
            #(#field_docs)*
            #[inline]
            pub const fn #member() -> #ret #bound {
                ::inflow::__private::#ctor::new(#column)
            }
        }
    });
    quote! {
        #[allow(dead_code, non_snake_case)]
        impl #impl_generics #ident #ty_generics #where_clause {
            #(#fns)*
        }
    }
}
