use inflow::Measurement;

#[derive(Measurement)]
struct Temperature {
    #[influx(tag)]
    location: String,
    #[influx(rename = "location")]
    place: String,
    value: f64,
}

fn main() {}
