use inflow::{EncodeOptions, FromRow, Measurement};

#[derive(Measurement)]
struct Temperature {
    #[influx(tagg)]
    location: String,
    value: f64,
}

fn reads<T: FromRow>() {}

fn main() {
    let t = Temperature {
        location: "here".into(),
        value: 1.0,
    };
    let mut buf = Vec::new();
    inflow::line_protocol::encode(&t, &mut buf, &EncodeOptions::default()).unwrap();
    let _ = Temperature::NAME;
    let _ = Temperature::location().name();
    let _ = Temperature::value().name();
    reads::<Temperature>();
}
