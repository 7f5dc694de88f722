//! The reference JSON decoder: serde's visitors over serde_json, straight
//! into `T`'s row builder. It is slower than [`json_fast`](super::json_fast)
//! but names every error; the fast path hands it every document it does
//! not take.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::cell::Cell;
use super::format::snippet;
use super::layout::{Layout, Progress};
use super::row::{FromRow, RowBuilder};
use crate::error::{DecodeError, Error};

/// Decodes one JSON document's rows into `out`, and moves `progress` on.
/// On error, rows may have been added: the caller takes them back.
pub(crate) fn document<T: FromRow>(
    doc: &[u8],
    out: &mut Vec<T>,
    progress: &mut Progress,
) -> Result<(), Error> {
    let mut state = State {
        out,
        error: None,
        open_series: progress.open_series.take(),
    };
    let mut de = serde_json::Deserializer::from_slice(doc);
    let parsed = DocSeed::<T> {
        state: &mut state,
        marker: PhantomData,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    progress.open_series = state.open_series;
    if let Some(error) = state.error {
        return Err(error);
    }
    parsed.map_err(|e| DecodeError::Malformed(format!("{e}: {}", snippet(doc))))?;
    Ok(())
}

struct State<'a, T> {
    out: &'a mut Vec<T>,
    error: Option<Error>,
    open_series: Option<String>,
}

impl<T> State<'_, T> {
    fn fail<E: de::Error>(&mut self, error: Error) -> E {
        let message = error.to_string();
        if self.error.is_none() {
            self.error = Some(error);
        }
        E::custom(message)
    }
}

struct DocSeed<'s, 'a, T> {
    state: &'s mut State<'a, T>,
    marker: PhantomData<fn() -> T>,
}

impl<'de, T: FromRow> DeserializeSeed<'de> for DocSeed<'_, '_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: FromRow> Visitor<'de> for DocSeed<'_, '_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a /query response object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match &*key {
                "results" => map.next_value_seed(ResultsSeed::<T> {
                    state: &mut *self.state,
                    marker: PhantomData,
                })?,
                "error" => {
                    let message: String = map.next_value()?;
                    return Err(self.state.fail(Error::QueryAborted { message }));
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct ResultsSeed<'s, 'a, T> {
    state: &'s mut State<'a, T>,
    marker: PhantomData<fn() -> T>,
}

impl<'de, T: FromRow> DeserializeSeed<'de> for ResultsSeed<'_, '_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: FromRow> Visitor<'de> for ResultsSeed<'_, '_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of statement results")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while seq
            .next_element_seed(StatementSeed::<T> {
                state: &mut *self.state,
                index,
                marker: PhantomData,
            })?
            .is_some()
        {
            index += 1;
        }
        Ok(())
    }
}

struct StatementSeed<'s, 'a, T> {
    state: &'s mut State<'a, T>,
    index: usize,
    marker: PhantomData<fn() -> T>,
}

impl<'de, T: FromRow> DeserializeSeed<'de> for StatementSeed<'_, '_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: FromRow> Visitor<'de> for StatementSeed<'_, '_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a statement result")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut statement = self.index;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match &*key {
                "statement_id" => statement = map.next_value()?,
                "series" => map.next_value_seed(SeriesListSeed::<T> {
                    state: &mut *self.state,
                    marker: PhantomData,
                })?,
                "error" => {
                    let message: String = map.next_value()?;
                    return Err(self.state.fail(Error::Statement { statement, message }));
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct SeriesListSeed<'s, 'a, T> {
    state: &'s mut State<'a, T>,
    marker: PhantomData<fn() -> T>,
}

impl<'de, T: FromRow> DeserializeSeed<'de> for SeriesListSeed<'_, '_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: FromRow> Visitor<'de> for SeriesListSeed<'_, '_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of series")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(SeriesSeed::<T> {
                state: &mut *self.state,
                marker: PhantomData,
            })?
            .is_some()
        {}
        Ok(())
    }
}

struct SeriesSeed<'s, 'a, T> {
    state: &'s mut State<'a, T>,
    marker: PhantomData<fn() -> T>,
}

impl<'de, T: FromRow> DeserializeSeed<'de> for SeriesSeed<'_, '_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: FromRow> Visitor<'de> for SeriesSeed<'_, '_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a series")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut name = String::new();
        let mut layout = Layout::default();
        let mut have_columns = false;
        // Rows seen before their columns (never from InfluxDB itself, which
        // writes columns first): kept and decoded at the end.
        let mut early_rows: Vec<Vec<Cell<'static>>> = Vec::new();
        let mut partial = false;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match &*key {
                "name" => name = map.next_value()?,
                "tags" => {
                    layout.set_tags::<T>(map.next_value()?);
                }
                "columns" => {
                    let columns: Vec<Cow<'de, str>> = map.next_value()?;
                    layout.slots = columns
                        .iter()
                        .map(|c| <T::Builder as RowBuilder<T>>::slot(c))
                        .collect();
                    have_columns = true;
                }
                "values" if have_columns => map.next_value_seed(RowsSeed::<T> {
                    state: &mut *self.state,
                    layout: &layout,
                })?,
                "values" => {
                    early_rows = map
                        .next_value::<Vec<Vec<OwnedCell>>>()?
                        .into_iter()
                        .map(|row| row.into_iter().map(|c| c.0).collect())
                        .collect()
                }
                "partial" => partial = map.next_value()?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        for row in early_rows {
            let built = layout.build::<T>(|builder| {
                for (cell, slot) in row.into_iter().zip(&layout.slots) {
                    if let Some(slot) = slot {
                        builder.set(*slot, cell);
                    }
                }
            });
            match built {
                Ok(value) => self.state.out.push(value),
                Err(e) => return Err(self.state.fail(e.into())),
            }
        }
        self.state.open_series = partial.then_some(name);
        Ok(())
    }
}

struct OwnedCell(Cell<'static>);

impl<'de> Deserialize<'de> for OwnedCell {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Cell::deserialize(d).map(|c| OwnedCell(c.into_owned()))
    }
}

struct RowsSeed<'s, 'a, 'l, T> {
    state: &'s mut State<'a, T>,
    layout: &'l Layout,
}

impl<'de, T: FromRow> DeserializeSeed<'de> for RowsSeed<'_, '_, '_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: FromRow> Visitor<'de> for RowsSeed<'_, '_, '_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if let Some(hint) = seq.size_hint() {
            self.state.out.reserve(hint);
        }
        while let Some(row) = seq.next_element_seed(RowSeed::<T> {
            layout: self.layout,
            marker: PhantomData,
        })? {
            match row {
                Ok(value) => self.state.out.push(value),
                Err(e) => return Err(self.state.fail(e.into())),
            }
        }
        Ok(())
    }
}

struct RowSeed<'l, T> {
    layout: &'l Layout,
    marker: PhantomData<fn() -> T>,
}

impl<'de, T: FromRow> DeserializeSeed<'de> for RowSeed<'_, T> {
    type Value = Result<T, DecodeError>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: FromRow> Visitor<'de> for RowSeed<'_, T> {
    type Value = Result<T, DecodeError>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a row of values")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut builder = self.layout.row::<T>();
        let mut index = 0;
        loop {
            match self.layout.slots.get(index).copied().flatten() {
                Some(slot) => match seq.next_element::<Cell<'de>>()? {
                    Some(cell) => builder.set(slot, cell),
                    None => break,
                },
                None => {
                    if seq.next_element::<IgnoredAny>()?.is_none() {
                        break;
                    }
                }
            }
            index += 1;
        }
        Ok(builder.finish())
    }
}
