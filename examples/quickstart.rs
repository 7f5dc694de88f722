//! Quickstart: derive a measurement, write a batch in a session, read it
//! back with a typed query.
//!
//! `./run quickstart` runs it against a throwaway local InfluxDB;
//! `./run quickstart http://user:pass@host:8086/db` against yours.

use chrono::{DateTime, Duration, Utc};
use inflow::{Client, Measurement};

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "temperature")]
struct Temperature {
    #[influx(time)]
    time: DateTime<Utc>,
    #[influx(tag)]
    location: String,
    #[influx(tag, rename = "sensor_type")]
    sensor: Option<String>,
    value: f64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A URL from the command line, or a throwaway server of our own.
    let mut _server = None;
    let url = match std::env::args().nth(1) {
        Some(url) => url,
        None => {
            let server = inflow::testkit::InfluxServer::start().await?;
            let url = format!("{}/weather", server.url());
            _server = Some(server);
            url
        }
    };
    let client = Client::new(&url)?;
    println!("connected to InfluxDB {}", client.ping().await?);
    client
        .create_database(client.database().unwrap_or("weather"))
        .await?;

    // Write: add encodes and validates at once, commit sends one request.
    let now = Utc::now();
    let mut session = client.session();
    for (i, location) in ["groningen", "utrecht", "groningen"].iter().enumerate() {
        session
            .add(&Temperature {
                time: now - Duration::minutes(i as i64),
                location: location.to_string(),
                sensor: Some("outdoor".into()),
                value: 20.5 + i as f64,
            })
            .await?;
    }
    let written = session.commit().await?;
    println!(
        "wrote {} points in {} request(s)",
        written.points, written.requests
    );

    // Read: column names and value types are checked by the compiler.
    let rows: Vec<Temperature> = client
        .select::<Temperature>()
        .filter(Temperature::location().eq("groningen"))
        .since(Duration::hours(1))
        .order_by_time_desc()
        .limit(10)
        .fetch()
        .await?;
    for row in &rows {
        println!(
            "{} {} {:?} {}",
            row.time, row.location, row.sensor, row.value
        );
    }
    assert_eq!(rows.len(), 2, "both groningen readings come back");
    Ok(())
}
