//! `#[derive(Measurement)]` for inflow.
use proc_macro::TokenStream;

/// Derives `inflow::Measurement`.
#[proc_macro_derive(Measurement, attributes(influx))]
pub fn derive_measurement(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}
