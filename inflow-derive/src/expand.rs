//! Code generation. Everything generated reaches inflow through
//! `::inflow::__private` and lives in one `const _: () = { ... };`.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};

use syn::spanned::Spanned;
use syn::{DeriveInput, Type};

use crate::ast::{Field, Input, Role};
use crate::ctxt::Ctxt;
use crate::generics::{bounded_where, Bounds};
use crate::handles::handles;
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
    let field_types: Vec<TokenStream> = input
        .columns()
        .filter(|f| f.role() == Role::Field)
        .map(|field| {
            let name = field.column_name();
            let ty = field.ty;
            quote_spanned!(ty.span()=> (#name, <#ty as ::inflow::__private::FieldValue>::FIELD_TYPE))
        })
        .collect();

    let mut tags: Vec<&Field<'_>> = input.columns().filter(|f| f.role() == Role::Tag).collect();
    tags.sort_by_key(|f| f.column_name());
    let write_tags = tags.iter().map(|field| {
        let member = field.ident;
        let name = field.column_name();
        let key = inflow_rules::escape::key(&name);
        let call = spanned_call(field.ty, quote!(TagValue), quote!(as_tag));
        // A key with a backslash before a space makes the line worth
        // checking as the server splits it (rare: decided here, once).
        let announce = name
            .contains("\\ ")
            .then(|| quote!(__writer.tag_key_with_backslash(#name);));
        quote! {
            if let ::inflow::__private::Some(__value) = #call(&self.#member) {
                #announce
                __writer.tag_escaped(#key, __value)?;
            }
        }
    });
    let write_fields = input
        .columns()
        .filter(|f| matches!(f.role(), Role::Field | Role::Aggregate))
        .map(|field| {
            let member = field.ident;
            let key = inflow_rules::escape::field_key(&field.column_name());
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
            match time_unit(field) {
                Some(unit) => {
                    let call = spanned_call(field.ty, quote!(IntegerTime), quote!(to_nanos_in));
                    quote!(#call(&self.#member, #unit)?)
                }
                None => {
                    let call = spanned_call(field.ty, quote!(TimeValue), quote!(to_nanos));
                    quote!(#call(&self.#member)?)
                }
            }
        }
        None => quote!(::inflow::__private::None),
    };

    quote! {
        #[automatically_derived]
        impl #impl_generics ::inflow::__private::Measurement for #ident #ty_generics #where_clause {
            const NAME: &'static str = #name;

            const COLUMNS: &'static [::inflow::__private::Column] = &[#(#columns),*];

            const FIELD_TYPES: &'static [(&'static str, ::inflow::__private::Option<::inflow::__private::FieldType>)] = &[#(#field_types),*];

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
                let of = if agg.function.numeric || agg.function.ordered {
                    let assert = if agg.function.numeric {
                        quote_spanned!(span=> ::inflow::__private::assert_numeric)
                    } else {
                        quote_spanned!(span=> ::inflow::__private::assert_ordered)
                    };
                    quote_spanned! {span=> {
                        let __column = <#source>::#column();
                        #assert(&__column);
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
            let (decode, required) = match time_unit(field) {
                // An integer time: decoded in the unit the field names.
                Some(unit) => {
                    let ty = field.ty;
                    (
                        quote_spanned!(ty.span()=> ::inflow::__private::decode_time_in::<#ty>(__cell, #unit, &mut self.#slot, &mut self.__inflow_error, #name, #column)),
                        quote_spanned!(ty.span()=> ::inflow::__private::required_time::<#ty>),
                    )
                }
                None => {
                    let decode = decoder(field, "decode_tag", "decode_field");
                    (
                        quote!(#decode(__cell, &mut self.#slot, &mut self.__inflow_error, #name, #column)),
                        decoder(field, "required_tag", "required"),
                    )
                }
            };
            quote! {
                #i => match __cell {
                    ::inflow::__private::Some(__cell) => {
                        #decode
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

/// `::inflow::__private::TimeUnit::Seconds` (say) for a time field with a
/// `unit`.
fn time_unit(field: &Field<'_>) -> Option<TokenStream> {
    if field.role() != Role::Time {
        return None;
    }
    let (span, unit) = field.attrs.unit?;
    let unit = Ident::new(unit, span);
    Some(quote!(::inflow::__private::TimeUnit::#unit))
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
