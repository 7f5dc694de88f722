use inflow::Measurement;

#[derive(Measurement)]
#[influx(measurement = "")]
struct Temperature {
    #[influx(tag, time)]
    location: String,
    #[influx(skip, rename = "v")]
    value: f64,
}

fn main() {}
