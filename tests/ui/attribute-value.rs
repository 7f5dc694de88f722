use inflow::Measurement;

#[derive(Measurement)]
#[influx(measurement = temperature)]
struct Temperature {
    #[influx(tag = true)]
    location: String,
    #[influx(rename)]
    value: f64,
}

#[derive(Measurement)]
#[influx(from = "Temperature")]
struct Hourly {
    #[influx(aggregate = "mean(value)")]
    mean: f64,
}

fn main() {}
