//! Code generation. Everything generated reaches inflow through
//! `::inflow::__private` and lives in one `const _: () = { ... };`.

use proc_macro2::{Ident, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{DeriveInput, Type, WhereClause, WherePredicate};

use crate::ast::{Field, Input, Role};
use crate::attr::Ctxt;
use crate::{fallback, valid};

/// The whole derive: parse, validate, then expand, or fall back when
/// anything is wrong.
pub fn derive(node: &DeriveInput) -> TokenStream {
    let cx = Ctxt::default();
    let input = Input::from_syn(&cx, node);
    if let Some(input) = &input {
        valid::validate(&cx, input);
    }
    match (cx.check(), input) {
        (Ok(()), Some(input)) => expand(&input),
        (Err(error), input) => fallback::expand(node, input.as_ref(), error),
        (Ok(()), None) => fallback::expand(
            node,
            None,
            syn::Error::new(
                Span::call_site(),
                "#[derive(Measurement)] needs a struct with named fields",
            ),
        ),
    }
}

fn expand(input: &Input<'_>) -> TokenStream {
    let measurement = impl_measurement(input);
    let from_row = if input.reads() {
        impl_from_row(input)
    } else {
        TokenStream::new()
    };
    let handles = handles(input);
    let has_aggregates = input.fields.iter().any(|f| f.role() == Role::Aggregate);
    let field_name = has_aggregates.then(|| {
        quote! {
            /// The name of the source column an aggregate applies to; only a
            /// field can be aggregated.
            const fn __inflow_field_name<M, V>(
                column: ::inflow::__private::Field<M, V>,
            ) -> &'static str {
                column.name()
            }
        }
    });
    quote! {
        const _: () = {
            #field_name
            #measurement
            #from_row
            #handles
        };
    }
}

