use inflow::Measurement;

// The server stores these names, but InfluxQL cannot write a carriage
// return or a NUL: the derive's own queries could never name them.
#[derive(Measurement)]
#[influx(measurement = "temper\rature")]
struct Temperature {
    #[influx(tag, rename = "loca\0tion")]
    location: String,
    value: f64,
}

fn main() {}
