use inflow::Measurement;

#[derive(Measurement)]
struct Temperature(f64);

fn main() {}
