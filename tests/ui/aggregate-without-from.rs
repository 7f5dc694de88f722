use inflow::Measurement;

#[derive(Measurement)]
struct Hourly {
    #[influx(aggregate = "mean(value)")]
    mean: f64,
}

fn main() {}
