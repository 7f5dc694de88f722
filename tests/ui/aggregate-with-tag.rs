use inflow::Measurement;

#[derive(Measurement)]
struct Temperature {
    value: f64,
}

#[derive(Measurement)]
#[influx(from = Temperature)]
struct Hourly {
    #[influx(tag, aggregate = "first(value)")]
    first: String,
    #[influx(time, aggregate = "last(value)")]
    time: i64,
    #[influx(aggregate = "mean(value)")]
    mean: f64,
}

fn main() {}
