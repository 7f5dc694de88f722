use inflow::Measurement;

#[derive(Measurement)]
#[influx(write_only)]
struct Temperature {
    #[influx(time)]
    time: std::time::SystemTime,
    value: f64,
}

fn main() {}
