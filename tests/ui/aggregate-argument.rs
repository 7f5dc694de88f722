use inflow::Measurement;

#[derive(Measurement)]
struct Temperature {
    value: f64,
}

#[derive(Measurement)]
#[influx(from = Temperature)]
struct Hourly {
    #[influx(aggregate = "percentile(value, 0)")]
    p0: f64,
    #[influx(aggregate = "percentile(value, 100.5)")]
    above: f64,
    #[influx(aggregate = "percentile(value, -1)")]
    negative: f64,
    #[influx(aggregate = "percentile(value, 1e2)")]
    exponent: f64,
    #[influx(aggregate = "integral(value, 0s)")]
    zero: f64,
    #[influx(aggregate = "integral(value, 1.5s)")]
    fraction: f64,
    #[influx(aggregate = "integral(value, 9223372037s)")]
    overflow: f64,
}

fn main() {}
