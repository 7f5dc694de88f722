use inflow::Measurement;

#[derive(Measurement)]
#[influx(write_only)]
struct Temperature {
    samples: Vec<f64>,
}

fn main() {}
