//! Reading `#[influx(...)]` attributes: the names of all keys live here, and
//! every mistake in one attribute is recorded without stopping at the first.

use inflow_rules::aggregate::{self, Function, Problem};
use proc_macro2::Span;

use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, ExprLit, Ident, Lit, LitStr, Token, Type};

use quote::ToTokens;

use crate::ctxt::Ctxt;

/// The attribute every key lives in.
pub const INFLUX: &str = "influx";

/// Container: the measurement name.
pub const MEASUREMENT: &str = "measurement";
/// Container: the measurement an aggregate struct reads from.
pub const FROM: &str = "from";
/// Container: no `FromRow`.
pub const WRITE_ONLY: &str = "write_only";

/// Field: a tag.
pub const TAG: &str = "tag";
/// Field: the point's time.
pub const TIME: &str = "time";
/// Field: the column's name in InfluxDB.
pub const RENAME: &str = "rename";
/// Field: neither written nor read.
pub const SKIP: &str = "skip";
/// Field: an aggregate over a column of the `from` measurement.
pub const AGGREGATE: &str = "aggregate";
/// `#[influx(time, unit = "s")]`: the unit of an integer time.
pub const UNIT: &str = "unit";

/// Keys allowed on the struct.
pub const CONTAINER_KEYS: &[&str] = &[MEASUREMENT, FROM, WRITE_ONLY];
/// Keys allowed on a field.
pub const FIELD_KEYS: &[&str] = &[TAG, TIME, UNIT, RENAME, SKIP, AGGREGATE];

/// `#[influx(...)]` on the struct.
#[derive(Default)]
pub struct Container {
    /// `measurement = "name"`.
    pub measurement: Option<LitStr>,
    /// `from = Source`, with the span of the `from` key.
    pub from: Option<(Span, Type)>,
    /// Whether `from` was given, even with a value that is not a type: so
    /// that a mistake there is not reported again for every `aggregate`.
    pub from_given: bool,
    /// `write_only`.
    pub write_only: Option<Span>,
}

