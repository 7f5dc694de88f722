use inflow::Measurement;

#[derive(Measurement)]
union Temperature {
    value: f64,
}

fn main() {}
