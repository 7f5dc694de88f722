//! What the decoders' unit tests share.

use chrono::{DateTime, Utc};

/// Every column of the fixture and of most corpus bodies, all optional
/// but the time, so that many documents decode.
#[derive(crate::Measurement, Debug, PartialEq)]
#[influx(measurement = "cpu")]
pub(crate) struct Row {
    #[influx(time)]
    pub(crate) time: DateTime<Utc>,
    #[influx(tag)]
    pub(crate) host: Option<String>,
    #[influx(tag)]
    pub(crate) region: Option<String>,
    pub(crate) usage: Option<f64>,
    pub(crate) count: Option<i64>,
    pub(crate) ok: Option<bool>,
    pub(crate) value: Option<f64>,
    pub(crate) text: Option<String>,
}

/// A tiny xorshift, so the cases are the same on every run.
pub(crate) struct Random(pub(crate) u64);

impl Random {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub(crate) fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.below(items.len())]
    }
}

/// Every JSON document of the response corpus (each file, and each line
/// of the chunked ones), and the captured 10,000-row fixture.
pub(crate) fn corpus_json_documents() -> Vec<Vec<u8>> {
    let corpus = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/conformance/responses"
    );
    let mut files: Vec<_> = std::fs::read_dir(corpus)
        .expect("the response corpus")
        .map(|entry| entry.expect("a corpus entry").path())
        .collect();
    files.sort();
    files.push(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../benches/fixtures/cpu_10000_epoch_ns.json"
        )
        .into(),
    );
    let mut docs = Vec::new();
    for file in files {
        let body = std::fs::read(&file).expect("a corpus file");
        let mut splitter = super::format::DocumentSplitter::new();
        let mut start = 0;
        while let Some(end) = splitter.next_end(&body[start..]) {
            let doc = &body[start..start + end];
            if serde_json::from_slice::<serde_json::Value>(doc).is_ok() {
                docs.push(doc.to_vec());
            }
            start += end;
            splitter.consumed(end);
        }
    }
    docs
}