/// `#[influx(...)]` on a field, all of its attributes merged.
#[derive(Default)]
pub struct Field {
    /// Every key given, in order, with its span: for errors about
    /// combinations.
    pub keys: Vec<(&'static str, Span)>,
    /// `tag`.
    pub tag: Option<Span>,
    /// `time`.
    pub time: Option<Span>,
    /// `skip`.
    pub skip: Option<Span>,
    /// `rename = "name"`.
    pub rename: Option<LitStr>,
    /// `aggregate = "FUNC(COL)"`, when it parsed.
    pub aggregate: Option<Aggregate>,
    /// `unit = "s"`, when it names a unit: the unit's name in the
    /// `TimeUnit` enum.
    pub unit: Option<(Span, &'static str)>,
}

impl Field {
    /// The span of `key` when it was given.
    pub fn span_of(&self, key: &str) -> Option<Span> {
        self.keys.iter().find(|(k, _)| *k == key).map(|(_, s)| *s)
    }
}

/// A parsed `aggregate = "FUNC(COL, ARG)"`.
pub struct Aggregate {
    /// The span of the `aggregate` key.
    pub key: Span,
    /// The string literal, for spans.
    pub literal: LitStr,
    /// The InfluxQL function.
    pub function: &'static Function,
    /// The Rust name of the source column, spanned at the literal.
    pub column: Ident,
    /// The extra argument, such as `95` for `percentile`.
    pub arg: Option<String>,
}

/// Reads the struct's `#[influx(...)]` attributes.
pub fn container(cx: &Ctxt, attrs: &[Attribute]) -> Container {
    let mut out = Container::default();
    for attr in influx_attrs(attrs) {
        let result = attr.parse_nested_meta(|meta| {
            let Some(key) = key_of(&meta, CONTAINER_KEYS) else {
                cx.error_spanned_by(
                    &meta.path,
                    unknown_key(&meta, CONTAINER_KEYS, FIELD_KEYS, "a field"),
                );
                return skip_value(&meta);
            };
            if key == MEASUREMENT {
                let lit = string_value(cx, &meta, "#[influx(measurement = \"name\")]")?;
                if out.measurement.is_some() {
                    cx.error_spanned_by(&meta.path, duplicate(key));
                } else {
                    out.measurement = lit;
                }
            } else if key == FROM {
                out.from_given = true;
                let value = meta.value()?;
                if value.peek(LitStr) {
                    let lit: LitStr = value.parse()?;
                    cx.error_spanned_by(
                        &lit,
                        format!(
                            "`from` takes a type, not a string: #[influx(from = {})]",
                            lit.value()
                        ),
                    );
                    return Ok(());
                }
                let ty: Type = value.parse().map_err(|e| {
                    syn::Error::new(
                        e.span(),
                        "expected a type: #[influx(from = SourceMeasurement)]",
                    )
                })?;
                if out.from.is_some() {
                    cx.error_spanned_by(&meta.path, duplicate(key));
                } else {
                    out.from = Some((span_of_path(&meta), ty));
                }
            } else {
                no_value(cx, &meta, key)?;
                if out.write_only.is_some() {
                    cx.error_spanned_by(&meta.path, duplicate(key));
                } else {
                    out.write_only = Some(span_of_path(&meta));
                }
            }
            Ok(())
        });
        if let Err(err) = result {
            cx.syn_error(err);
        }
    }
    out
}

/// Reads a field's `#[influx(...)]` attributes.
pub fn field(cx: &Ctxt, attrs: &[Attribute]) -> Field {
    let mut out = Field::default();
    for attr in influx_attrs(attrs) {
        let result = attr.parse_nested_meta(|meta| {
            let Some(key) = key_of(&meta, FIELD_KEYS) else {
                cx.error_spanned_by(
                    &meta.path,
                    unknown_key(&meta, FIELD_KEYS, CONTAINER_KEYS, "the struct"),
                );
                return skip_value(&meta);
            };
            let span = span_of_path(&meta);
            if out.span_of(key).is_some() {
                cx.error_spanned_by(&meta.path, duplicate(key));
                return skip_value(&meta);
            }
            out.keys.push((key, span));
            match key {
                RENAME => out.rename = string_value(cx, &meta, "#[influx(rename = \"name\")]")?,
                AGGREGATE => {
                    let lit = string_value(cx, &meta, "#[influx(aggregate = \"mean(value)\")]")?;
                    out.aggregate = lit.and_then(|lit| aggregate(cx, span, lit));
                }
                UNIT => {
                    let lit = string_value(cx, &meta, "#[influx(time, unit = \"s\")]")?;
                    out.unit = lit.and_then(|lit| {
                        let unit = match lit.value().as_str() {
                            "s" => "Seconds",
                            "ms" => "Milliseconds",
                            "us" | "µs" => "Microseconds",
                            "ns" => "Nanoseconds",
                            other => {
                                cx.error_spanned_by(
                                    &lit,
                                    format!("unknown time unit {other:?}; use \"s\", \"ms\", \"us\" or \"ns\""),
                                );
                                return None;
                            }
                        };
                        Some((lit.span(), unit))
                    });
                }
                _ => {
                    no_value(cx, &meta, key)?;
                    let slot = match key {
                        TAG => &mut out.tag,
                        TIME => &mut out.time,
                        _ => &mut out.skip,
                    };
                    *slot = Some(span);
                }
            }
            Ok(())
        });
        if let Err(err) = result {
            cx.syn_error(err);
        }
    }
    out
}

fn influx_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|attr| attr.path().is_ident(INFLUX))
}

fn key_of(meta: &ParseNestedMeta<'_>, keys: &[&'static str]) -> Option<&'static str> {
    keys.iter().copied().find(|key| meta.path.is_ident(key))
}

fn span_of_path(meta: &ParseNestedMeta<'_>) -> Span {
    meta.path
        .segments
        .first()
        .map_or_else(Span::call_site, |s| s.ident.span())
}

fn unknown_key(
    meta: &ParseNestedMeta<'_>,
    keys: &[&str],
    other_keys: &[&str],
    other_place: &str,
) -> String {
    let name = meta.path.to_token_stream().to_string().replace(' ', "");
    let expected = list(keys);
    if other_keys.contains(&name.as_str()) {
        format!(
            "`{name}` is not allowed here; it belongs on {other_place}. Expected one of {expected}"
        )
    } else {
        format!("unknown attribute `{name}`; expected one of {expected}")
    }
}

