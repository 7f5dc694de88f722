use inflow::Measurement;

#[derive(Measurement)]
enum Temperature {
    Celsius { value: f64 },
}

fn main() {}
