use inflow::Measurement;

#[derive(Measurement)]
struct Temperature {
    #[influx(tag, skip)]
    location: String,
    value: f64,
}

fn main() {}