fn duplicate(key: &str) -> String {
    format!("duplicate `{key}`; give it once")
}

/// `a`, `b` or `c`, for error messages.
pub fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.concat(),
    }
}

/// Consumes whatever follows an unknown key, so that the keys after it are
/// still read.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _content;
        syn::parenthesized!(_content in meta.input);
    }
    Ok(())
}

/// A flag key: refuses `key = value` and `key(...)`.
fn no_value(cx: &Ctxt, meta: &ParseNestedMeta<'_>, key: &str) -> syn::Result<()> {
    if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(
            &meta.path,
            format!("`{key}` takes no value; write #[influx({key})]"),
        );
        skip_value(meta)?;
    }
    Ok(())
}

/// `key = "string"`; a value of another kind is recorded as an error.
fn string_value(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    example: &str,
) -> syn::Result<Option<LitStr>> {
    if !meta.input.peek(Token![=]) {
        cx.error_spanned_by(&meta.path, format!("expected a value: {example}"));
        skip_value(meta)?;
        return Ok(None);
    }
    let expr: Expr = meta.value()?.parse()?;
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Ok(Some(lit)),
        other => {
            cx.error_spanned_by(other, format!("expected a string literal: {example}"));
            Ok(None)
        }
    }
}

/// Parses `FUNC(COL)` or `FUNC(COL, ARG)`; errors are spanned at the string.
/// Whether the function and its argument are allowed is
/// `inflow_rules::aggregate`'s decision, the same as at run time.
fn aggregate(cx: &Ctxt, key: Span, literal: LitStr) -> Option<Aggregate> {
    let text = literal.value();
    let span = literal.span();
    let shape = || {
        cx.error_at(
            span,
            "expected `FUNCTION(column)` or `FUNCTION(column, argument)`, such as \"mean(value)\" or \"percentile(value, 95)\"",
        )
    };
    let Some((name, rest)) = text.split_once('(') else {
        shape();
        return None;
    };
    let Some(inner) = rest.trim_end().strip_suffix(')') else {
        shape();
        return None;
    };
    let mut name = name.trim();
    // `count(distinct(col))`: the one nested call InfluxQL has.
    let mut inner = inner;
    if name.eq_ignore_ascii_case("count") {
        if let Some(nested) = inner
            .trim_start()
            .strip_prefix("distinct(")
            .or_else(|| inner.trim_start().strip_prefix("DISTINCT("))
            .and_then(|n| n.trim_end().strip_suffix(')'))
        {
            name = aggregate::COUNT_DISTINCT;
            inner = nested;
        }
    }
    let Some(function) = aggregate::function(name) else {
        let names: Vec<&str> = aggregate::FUNCTIONS.iter().map(|f| f.name).collect();
        cx.error_at(
            span,
            format!(
                "unknown aggregate function `{}`; expected one of {}",
                name.to_ascii_lowercase(),
                list(&names)
            ),
        );
        return None;
    };
    let name = function.name;
    let mut parts = inner.split(',').map(str::trim);
    let column = parts.next().unwrap_or_default();
    let arg = parts.next();
    if parts.next().is_some() {
        shape();
        return None;
    }
    let column = match syn::parse_str::<Ident>(column) {
        Ok(mut ident) => {
            // At the string, but from the macro: rustc then reports a
            // misspelled column there without suggesting to replace the
            // whole string by the column's name.
            ident.set_span(Span::mixed_site().located_at(span));
            ident
        }
        Err(_) if column.is_empty() => {
            cx.error_at(
                span,
                format!("name the column to aggregate: \"{name}(value)\""),
            );
            return None;
        }
        Err(_) => {
            cx.error_at(
                span,
                format!("`{column}` is not a column: name a field of the `from` struct by its Rust name, as in \"{name}(value)\""),
            );
            return None;
        }
    };
    if let Err(problem) = aggregate::check(name, arg) {
        let given = arg.unwrap_or_default();
        let message = match problem {
            Problem::MissingPercentile => {
                "`percentile` needs the percentile, a number greater than 0 and at most 100: \"percentile(value, 95)\"".to_string()
            }
            Problem::BadPercentile => format!(
                "`{given}` is not a percentile: write a number greater than 0 and at most 100, such as \"percentile(value, 95)\" or \"percentile(value, 99.9)\""
            ),
            Problem::BadUnit => format!(
                "`{given}` is not a unit InfluxDB accepts: the unit of `integral` is a positive duration in whole units, such as \"integral(value, 1s)\" or \"integral(value, 1h30m)\""
            ),
            Problem::BadCount => format!(
                "`{name}` needs how many rows to keep, a whole number of at least 1: \"{name}(value, 3)\""
            ),
            // The function was found above; only its argument can be wrong.
            Problem::UnexpectedArgument | Problem::UnknownFunction => {
                format!("`{name}` takes only a column: \"{name}(value)\"")
            }
        };
        cx.error_at(span, message);
        return None;
    }
    Some(Aggregate {
        key,
        literal,
        function,
        column,
        arg: arg.map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Option<Aggregate>, Result<(), syn::Error>) {
        let cx = Ctxt::default();
        let lit = LitStr::new(text, Span::call_site());
        let parsed = aggregate(&cx, Span::call_site(), lit);
        (parsed, cx.check())
    }

    #[test]
    fn aggregates() {
        let (agg, ok) = parse("mean(value)");
        assert!(ok.is_ok());
        let agg = agg.unwrap();
        assert_eq!(
            (agg.function.name, agg.column.to_string()),
            ("mean", "value".into())
        );
        assert!(agg.arg.is_none() && agg.function.numeric);

        let agg = parse(" Percentile( value , 99.9 ) ").0.unwrap();
        assert_eq!(agg.function.name, "percentile");
        assert_eq!(agg.arg.as_deref(), Some("99.9"));

        assert_eq!(
            parse("integral(v, 10m)").0.unwrap().arg.as_deref(),
            Some("10m")
        );
        assert!(parse("integral(v)").0.unwrap().arg.is_none());
        assert_eq!(
            parse("integral(v, 1h30m)").0.unwrap().arg.as_deref(),
            Some("1h30m")
        );
        assert_eq!(
            parse("percentile(v, 95.)").0.unwrap().arg.as_deref(),
            Some("95.")
        );
        assert_eq!(
            parse("percentile(v, .5)").0.unwrap().arg.as_deref(),
            Some(".5")
        );
        assert!(!parse("count(v)").0.unwrap().function.numeric);
        assert!(parse("r#type").0.is_none());
        assert!(parse("count(r#type)").0.is_some());
    }

    #[test]
    fn aggregate_mistakes() {
        for text in [
            "avg(v)",
            "mean",
            "mean(v",
            "mean()",
            "mean(1v)",
            "mean(v, 3)",
            "percentile(v)",
            "percentile(v, 101)",
            "percentile(v, x)",
            "percentile(v, 0)",
            "percentile(v, -1)",
            "percentile(v, 1e2)",
            "percentile(v, 100.5)",
            "integral(v, 3 parsecs)",
            "integral(v, 1.5s)",
            "integral(v, 0s)",
            "count(a, b, c)",
        ] {
            let (agg, result) = parse(text);
            assert!(agg.is_none() && result.is_err(), "{text}");
        }
    }

    /// The derive accepts an aggregate exactly when the shared rule does.
    #[test]
    fn agrees_with_the_rules() {
        let args = [
            None,
            Some("95"),
            Some("95."),
            Some(".5"),
            Some("0"),
            Some("100.5"),
            Some("1e2"),
            Some("1s"),
            Some("1h30m"),
            Some("0s"),
            Some("1.5s"),
        ];
        let names = aggregate::FUNCTIONS.iter().map(|f| f.name);
        for name in names.chain(["avg", "MEAN", "moving_average"]) {
            for arg in args {
                let inner = match arg {
                    Some(arg) => format!("v, {arg}"),
                    None => "v".to_string(),
                };
                // `count(distinct(v))` is written with the call nested.
                let text = if name == aggregate::COUNT_DISTINCT {
                    format!("count(distinct({inner}))")
                } else {
                    format!("{name}({inner})")
                };
                assert_eq!(
                    parse(&text).0.is_some(),
                    aggregate::check(name, arg).is_ok(),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn lists() {
        assert_eq!(list(&["a"]), "`a`");
        assert_eq!(list(&["a", "b", "c"]), "`a`, `b` or `c`");
    }
}
