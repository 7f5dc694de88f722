use inflow::Measurement;

#[derive(Measurement)]
struct Temperature {
    value: f64,
}

#[derive(Measurement)]
#[influx(from = Temperature)]
struct Hourly {
    #[influx(aggregate = "mean value")]
    mean: f64,
    #[influx(aggregate = "percentile(value)")]
    p95: f64,
    #[influx(aggregate = "max(value, 2)")]
    max: f64,
    #[influx(aggregate = "count()")]
    count: i64,
}

fn main() {}
