//! Sessions: a plain commit, scoped use, autocommit, a retention policy for
//! the whole session, savepoints, and what a refused point looks like.
//!
//! `cargo run -p inflow-examples --example sessions [URL]`

use std::time::Duration;

use chrono::{DateTime, Utc};
use inflow::{Client, Error, Measurement, SessionOptions};

#[derive(Measurement, Debug)]
#[influx(measurement = "temperature")]
struct Temperature {
    #[influx(time)]
    time: Option<DateTime<Utc>>, // None: the time the point is added
    #[influx(tag)]
    location: String,
    value: f64,
}

fn reading(location: &str, value: f64) -> Temperature {
    Temperature {
        time: None,
        location: location.into(),
        value,
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut _server = None;
    let url = match std::env::args().nth(1) {
        Some(url) => url,
        None => {
            let server = inflow::testkit::InfluxServer::start().await?;
            let url = format!("{}/sessions", server.url());
            _server = Some(server);
            url
        }
    };
    let client = Client::new(&url)?;
    client
        .create_database(client.database().unwrap_or("sessions"))
        .await?;

    // A plain commit: one request for the whole batch.
    let mut session = client.session();
    session.add(&reading("groningen", 21.3)).await?;
    session.add(&reading("utrecht", 19.8)).await?;
    let summary = session.commit().await?;
    println!(
        "plain: {} points, {} request(s)",
        summary.points, summary.requests
    );

    // Scoped: committed when the closure returns Ok, rolled back on Err.
    client
        .scoped(async |session| {
            session.add(&reading("delft", 18.0)).await?;
            Ok::<_, Error>(())
        })
        .await?;
    let rolled_back: Result<(), Error> = client
        .scoped(async |session| {
            session.add(&reading("zwolle", 17.0)).await?;
            Err(Error::Config("changed my mind".into()))
        })
        .await;
    println!(
        "scoped: second block rolled back ({})",
        rolled_back.unwrap_err()
    );

    // Autocommit every 5 points, into a retention policy of one week.
    client
        .create_retention_policy("one_week", Duration::from_secs(7 * 86_400), 1, false)
        .await?;
    let mut session = client.session_with(
        SessionOptions::new()
            .autocommit_every(5)
            .retention_policy("one_week"),
    );
    for i in 0..12 {
        session.add(&reading("groningen", 20.0 + i as f64)).await?;
    }
    println!("autocommit: {} points still pending", session.len());
    let savepoint = session.savepoint();
    session.add(&reading("nowhere", 0.0)).await?;
    session.rollback_to(savepoint)?;
    session.commit().await?;

    // Bad input is refused at add; the batch is unchanged.
    let mut session = client.session();
    match session.add(&reading("groningen", f64::NAN)).await {
        Err(e) => println!("refused: {e}"),
        Ok(()) => unreachable!("NaN cannot be written"),
    }
    assert!(session.is_empty());

    let counts = client
        .query(
            "SELECT count(value) FROM temperature; SELECT count(value) FROM one_week.temperature",
        )
        .await?;
    let n = |i: usize| counts.statements[i].series[0].values[0][1].clone();
    println!("stored: {} in autogen, {} in one_week", n(0), n(1));
    assert_eq!((n(0), n(1)), (3.into(), 12.into()));
    Ok(())
}
