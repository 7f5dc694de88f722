use inflow::Measurement;

#[derive(Measurement)]
struct Temperature {
    value: f64,
}

#[derive(Measurement)]
#[influx(from = Temperature)]
struct Hourly {
    #[influx(aggregate = "mean(valeu)")]
    mean: f64,
}

fn main() {}
