use inflow::Measurement;

#[derive(Measurement)]
struct Temperature {
    #[influx(time, rename = "timestamp")]
    time: i64,
    value: f64,
}

fn main() {}
