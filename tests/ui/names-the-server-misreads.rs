use inflow::Measurement;

#[derive(Measurement)]
#[influx(measurement = "#cpu")]
struct Cpu {
    value: f64,
}

#[derive(Measurement)]
struct Keys {
    #[influx(rename = "a\\ b")]
    value: f64,
}

fn main() {}
