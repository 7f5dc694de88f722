use inflow::Measurement;

#[derive(Measurement)]
struct Reading {
    unit: String,
    ok: bool,
    value: f64,
}

// InfluxDB refuses min and max over strings; over booleans it answers.
#[derive(Measurement)]
#[influx(from = Reading)]
struct Extremes {
    #[influx(aggregate = "min(unit)")]
    lowest_unit: String,
    #[influx(aggregate = "max(ok)")]
    any_ok: bool,
    #[influx(aggregate = "max(value)")]
    highest: f64,
}

fn main() {}
