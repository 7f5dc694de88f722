//! Generic structs: the bounds each role of a field needs when its type
//! names a type parameter, and the spans of a type.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{Type, WhereClause, WherePredicate};

use crate::ast::{Input, Role};

#[derive(Clone, Copy, PartialEq)]
pub enum Bounds {
    Write,
    Read,
}

/// The struct's where clause plus, for each field whose type names a type
/// parameter, the bound its role needs: `TagValue`, `FieldValue` and
/// `TimeValue` to write; also `FromTag`, `FromCell` and `Default` to read.
pub fn bounded_where(input: &Input<'_>, bounds: Bounds) -> Option<WhereClause> {
    let params = type_params(input);
    let mut clause = input.generics.where_clause.clone();
    if params.is_empty() {
        return clause;
    }
    let predicates = &mut clause
        .get_or_insert_with(|| syn::parse_quote!(where))
        .predicates;
    for field in &input.fields {
        let ty = field.ty;
        if !mentions(ty, &params) {
            continue;
        }
        let mut push = |bound: TokenStream| {
            let predicate: WherePredicate = syn::parse_quote!(#ty: #bound);
            predicates.push(predicate);
        };
        match (field.role(), bounds) {
            (Role::Skip, Bounds::Write) => {}
            (Role::Skip, Bounds::Read) => push(quote!(::inflow::__private::Default)),
            (Role::Tag, _) => {
                push(quote!(::inflow::__private::TagValue));
                if bounds == Bounds::Read {
                    push(quote!(::inflow::__private::FromTag));
                }
            }
            (Role::Time, _) => {
                push(quote!(::inflow::__private::TimeValue));
                if bounds == Bounds::Read {
                    push(quote!(::inflow::__private::FromCell));
                }
            }
            (Role::Field | Role::Aggregate, _) => {
                push(quote!(::inflow::__private::FieldValue));
                if bounds == Bounds::Read {
                    push(quote!(::inflow::__private::FromCell));
                }
            }
        }
    }
    clause
}

/// The struct's type and const parameters: a field type that names one
/// gets bounds in the where clause instead of being checked as it is.
pub fn type_params(input: &Input<'_>) -> Vec<Ident> {
    let generics = input.generics;
    let types = generics.type_params().map(|p| p.ident.clone());
    types
        .chain(generics.const_params().map(|p| p.ident.clone()))
        .collect()
}

/// The spans of the first and the last token of `ty`.
pub fn first_and_last_span(ty: &Type) -> (Span, Span) {
    let mut tokens = ty.to_token_stream().into_iter();
    let first = tokens.next().map_or_else(|| ty.span(), |t| t.span());
    let last = tokens.last().map_or(first, |t| t.span());
    (first, last)
}

/// Whether `ty` names one of `params`.
pub fn mentions(ty: &Type, params: &[Ident]) -> bool {
    fn walk(tokens: TokenStream, params: &[Ident]) -> bool {
        tokens.into_iter().any(|tree| match tree {
            TokenTree::Ident(ident) => params.contains(&ident),
            TokenTree::Group(group) => walk(group.stream(), params),
            _ => false,
        })
    }
    !params.is_empty() && walk(ty.to_token_stream(), params)
}
