use inflow::Measurement;

#[derive(Measurement)]
#[influx(measurement = temperature)]
struct Temperature {
    #[influx(tag = true)]
    location: String,
    #[influx(rename)]
    value: f64,
}

fn main() {}