/// `impl Measurement`: name, columns and the encoder.
fn impl_measurement(input: &Input<'_>) -> TokenStream {
    let ident = input.ident;
    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let where_clause = bounded_where(input, Bounds::Write);

    let name = match (input.literal_name(), input.source()) {
        (Some(name), _) => name.into_token_stream(),
        (None, Some(source)) => quote!(<#source as ::inflow::__private::Measurement>::NAME),
        (None, None) => "".into_token_stream(),
    };
    let write_measurement = match input.literal_name() {
        Some(name) => {
            let escaped = inflow_rules::escape::measurement(&name);
            quote!(__writer.measurement_escaped(#escaped);)
        }
        None => quote!(__writer.measurement(<Self as ::inflow::__private::Measurement>::NAME)?;),
    };

    let columns = input.columns().map(|field| column(input, field));

    let mut tags: Vec<&Field<'_>> = input.columns().filter(|f| f.role() == Role::Tag).collect();
    tags.sort_by_key(|f| f.column_name());
    let write_tags = tags.iter().map(|field| {
        let member = field.ident;
        let key = inflow_rules::escape::key(&field.column_name());
        let call = spanned_call(field.ty, quote!(TagValue), quote!(as_tag));
        quote! {
            if let ::inflow::__private::Some(__value) = #call(&self.#member) {
                __writer.tag_escaped(#key, __value)?;
            }
        }
    });
    let write_fields = input
        .columns()
        .filter(|f| matches!(f.role(), Role::Field | Role::Aggregate))
        .map(|field| {
            let member = field.ident;
            let key = inflow_rules::escape::key(&field.column_name());
            let call = spanned_call(field.ty, quote!(FieldValue), quote!(to_field));
            quote! {
                if let ::inflow::__private::Some(__value) = #call(&self.#member) {
                    __writer.field_escaped(#key, __value)?;
                }
            }
        });
    let time = match input.columns().find(|f| f.role() == Role::Time) {
        Some(field) => {
            let member = field.ident;
            let call = spanned_call(field.ty, quote!(TimeValue), quote!(to_nanos));
            quote!(#call(&self.#member)?)
        }
        None => quote!(::inflow::__private::None),
    };

    quote! {
        #[automatically_derived]
        impl #impl_generics ::inflow::__private::Measurement for #ident #ty_generics #where_clause {
            const NAME: &'static str = #name;

            const COLUMNS: &'static [::inflow::__private::Column] = &[#(#columns),*];

            #[inline]
            fn encode(
                &self,
                __writer: &mut ::inflow::__private::LineWriter<'_>,
            ) -> ::inflow::__private::Result<(), ::inflow::__private::InvalidPoint> {
                #write_measurement
                #(#write_tags)*
                #(#write_fields)*
                __writer.finish(#time)
            }
        }
    }
}

/// `<Ty as ::inflow::__private::Trait>::method`, spanned at the field's
/// type so that a type that cannot be a tag, field or time is reported there.
fn spanned_call(ty: &Type, trait_: TokenStream, method: TokenStream) -> TokenStream {
    quote_spanned!(ty.span()=> <#ty as ::inflow::__private::#trait_>::#method)
}

/// One `Column { name, kind }` of `COLUMNS`.
fn column(input: &Input<'_>, field: &Field<'_>) -> TokenStream {
    let name = field.column_name();
    let kind = match field.role() {
        Role::Time => quote!(Time),
        Role::Tag => quote!(Tag),
        Role::Field | Role::Skip => quote!(Field),
        Role::Aggregate => match (&field.attrs.aggregate, input.source()) {
            (Some(agg), Some(source)) => {
                let function = agg.function.name;
                let column = &agg.column;
                let span = agg.literal.span();
                // Calling the source's handle checks that the column exists
                // and is a field, and `assert_numeric` that it is a number,
                // with errors pointing at the aggregate's string.
                let of = if agg.function.numeric {
                    quote_spanned! {span=> {
                        let __column = <#source>::#column();
                        ::inflow::__private::assert_numeric(&__column);
                        __column.name()
                    }}
                } else {
                    quote_spanned!(span=> __inflow_field_name(<#source>::#column()))
                };
                let arg = match &agg.arg {
                    Some(arg) => quote!(::inflow::__private::Some(#arg)),
                    None => quote!(::inflow::__private::None),
                };
                quote!(Aggregate { function: #function, of: #of, arg: #arg })
            }
            _ => quote!(Field),
        },
    };
    quote! {
        ::inflow::__private::Column {
            name: #name,
            kind: ::inflow::__private::ColumnKind::#kind,
        }
    }
}

/// `impl FromRow` and the row builder it names.
fn impl_from_row(input: &Input<'_>) -> TokenStream {
    let ident = input.ident;
    let generics = input.generics;
    let (impl_generics, ty_generics, plain_where) = generics.split_for_impl();
    let where_clause = bounded_where(input, Bounds::Read);
    let source = match input.source() {
        Some(source) => source.to_token_stream(),
        None => quote!(Self),
    };
    let builder = Ident::new("__InflowRowBuilder", Span::call_site());
    let name = quote!(<#ident #ty_generics as ::inflow::__private::Measurement>::NAME);

    let columns: Vec<&Field<'_>> = input.columns().collect();
    let slots: Vec<Ident> = (0..columns.len())
        .map(|i| format_ident!("__slot{}", i))
        .collect();
    let types = columns.iter().map(|f| f.ty);
    let indices = 0..columns.len();
    let names: Vec<String> = columns.iter().map(|f| f.column_name()).collect();

    let vars: Vec<Ident> = (0..columns.len())
        .map(|i| format_ident!("__value{}", i))
        .collect();
    let column_arms = columns
        .iter()
        .zip(&slots)
        .enumerate()
        .map(|(i, (field, slot))| {
            let column = field.column_name();
            let decode = decoder(field, "decode_tag", "decode_field");
            let required = decoder(field, "required_tag", "required");
            quote! {
                #i => match __cell {
                    ::inflow::__private::Some(__cell) => {
                        #decode(__cell, &mut self.#slot, &mut self.__inflow_error, #name, #column)
                    }
                    ::inflow::__private::None => {
                        if self.#slot.is_none() {
                            match #required(::inflow::__private::None, #name, #column) {
                                ::inflow::__private::Ok(__value) => {
                                    self.#slot = ::inflow::__private::Some(__value);
                                }
                                ::inflow::__private::Err(__error) => {
                                    self.__inflow_error.get_or_insert(__error);
                                }
                            }
                        }
                    }
                },
            }
        });
    let mut free_vars = vars.iter();
    let mut members = Vec::with_capacity(input.fields.len());
    for field in &input.fields {
        let member = field.ident;
        if field.role() == Role::Skip {
            let ty = field.ty;
            let default =
                quote_spanned!(ty.span()=> <#ty as ::inflow::__private::Default>::default());
            members.push(quote!(#member: #default));
        } else if let Some(var) = free_vars.next() {
            members.push(quote!(#member: #var));
        }
    }
    let indices_again = 0..columns.len();

    quote! {
        #[doc(hidden)]
        /// Collects one query row into the struct.
        pub struct #builder #impl_generics #plain_where {
            #(#slots: ::inflow::__private::Option<#types>,)*
            __inflow_error: ::inflow::__private::Option<::inflow::__private::DecodeError>,
            __inflow_marker: ::core::marker::PhantomData<fn() -> #ident #ty_generics>,
        }

        impl #impl_generics #builder #ty_generics #where_clause {
            /// Decodes a cell into its slot; without a cell, fills a slot no
            /// cell came for, or records that its column is missing. All
            /// decoding of the field types is in this one body, so that a
            /// type that cannot be decoded is reported once.
            #[inline(always)]
            fn __column(
                &mut self,
                __slot: usize,
                __cell: ::inflow::__private::Option<::inflow::__private::Cell<'_>>,
            ) {
                match __slot {
                    #(#column_arms)*
                    _ => {}
                }
            }
        }

        #[automatically_derived]
        impl #impl_generics ::inflow::__private::FromRow for #ident #ty_generics #where_clause {
            type Source = #source;
            type Builder = #builder #ty_generics;
        }

        #[automatically_derived]
        impl #impl_generics ::inflow::__private::RowBuilder<#ident #ty_generics>
            for #builder #ty_generics #where_clause
        {
            #[inline]
            fn new() -> Self {
                #builder {
                    #(#slots: ::inflow::__private::None,)*
                    __inflow_error: ::inflow::__private::None,
                    __inflow_marker: ::core::marker::PhantomData,
                }
            }

            #[inline]
            fn slot(__column: &str) -> ::inflow::__private::Option<usize> {
                match __column {
                    #(#names => ::inflow::__private::Some(#indices),)*
                    _ => ::inflow::__private::None,
                }
            }

            #[inline]
            fn set(&mut self, __slot: usize, __cell: ::inflow::__private::Cell<'_>) {
                self.__column(__slot, ::inflow::__private::Some(__cell));
            }

            fn finish(
                mut self,
            ) -> ::inflow::__private::Result<#ident #ty_generics, ::inflow::__private::DecodeError> {
                #(self.__column(#indices_again, ::inflow::__private::None);)*
                match (#(self.#slots,)* self.__inflow_error) {
                    (#(::inflow::__private::Some(#vars),)* ::inflow::__private::None) => {
                        ::inflow::__private::Ok(#ident {
                            #(#members,)*
                        })
                    }
                    (.., ::inflow::__private::Some(__error)) => ::inflow::__private::Err(__error),
                    // Not reached: a slot is only left empty with an error.
                    _ => ::inflow::__private::Err(::inflow::__private::DecodeError::Malformed(
                        ::core::convert::Into::into("a row was left incomplete"),
                    )),
                }
            }
        }
    }
}

/// `::inflow::__private::decode_tag::<Ty>` (or the field variant), spanned
/// at the field's type.
fn decoder(field: &Field<'_>, tag: &str, other: &str) -> TokenStream {
    let ty = field.ty;
    let function = Ident::new(
        if field.role() == Role::Tag {
            tag
        } else {
            other
        },
        ty.span(),
    );
    quote_spanned!(ty.span()=> ::inflow::__private::#function::<#ty>)
}

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

#[derive(Clone, Copy, PartialEq)]
enum Bounds {
    Write,
    Read,
}

/// The struct's where clause plus, for each field whose type names a type
/// parameter, the bound its role needs: `TagValue`, `FieldValue` and
/// `TimeValue` to write; also `FromTag`, `FromCell` and `Default` to read.
fn bounded_where(input: &Input<'_>, bounds: Bounds) -> Option<WhereClause> {
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
fn type_params(input: &Input<'_>) -> Vec<Ident> {
    let generics = input.generics;
    let types = generics.type_params().map(|p| p.ident.clone());
    types
        .chain(generics.const_params().map(|p| p.ident.clone()))
        .collect()
}

/// The spans of the first and the last token of `ty`.
fn first_and_last_span(ty: &Type) -> (Span, Span) {
    let mut tokens = ty.to_token_stream().into_iter();
    let first = tokens.next().map_or_else(|| ty.span(), |t| t.span());
    let last = tokens.last().map_or(first, |t| t.span());
    (first, last)
}

/// Whether `ty` names one of `params`.
fn mentions(ty: &Type, params: &[Ident]) -> bool {
    fn walk(tokens: TokenStream, params: &[Ident]) -> bool {
        tokens.into_iter().any(|tree| match tree {
            TokenTree::Ident(ident) => params.contains(&ident),
            TokenTree::Group(group) => walk(group.stream(), params),
            _ => false,
        })
    }
    !params.is_empty() && walk(ty.to_token_stream(), params)
}
