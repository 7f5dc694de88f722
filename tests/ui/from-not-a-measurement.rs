use inflow::Measurement;

struct Temperature {
    value: f64,
}

#[derive(Measurement)]
#[influx(from = Temperature)]
struct Hourly {
    mean: f64,
}

fn main() {}
