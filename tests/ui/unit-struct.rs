use inflow::Measurement;

#[derive(Measurement)]
struct Temperature;

fn main() {}
