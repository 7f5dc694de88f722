//! Queries: typed SELECTs whose columns and value types the compiler
//! checks, aggregates grouped by time and tags, streams, and raw InfluxQL.
//!
//! `cargo run -p inflow-examples --example queries [URL]`

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use futures_util::StreamExt;
use inflow::query::Fill;
use inflow::{Client, Measurement};

#[derive(Measurement, Debug, Clone, PartialEq)]
#[influx(measurement = "temperature")]
struct Temperature {
    #[influx(time)]
    time: DateTime<Utc>,
    #[influx(tag)]
    location: String,
    value: f64,
}

/// Hourly aggregates of `Temperature`, per location. The aggregated
/// columns are checked against `Temperature` at compile time.
#[derive(Measurement, Debug)]
#[influx(from = Temperature)]
struct HourlyTemperature {
    #[influx(time)]
    time: DateTime<Utc>,
    #[influx(tag)]
    location: String,
    #[influx(aggregate = "mean(value)")]
    mean_value: Option<f64>,
    #[influx(aggregate = "max(value)")]
    max_value: Option<f64>,
    #[influx(aggregate = "count(value)")]
    readings: i64,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut _server = None;
    let url = match std::env::args().nth(1) {
        Some(url) => url,
        None => {
            let server = inflow::testkit::InfluxServer::start().await?;
            let url = format!("{}/queries", server.url());
            _server = Some(server);
            url
        }
    };
    let client = Client::new(&url)?;
    client
        .create_database(client.database().unwrap_or("queries"))
        .await?;

    // A day of readings every 10 minutes in two places.
    let start = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
    let mut session = client.session();
    for i in 0..144 {
        for (location, base) in [("groningen", 15.0), ("utrecht", 18.0)] {
            session
                .add(&Temperature {
                    time: start + chrono::Duration::minutes(10 * i),
                    location: location.into(),
                    value: base + (i % 12) as f64 * 0.5,
                })
                .await?;
        }
    }
    session.commit().await?;

    // Filters built from column handles: a typo or a value of the wrong
    // type does not compile.
    let warm = client
        .select::<Temperature>()
        .filter(Temperature::location().eq("groningen") & Temperature::value().ge(20.0))
        .time_range(start..start + chrono::Duration::hours(6))
        .order_by_time_desc()
        .limit(3);
    println!("{warm}");
    for row in warm.fetch().await? {
        println!("  {} {} {}", row.time, row.location, row.value);
    }

    // Aggregates per hour and location.
    let hourly = client
        .select::<HourlyTemperature>()
        .time_range(start..start + chrono::Duration::hours(3))
        .group_by_time(Duration::from_secs(3600))
        .fill(Fill::None);
    println!("{hourly}");
    let rows = hourly.fetch().await?;
    for row in &rows {
        println!(
            "  {} {:<10} mean {:?} max {:?} from {} readings",
            row.time, row.location, row.mean_value, row.max_value, row.readings
        );
    }
    assert_eq!(rows.len(), 6);

    // A stream reads a chunked response as it arrives, in constant memory.
    let mut stream = client.select::<Temperature>().fetch_stream().await?;
    let mut count = 0;
    while let Some(row) = stream.next().await {
        row?;
        count += 1;
    }
    println!("streamed {count} rows");
    assert_eq!(count, 288);

    // Raw InfluxQL with a bind parameter, untyped or into a struct.
    let results = client
        .query("SELECT count(value) FROM temperature WHERE location = $loc")
        .bind("loc", "utrecht")
        .await?;
    println!("raw: {:?}", results.series().next().map(|s| &s.values));
    let latest: Temperature = client
        .query_as("SELECT * FROM temperature ORDER BY time DESC LIMIT 1")
        .fetch_one()
        .await?;
    println!("latest: {latest:?}");
    println!("measurements: {:?}", client.show_measurements().await?);
    Ok(())
}
