use inflow::Measurement;

struct Location {
    lat: f64,
    lon: f64,
}

#[derive(Measurement)]
struct Temperature {
    #[influx(tag)]
    location: Location,
    value: f64,
}

fn main() {}
