//! What the decoders of every format share: a series' column layout and
//! tags, and the progress of a response through its statements and series.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::cell::Cell;
use super::row::{FromRow, RowBuilder};
use crate::error::DecodeError;

/// The layout of one series: where each column goes, and the values of
/// its `GROUP BY` tags.
#[derive(Debug, Default)]
pub(crate) struct Layout {
    /// For each column, the slot of `T`'s builder it goes to.
    pub(crate) slots: Vec<Option<usize>>,
    /// The series' tags `T` has a slot for, with their values.
    pub(crate) tags: Vec<(usize, String)>,
}

impl Layout {
    /// The `GROUP BY` tags of a series' `tags` object that `T` has a slot
    /// for; tags with no value (null or empty) are left out.
    pub(crate) fn set_tags<T: FromRow>(
        &mut self,
        tags: BTreeMap<Cow<'_, str>, Option<Cow<'_, str>>>,
    ) {
        for (key, value) in tags {
            let Some(value) = value.filter(|v| !v.is_empty()) else {
                continue;
            };
            if let Some(slot) = <T::Builder as RowBuilder<T>>::slot(&key) {
                self.tags.push((slot, value.into_owned()));
            }
        }
    }

    /// A row builder holding the series' tags.
    #[inline]
    pub(crate) fn row<T: FromRow>(&self) -> T::Builder {
        let mut builder = <T::Builder as RowBuilder<T>>::new();
        for (slot, value) in &self.tags {
            builder.set(*slot, Cell::Str(Cow::Borrowed(value)));
        }
        builder
    }

    pub(crate) fn build<T: FromRow>(
        &self,
        cells: impl FnOnce(&mut T::Builder),
    ) -> Result<T, DecodeError> {
        let mut builder = self.row::<T>();
        cells(&mut builder);
        builder.finish()
    }
}

/// Where a response stands between two documents: the series left open
/// (marked `partial`, to be continued in the next document) and the index
/// of the next statement.
///
/// InfluxDB writes a failed statement in MessagePack as `{"error": ...}`
/// alone, without its `statement_id`; in a chunked response, where each
/// document holds one result, its index follows from the results before
/// it: the same statement when that one was marked partial, the next one
/// otherwise.
#[derive(Debug, Clone, Default)]
pub(crate) struct Progress {
    /// The name of the last series when it was marked partial.
    pub(crate) open_series: Option<String>,
    pub(crate) next_statement: usize,
}
