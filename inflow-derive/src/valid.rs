//! Rules across attributes and fields. Each broken rule is recorded,
//! spanned at what breaks it, and says how to fix it.

use std::collections::HashMap;

use inflow_rules::name::{self, Problem};

use crate::ast::{Input, Role};
use crate::attr;
use crate::ctxt::Ctxt;

pub fn validate(cx: &Ctxt, input: &Input<'_>) {
    check_container(cx, input);
    check_fields(cx, input);
    check_columns(cx, input);
}

fn check_container(cx: &Ctxt, input: &Input<'_>) {
    let attrs = &input.attrs;
    if let Some(lit) = &attrs.measurement {
        if let Err(problem) =
            name::measurement(&lit.value()).and_then(|()| name::queryable(&lit.value()))
        {
            cx.error_at(
                lit.span(),
                name_problem(problem, &lit.value(), "measurement name"),
            );
        }
        if let Some((from, _)) = &attrs.from {
            cx.error_at(
                *from,
                "`measurement` and `from` cannot be used together: a struct with `from = Source` reads Source's measurement; remove one of them",
            );
        }
    }
}

fn check_fields(cx: &Ctxt, input: &Input<'_>) {
    let mut time: Option<&syn::Ident> = None;
    for field in &input.fields {
        let a = &field.attrs;
        if let Some(skip) = a.skip {
            let others: Vec<&str> = a
                .keys
                .iter()
                .map(|(k, _)| *k)
                .filter(|k| *k != attr::SKIP)
                .collect();
            if !others.is_empty() {
                cx.error_at(
                    skip,
                    format!(
                        "`skip` cannot be combined with {}: a skipped field is neither written nor read; remove one or the other",
                        attr::list(&others)
                    ),
                );
            }
            continue;
        }
        if let (Some((span, _)), None) = (a.unit, a.time) {
            cx.error_at(
                span,
                "`unit` is the unit of an integer time: write #[influx(time, unit = \"s\")] on the time field, or remove it",
            );
        }
        if let (Some(_), Some(_)) = (a.tag, a.time) {
            let later = a
                .keys
                .iter()
                .filter(|(k, _)| *k == attr::TAG || *k == attr::TIME)
                .nth(1);
            if let Some((_, span)) = later {
                cx.error_at(
                    *span,
                    "a field cannot be both `tag` and `time`: the time column is not a tag; remove one of them",
                );
            }
        }
        if let Some(agg) = &a.aggregate {
            if let Some(other) = a.tag.map(|_| attr::TAG).or(a.time.map(|_| attr::TIME)) {
                cx.error_at(
                    agg.key,
                    format!("`aggregate` cannot be combined with `{other}`: an aggregate is a computed field; remove one of them"),
                );
            } else if !input.attrs.from_given {
                cx.error_at(
                    agg.key,
                    format!(
                        "`aggregate` needs #[influx(from = Source)] on struct `{}`, naming the measurement whose column it aggregates",
                        input.ident
                    ),
                );
            }
        }
        if let Some(span) = a.time {
            if let Some(first) = time {
                cx.error_at(
                    span,
                    format!("only one field can be `time`; `{first}` already is"),
                );
            }
            time.get_or_insert(field.ident);
            if let Some(rename) = &a.rename {
                cx.error_spanned_by(
                    rename,
                    "the time column is always named `time` in InfluxDB; remove `rename`",
                );
            }
            continue;
        }
        let name = field.column_name();
        let rule = if a.tag.is_some() {
            name::tag_key
        } else {
            name::field_key
        };
        match rule(&name).and_then(|()| name::queryable(&name)) {
            Ok(()) => {}
            Err(Problem::Time) => {
                let message = if a.rename.is_some() {
                    "InfluxDB drops a tag or field named `time`; choose another name"
                } else {
                    "InfluxDB drops a tag or field named `time`; mark the field #[influx(time)] if it is the point's time, or give the column another name with #[influx(rename = \"...\")]"
                };
                cx.error_at(field.name_span(), message);
            }
            Err(problem) => {
                let span = a.rename.as_ref().map_or(field.name_span(), |r| r.span());
                cx.error_at(span, name_problem(problem, &name, "column name"));
            }
        }
    }
}

fn check_columns(cx: &Ctxt, input: &Input<'_>) {
    let mut seen: HashMap<String, &syn::Ident> = HashMap::new();
    let mut has_field = false;
    for field in input.columns() {
        match field.role() {
            Role::Field | Role::Aggregate => has_field = true,
            Role::Time => continue,
            Role::Tag | Role::Skip => {}
        }
        let name = field.column_name();
        if name == name::TIME {
            // Already reported: no tag or field may be named `time`.
            continue;
        }
        if let Some(first) = seen.get(&name) {
            cx.error_at(
                field.name_span(),
                format!("two columns named `{name}`: field `{first}` already has this name; rename one of them"),
            );
        } else {
            seen.insert(name, field.ident);
        }
    }
    if !has_field {
        cx.error_spanned_by(
            input.ident,
            "a measurement needs at least one field: InfluxDB stores no point without one; add a field that is not `tag`, `time` or `skip`",
        );
    }
}

/// How to fix a name that `inflow_rules::name` refuses.
fn name_problem(problem: Problem, text: &str, what: &str) -> String {
    match problem {
        Problem::Empty => format!("the {what} is empty; InfluxDB needs a name"),
        Problem::Newline => {
            format!("the {what} contains a newline, which would end the line; remove it (or escape it with a backslash)")
        }
        Problem::TrailingBackslash => format!(
            "the {what} ends in a backslash, which would escape the separator after it; remove it"
        ),
        Problem::CommentOrSkippedStart => format!(
            "the {what} starts with {:?}: InfluxDB reads a line starting with `#` as a comment and skips leading tabs; remove it",
            text.get(..1).unwrap_or_default()
        ),
        Problem::EscapingBackslash if what == "measurement name" => format!(
            "the {what} has a backslash before `,`, `=`, a space or `\"`, which InfluxDB reads as an escape, dropping the backslash; remove it"
        ),
        Problem::EscapingBackslash => format!(
            "the {what} has an odd run of backslashes before `,`, `=` or a space, which InfluxDB reads as an escape in a field key; remove one"
        ),
        Problem::NulInTag => format!(
            "the {what} contains a NUL, which InfluxDB's grouping confuses with its tag separator; remove it"
        ),
        Problem::NotQueryable => format!(
            "the {what} contains a carriage return or NUL, which no InfluxQL query can name; remove it"
        ),
        Problem::Time => format!("InfluxDB drops a tag or field named `time`; rename the {what}"),
    }
}
