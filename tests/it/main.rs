//! inflow's integration tests, one module per capability, in one binary:
//! they share one throwaway `influxd` (`InfluxServer::shared`), and the
//! suite links once. Tests that need a server of their own (a row limit,
//! authentication, an access log) start one.
//!
//! The compile-fail tests of the derive are a binary of their own
//! (`derive_ui.rs`): trybuild compiles each case.

mod derive;
mod errors;
mod exact;
mod formats;
mod hostile;
mod line_protocol;
mod raw_query;
mod read_edges;
mod responses;
mod rules;
mod schema;
mod select;
mod session;
mod time;
mod write;
