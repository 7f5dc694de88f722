use inflow::Measurement;

#[derive(Measurement)]
struct Temperature {
    #[influx(tags)]
    location: String,
    value: f64,
}

fn main() {}
