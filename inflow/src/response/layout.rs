//! Typed rows: the [`Sink`] that turns the walk's series into rows of
//! `T`, each column going straight to its slot of `T`'s row builder.

use std::borrow::Cow;

use super::cell::Cell;
use super::row::{FromRow, RowBuilder};
use super::walk::{Header, Sink, Source};

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
    /// Where `header`'s columns go, and the `GROUP BY` tags `T` has a
    /// slot for; tags with no value (null or empty) are left out.
    pub(crate) fn of<T: FromRow>(header: &Header<'_>) -> Self {
        let slots = header
            .columns
            .iter()
            .map(|column| <T::Builder as RowBuilder<T>>::slot(column))
            .collect();
        let mut tags = Vec::new();
        for (key, value) in &header.tags {
            let Some(value) = value.as_deref().filter(|v| !v.is_empty()) else {
                continue;
            };
            if let Some(slot) = <T::Builder as RowBuilder<T>>::slot(key) {
                tags.push((slot, value.to_owned()));
            }
        }
        Layout { slots, tags }
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
}

/// Rows of `T` appended to `out`.
#[derive(Debug)]
pub(crate) struct Rows<'o, T> {
    out: &'o mut Vec<T>,
    /// How many rows the documents decoded whole have left.
    committed: usize,
}

impl<'o, T> Rows<'o, T> {
    pub(crate) fn new(out: &'o mut Vec<T>) -> Self {
        let committed = out.len();
        Rows { out, committed }
    }
}

impl<T: FromRow> Sink for Rows<'_, T> {
    type Series = Layout;

    fn series(&mut self, header: &Header<'_>) -> Layout {
        Layout::of::<T>(header)
    }

    /// A count is only a claim: beyond a modest start, the vector grows as
    /// rows really arrive.
    fn reserve(&mut self, rows: usize) {
        self.out.reserve(rows.min(16_384));
    }

    #[inline(always)]
    fn row<'a, S: Source<'a>>(
        &mut self,
        layout: &mut Layout,
        source: &mut S,
    ) -> Result<(), S::Error> {
        let mut builder = layout.row::<T>();
        let mut column = 0;
        source.seq(|s| {
            match layout.slots.get(column).copied().flatten() {
                Some(slot) => builder.set(slot, s.cell()?),
                None => s.skip()?,
            }
            column += 1;
            Ok(())
        })?;
        match builder.finish() {
            Ok(row) => {
                self.out.push(row);
                Ok(())
            }
            Err(e) => Err(source.fail(e.into())),
        }
    }

    fn commit(&mut self) {
        self.committed = self.out.len();
    }

    fn rollback(&mut self) {
        self.out.truncate(self.committed);
    }
}
