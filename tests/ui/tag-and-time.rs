use inflow::Measurement;

#[derive(Measurement)]
struct Temperature {
    #[influx(tag, time)]
    time: i64,
    value: f64,
}

fn main() {}
