use inflow::Measurement;

#[derive(Measurement)]
struct Temperature {
    #[influx(time)]
    time: i64,
    #[influx(tag)]
    location: String,
    #[influx(skip)]
    value: f64,
}

fn main() {}
