use inflow::Measurement;

#[derive(Measurement)]
struct Temperature {
    #[influx(tag)]
    location: String,
    unit: String,
    value: f64,
}

#[derive(Measurement)]
#[influx(from = Temperature)]
struct Hourly {
    #[influx(aggregate = "mean(unit)")]
    mean: f64,
    #[influx(aggregate = "count(location)")]
    locations: i64,
}

fn main() {}
