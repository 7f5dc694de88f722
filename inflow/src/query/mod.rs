//! The typed `SELECT` builder, its expressions, and InfluxQL quoting.

mod columns;

pub use columns::{ColumnType, Field, Numeric, Tag, Time};
