use inflow::Measurement;

#[derive(Measurement)]
#[influx(tag)]
struct Temperature {
    #[influx(measurement = "temperature")]
    value: f64,
}

fn main() {}
