use inflow::Measurement;

#[derive(Measurement)]
struct Temperature {
    #[influx(time)]
    time: String,
    value: f64,
}

fn main() {}
