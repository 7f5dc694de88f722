use inflow::Measurement;

#[derive(Measurement)]
#[influx(measurement = "disk\\ usage")]
struct Disk {
    value: f64,
}

#[derive(Measurement)]
#[influx(measurement = r"a\=b")]
struct Other {
    value: f64,
}

fn main() {}
