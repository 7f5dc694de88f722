//! Decoding `/query` bodies straight into rows of `T`, and into untyped
//! results.
//!
//! Bytes flow one way, each file visited once:
//!
//! 1. `format`: the body's format, and the one framer that finds
//!    where its documents end (a plain answer is one document, a
//!    `chunked=true` answer one per chunk);
//! 2. `decoder`: the one decoder, fed runs of whole documents by a
//!    stream, or a whole body at once;
//! 3. `walk`: the one walk of a document, results → statements → series
//!    → rows, whatever its format;
//! 4. `json_fast` (a scanner for the common case), `json_serde` (the
//!    reference, which names every error) and `msgpack`: the sources the
//!    walk reads values from;
//! 5. `layout`: the sink that puts each column in its slot of `T`'s row
//!    builder (raw queries take `results` instead: documents merged into
//!    statements and series);
//! 6. [`cell`]: one value into one field of `T`.
//!
//! Every read ends with a check that the answer was whole: a body with no
//! document, or one that stops inside a document or inside a series the
//! server marked as continuing, is an error, never a shorter result.

pub mod cell;
pub(crate) mod decoder;
pub(crate) mod format;
mod json_fast;
mod json_serde;
mod layout;
pub(crate) mod msgpack;
pub(crate) mod results;
mod row;
#[cfg(test)]
mod testing;
mod walk;

pub use cell::{Cell, FromCell};
pub use format::DEFAULT_MAX_DOCUMENT_BYTES;
pub use results::{decode_results, Message, QueryResults, Series, StatementResult};
pub use row::{FromRow, RowBuilder};
