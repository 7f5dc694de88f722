//! The admin statements: databases, retention policies, and the `SHOW`
//! helpers, each a raw query of its own.

use std::time::Duration;

use super::quote::{duration_literal, quote_ident};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::measurement::{ColumnKind, FieldType, Measurement};

impl Client {
    /// `CREATE DATABASE` (does nothing if it exists).
    pub async fn create_database(&self, name: &str) -> Result<()> {
        self.query(format!("CREATE DATABASE {}", quote_ident(name)))
            .await
            .map(drop)
    }

    /// `DROP DATABASE` (does nothing if it does not exist).
    pub async fn drop_database(&self, name: &str) -> Result<()> {
        self.query(format!("DROP DATABASE {}", quote_ident(name)))
            .await
            .map(drop)
    }

    /// `CREATE RETENTION POLICY` on the client's database.
    /// `duration` of zero keeps data forever.
    pub async fn create_retention_policy(
        &self,
        name: &str,
        duration: Duration,
        replication: u32,
        default: bool,
    ) -> Result<()> {
        let database = self.database().ok_or_else(|| {
            Error::Config("create_retention_policy needs a database on the client".into())
        })?;
        let duration = if duration.is_zero() {
            "INF".to_string()
        } else {
            duration_literal(duration)
        };
        let mut q = format!(
            "CREATE RETENTION POLICY {} ON {} DURATION {duration} REPLICATION {replication}",
            quote_ident(name),
            quote_ident(database),
        );
        if default {
            q.push_str(" DEFAULT");
        }
        self.query(q).await.map(drop)
    }

    /// The names of all databases.
    pub async fn show_databases(&self) -> Result<Vec<String>> {
        self.show_strings("SHOW DATABASES".into(), "name").await
    }

    /// The measurements of the client's database.
    pub async fn show_measurements(&self) -> Result<Vec<String>> {
        self.show_strings("SHOW MEASUREMENTS".into(), "name").await
    }

    /// The tag keys of a measurement.
    pub async fn show_tag_keys(&self, measurement: &str) -> Result<Vec<String>> {
        self.show_strings(
            format!("SHOW TAG KEYS FROM {}", quote_ident(measurement)),
            "tagKey",
        )
        .await
    }

    /// The values of one tag of a measurement.
    pub async fn show_tag_values(&self, measurement: &str, key: &str) -> Result<Vec<String>> {
        self.show_strings(
            format!(
                "SHOW TAG VALUES FROM {} WITH KEY = {}",
                quote_ident(measurement),
                quote_ident(key)
            ),
            "value",
        )
        .await
    }

    /// The field keys of a measurement, with their types (`float`,
    /// `integer`, `string`, `boolean`).
    pub async fn show_field_keys(&self, measurement: &str) -> Result<Vec<(String, String)>> {
        let results = self
            .query(format!("SHOW FIELD KEYS FROM {}", quote_ident(measurement)))
            .await?;
        let mut out = Vec::new();
        for series in results.series() {
            let (Some(k), Some(t)) = (series.column("fieldKey"), series.column("fieldType")) else {
                continue;
            };
            for row in &series.values {
                if let (Some(key), Some(kind)) = (
                    row.get(k).and_then(|v| v.as_str()),
                    row.get(t).and_then(|v| v.as_str()),
                ) {
                    out.push((key.to_string(), kind.to_string()));
                }
            }
        }
        Ok(out)
    }

    /// The retention policies of the client's database.
    pub async fn show_retention_policies(&self) -> Result<Vec<RetentionPolicy>> {
        let database = self.database().ok_or_else(|| {
            Error::Config("show_retention_policies needs a database on the client".into())
        })?;
        let results = self
            .query(format!(
                "SHOW RETENTION POLICIES ON {}",
                quote_ident(database)
            ))
            .await?;
        let mut out = Vec::new();
        for series in results.series() {
            let col = |name: &str| series.column(name);
            for row in &series.values {
                let get = |name: &str| col(name).and_then(|i| row.get(i));
                out.push(RetentionPolicy {
                    name: get("name")
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string(),
                    duration: get("duration")
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string(),
                    replication: get("replicaN").and_then(|v| v.as_u64()).unwrap_or(0),
                    default: get("default").and_then(|v| v.as_bool()).unwrap_or(false),
                });
            }
        }
        Ok(out)
    }

