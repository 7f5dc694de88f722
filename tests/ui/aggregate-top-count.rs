use inflow::Measurement;

#[derive(Measurement)]
struct Reading {
    value: f64,
}

#[derive(Measurement)]
#[influx(from = Reading)]
struct Extremes {
    #[influx(aggregate = "top(value)")]
    top: f64,
    #[influx(aggregate = "bottom(value, 0)")]
    bottom: f64,
    #[influx(aggregate = "top(value, 2.5)")]
    fraction: f64,
}

fn main() {}
