use inflow::Measurement;

struct Location {
    lat: f64,
    lon: f64,
}

// Written only: the tag type needs `TagValue`, not `FromTag`.
#[derive(Measurement)]
#[influx(write_only)]
struct Temperature {
    #[influx(tag)]
    location: Location,
    value: f64,
}

fn main() {}
