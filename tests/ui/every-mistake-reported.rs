use inflow::Measurement;

// Every mistake is reported in one build, each where it is.
#[derive(Measurement)]
#[influx(measurement = "")]
struct Temperature {
    #[influx(tag, time)]
    location: String,
    #[influx(tagg)]
    sensor: String,
    #[influx(rename = "va\nlue")]
    value: f64,
}

fn main() {}
