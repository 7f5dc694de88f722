use inflow::Measurement;

#[derive(Measurement)]
struct Temperature {
    #[influx(time, unit = "ns")]
    time: i64,
    #[influx(tag)]
    location: String,
    #[influx(skip)]
    value: f64,
}

fn main() {}
