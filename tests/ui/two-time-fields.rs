use inflow::Measurement;

#[derive(Measurement)]
struct Temperature {
    #[influx(time)]
    time: i64,
    #[influx(time)]
    recorded: i64,
    value: f64,
}

fn main() {}
