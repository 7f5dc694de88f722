use inflow::Measurement;

#[derive(Measurement)]
struct Temperature {
    time: i64,
    #[influx(tag, rename = "time")]
    location: String,
    value: f64,
}

fn main() {}
