use inflow::Measurement;

#[derive(Measurement)]
struct Temperature {
    value: f64,
}

#[derive(Measurement)]
#[influx(measurement = "hourly", from = Temperature)]
struct Hourly {
    #[influx(aggregate = "mean(value)")]
    mean: f64,
}

fn main() {}
