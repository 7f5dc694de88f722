use inflow::Measurement;

struct Connection;

#[derive(Measurement)]
struct Temperature {
    value: f64,
    // A skipped field is filled with `Default::default()` when a row is read.
    #[influx(skip)]
    connection: Connection,
}

fn main() {}
