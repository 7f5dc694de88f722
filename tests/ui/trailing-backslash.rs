use inflow::Measurement;

#[derive(Measurement)]
#[influx(measurement = "temperature\\")]
struct Temperature {
    #[influx(rename = r"value\")]
    value: f64,
}

fn main() {}
