use inflow::Measurement;

#[derive(Measurement)]
#[influx(measurment = "temperature")]
struct Temperature {
    value: f64,
}

fn main() {}
