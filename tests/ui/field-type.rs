use inflow::Measurement;

#[derive(Measurement)]
struct Temperature {
    samples: Vec<f64>,
}

fn main() {}
