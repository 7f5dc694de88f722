use inflow::Measurement;

#[derive(Measurement)]
#[influx(measurement = "")]
struct Temperature {
    #[influx(rename = "")]
    value: f64,
}

fn main() {}
