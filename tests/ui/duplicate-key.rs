use inflow::Measurement;

#[derive(Measurement)]
#[influx(measurement = "a", measurement = "b")]
struct Temperature {
    #[influx(tag, tag)]
    location: String,
    #[influx(rename = "v")]
    #[influx(rename = "w")]
    value: f64,
}

fn main() {}