    async fn show_strings(&self, query: String, column: &str) -> Result<Vec<String>> {
        let results = self.query(query).await?;
        let mut out = Vec::new();
        for series in results.series() {
            if let Some(values) = series.column_values(column) {
                out.extend(values.filter_map(|v| v.as_str().map(str::to_string)));
            }
        }
        Ok(out)
    }
}

/// A retention policy, as `SHOW RETENTION POLICIES` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Its name.
    pub name: String,
    /// How long data is kept (`0s`: forever), as the server writes it.
    pub duration: String,
    /// The replication factor.
    pub replication: u64,
    /// Whether it is the database's default.
    pub default: bool,
}

/// A difference between a struct and what the server holds for its
/// measurement, found by [`Client::check_schema`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemaMismatch {
    /// The server holds the field with another type: writing it would fail
    /// with "field type conflict".
    FieldType {
        /// The field.
        field: String,
        /// The type the struct writes.
        expected: FieldType,
        /// The type(s) the server holds, as `SHOW FIELD KEYS` names them.
        server: Vec<String>,
    },
    /// The struct's tag is a field on the server (or the struct's field a
    /// tag): rows would be written to a column of the other kind.
    KindDiffers {
        /// The column.
        column: String,
        /// What the struct makes it: `tag` or `field`.
        expected: &'static str,
    },
    /// The server has never seen this field: a misspelling, or a
    /// measurement not written yet. Selecting it reads `None` (or fails,
    /// for a field that is not an `Option`).
    UnknownField {
        /// The field.
        field: String,
    },
}

impl std::fmt::Display for SchemaMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SchemaMismatch::FieldType {
                field,
                expected,
                server,
            } => write!(
                f,
                "field {field:?} is {} in the struct but {} on the server",
                expected.as_str(),
                server.join(" and ")
            ),
            SchemaMismatch::KindDiffers { column, expected } => write!(
                f,
                "{column:?} is a {expected} in the struct but not on the server"
            ),
            SchemaMismatch::UnknownField { field } => {
                write!(f, "field {field:?} is unknown to the server")
            }
        }
    }
}

impl Client {
    /// Compares `T` with what the server holds for its measurement
    /// (`SHOW FIELD KEYS`, `SHOW TAG KEYS`) before anything is written: a
    /// field whose type differs (the cause of "field type conflict"
    /// refusals), a tag that is a field on the server or the reverse, a
    /// field the server has never seen. An empty list: they agree.
    pub async fn check_schema<T: Measurement>(&self) -> Result<Vec<SchemaMismatch>> {
        let fields = self.show_field_keys(T::NAME).await?;
        let tags = self.show_tag_keys(T::NAME).await?;
        let mut out = Vec::new();
        for column in T::COLUMNS {
            let name = column.name;
            let server_types: Vec<String> = fields
                .iter()
                .filter(|(key, _)| key == name)
                .map(|(_, kind)| kind.clone())
                .collect();
            let is_tag = tags.iter().any(|t| t == name);
            match column.kind {
                ColumnKind::Tag if !server_types.is_empty() => {
                    out.push(SchemaMismatch::KindDiffers {
                        column: name.to_string(),
                        expected: "tag",
                    })
                }
                ColumnKind::Field if is_tag => out.push(SchemaMismatch::KindDiffers {
                    column: name.to_string(),
                    expected: "field",
                }),
                ColumnKind::Field if server_types.is_empty() => {
                    out.push(SchemaMismatch::UnknownField {
                        field: name.to_string(),
                    })
                }
                ColumnKind::Field => {
                    let expected = T::FIELD_TYPES
                        .iter()
                        .find(|(field, _)| *field == name)
                        .and_then(|(_, kind)| *kind);
                    if let Some(expected) = expected {
                        if !server_types.iter().any(|t| t == expected.as_str()) {
                            out.push(SchemaMismatch::FieldType {
                                field: name.to_string(),
                                expected,
                                server: server_types,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }
}
