use inflow::Measurement;

#[derive(Measurement)]
struct Temperature {
    #[influx(tag)]
    location: String,
    value: f64,
}

fn main() {
    let _ = Temperature::value().gt(1.5);
    let _ = Temperature::value().gt("x");
}
