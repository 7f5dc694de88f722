use inflow::Measurement;

#[derive(Measurement)]
struct Temperature {
    #[influx(time)]
    time: std::time::SystemTime,
    value: f64,
}

fn main() {}
