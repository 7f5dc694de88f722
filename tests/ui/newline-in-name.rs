use inflow::Measurement;

#[derive(Measurement)]
#[influx(measurement = "temper
ature")]
struct Temperature {
    #[influx(tag, rename = "loca\ntion")]
    location: String,
    value: f64,
}

fn main() {}
