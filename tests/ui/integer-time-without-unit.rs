use inflow::Measurement;

#[derive(Measurement)]
#[influx(measurement = "temperature")]
struct Temperature {
    // Seconds? Nanoseconds? The write's precision cannot tell.
    #[influx(time)]
    time: i64,
    value: f64,
}

#[derive(Measurement)]
#[influx(measurement = "humidity")]
struct Humidity {
    #[influx(time, unit = "minutes")]
    time: i64,
    #[influx(unit = "s")]
    value: f64,
}

fn main() {}
