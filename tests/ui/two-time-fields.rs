use inflow::Measurement;

#[derive(Measurement)]
struct Temperature {
    #[influx(time, unit = "ns")]
    time: i64,
    #[influx(time, unit = "ns")]
    recorded: i64,
    value: f64,
}

fn main() {}
