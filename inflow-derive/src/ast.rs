//! The typed view of a `#[derive(Measurement)]` input. Every part keeps the
//! syntax it came from, for spans.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Fields, Generics, Ident, Type};

use crate::attr;
use crate::ctxt::Ctxt;

/// A struct with named fields and its attributes.
pub struct Input<'a> {
    pub ident: &'a Ident,
    pub generics: &'a Generics,
    pub attrs: attr::Container,
    pub fields: Vec<Field<'a>>,
}

/// One named field and its attributes.
pub struct Field<'a> {
    pub original: &'a syn::Field,
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub attrs: attr::Field,
}

/// What a field is, after its attributes. When attributes conflict (which
/// validation reports), the first of time, tag, aggregate wins.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    Time,
    Tag,
    Field,
    Aggregate,
    Skip,
}

impl<'a> Input<'a> {
    /// The typed view, or `None` (with the error recorded) when the input is
    /// not a struct with named fields.
    pub fn from_syn(cx: &Ctxt, node: &'a DeriveInput) -> Option<Self> {
        const NEEDS: &str =
            "#[derive(Measurement)] needs a struct with named fields, one per column";
        let fields = match &node.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(fields) => fields,
                Fields::Unnamed(fields) => {
                    cx.error_spanned_by(
                        fields,
                        format!(
                            "{NEEDS}; give each field a name: struct {} {{ value: f64 }}",
                            node.ident
                        ),
                    );
                    return None;
                }
                Fields::Unit => {
                    cx.error_spanned_by(
                        &node.ident,
                        format!(
                            "{NEEDS}; add at least one field: struct {} {{ value: f64 }}",
                            node.ident
                        ),
                    );
                    return None;
                }
            },
            Data::Enum(data) => {
                let token = data.enum_token;
                let ident = &node.ident;
                cx.error_spanned_by(
                    quote::quote!(#token #ident),
                    format!("{NEEDS}, not an enum; an enum can be a tag value by implementing inflow::TagValue"),
                );
                return None;
            }
            Data::Union(data) => {
                let token = data.union_token;
                let ident = &node.ident;
                cx.error_spanned_by(
                    quote::quote!(#token #ident),
                    format!("{NEEDS}, not a union"),
                );
                return None;
            }
        };
        let attrs = attr::container(cx, &node.attrs);
        let fields = fields
            .named
            .iter()
            .filter_map(|field| {
                Some(Field {
                    original: field,
                    ident: field.ident.as_ref()?,
                    ty: &field.ty,
                    attrs: attr::field(cx, &field.attrs),
                })
            })
            .collect();
        Some(Input {
            ident: &node.ident,
            generics: &node.generics,
            attrs,
            fields,
        })
    }

    /// The measurement name when it is known here: from `measurement = ...`
    /// or the struct's name; `None` with `from = Source`.
    pub fn literal_name(&self) -> Option<String> {
        if self.attrs.from.is_some() && self.attrs.measurement.is_none() {
            return None;
        }
        Some(match &self.attrs.measurement {
            Some(lit) => lit.value(),
            None => snake_case(&self.ident.unraw().to_string()),
        })
    }

    /// The `from` source type, if any.
    pub fn source(&self) -> Option<&Type> {
        self.attrs.from.as_ref().map(|(_, ty)| ty)
    }

    /// Whether `FromRow` is generated: not for borrowing structs, nor for
    /// `write_only` ones.
    pub fn reads(&self) -> bool {
        self.attrs.write_only.is_none() && self.generics.lifetimes().next().is_none()
    }

    /// The fields that are columns, in declaration order.
    pub fn columns(&self) -> impl Iterator<Item = &Field<'a>> {
        self.fields.iter().filter(|f| f.role() != Role::Skip)
    }
}

impl Field<'_> {
    pub fn role(&self) -> Role {
        let a = &self.attrs;
        if a.skip.is_some() {
            Role::Skip
        } else if a.time.is_some() {
            Role::Time
        } else if a.tag.is_some() {
            Role::Tag
        } else if a.aggregate.is_some() {
            Role::Aggregate
        } else {
            Role::Field
        }
    }

    /// The column's name in InfluxDB, unescaped.
    pub fn column_name(&self) -> String {
        if self.role() == Role::Time {
            return inflow_rules::name::TIME.to_string();
        }
        match &self.attrs.rename {
            Some(lit) => lit.value(),
            None => self.ident.unraw().to_string(),
        }
    }

    /// The field's own doc comment attributes.
    pub fn docs(&self) -> impl Iterator<Item = &syn::Attribute> {
        self.original
            .attrs
            .iter()
            .filter(|attr| attr.path().is_ident("doc"))
    }

    /// Where the column's name comes from: the `rename` string, or the
    /// field's name.
    pub fn name_span(&self) -> Span {
        match &self.attrs.rename {
            Some(lit) => lit.span(),
            None => self.ident.span(),
        }
    }
}

/// `HourlyTemperature` → `hourly_temperature`, `HTTPRequest` →
/// `http_request`, `Cpu2Load` → `cpu2_load`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1);
            let boundary = match prev {
                None | Some('_') => false,
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) => p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()),
            };
            if boundary {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn snake_case_names() {
        for (from, to) in [
            ("HourlyTemperature", "hourly_temperature"),
            ("Temperature", "temperature"),
            ("HTTPRequest", "http_request"),
            ("CPU", "cpu"),
            ("Cpu2Load", "cpu2_load"),
            ("already_snake", "already_snake"),
            ("Disk_IO", "disk_io"),
            ("ÉtéTemps", "été_temps"),
        ] {
            assert_eq!(snake_case(from), to, "{from}");
        }
    }
}
