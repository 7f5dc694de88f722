//! Turns `influxd config`'s default configuration into one for a throwaway server.

use std::path::Path;

/// The settings a throwaway server overrides in the default configuration.
#[derive(Debug, Clone)]
pub(crate) struct Settings<'a> {
    /// Directory that takes the place of the default data root.
    pub dir: &'a Path,
    /// Port of the HTTP API on 127.0.0.1.
    pub http_port: u16,
    /// Port of the RPC (backup/restore) service on 127.0.0.1.
    pub rpc_port: u16,
    /// `[http] auth-enabled`.
    pub auth_enabled: bool,
    /// `[http] log-enabled`.
    pub http_log: bool,
    /// `[http] max-body-size`, when it should differ from the default.
    pub max_body_size: Option<u64>,
    /// `[http] max-row-limit`, when it should differ from the default.
    pub max_row_limit: Option<u64>,
}

/// The default data root of the packaged server, replaced wherever it appears.
const DEFAULT_ROOT: &str = "/var/lib/influxdb";

/// Services that listen on ports of their own; they are always disabled.
const LISTENER_SECTIONS: &[&str] = &["graphite", "collectd", "opentsdb", "udp", "ifql"];

/// A TOML basic string holding `s`.
pub(crate) fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The value a setting of `section` (`""` for the top level) must have, if it
/// is one we override.
fn override_for(section: &str, key: &str, s: &Settings<'_>) -> Option<String> {
    let dir = |sub: &str| toml_string(&s.dir.join(sub).to_string_lossy());
    match (section, key) {
        ("", "bind-address") => Some(toml_string(&format!("127.0.0.1:{}", s.rpc_port))),
        ("", "reporting-disabled") => Some("true".into()),
        ("meta", "dir") => Some(dir("meta")),
        ("data", "dir") => Some(dir("data")),
        ("data", "wal-dir") => Some(dir("wal")),
        ("data", "query-log-enabled") => Some("false".into()),
        ("monitor", "store-enabled") => Some("false".into()),
        ("http", "enabled") => Some("true".into()),
        ("http", "bind-address") => Some(toml_string(&format!("127.0.0.1:{}", s.http_port))),
        ("http", "auth-enabled") => Some(s.auth_enabled.to_string()),
        ("http", "log-enabled") => Some(s.http_log.to_string()),
        ("http", "https-enabled") => Some("false".into()),
        ("http", "unix-socket-enabled") => Some("false".into()),
        ("http", "bind-socket") => Some(dir("influxd.sock")),
        ("http", "max-body-size") => s.max_body_size.map(|n| n.to_string()),
        ("http", "max-row-limit") => s.max_row_limit.map(|n| n.to_string()),
        ("logging", "suppress-logo") => Some("true".into()),
        (section, "enabled") if LISTENER_SECTIONS.contains(&section) => Some("false".into()),
        // Any other listener we do not know about: keep it off the real
        // network and away from fixed ports, should it ever be enabled.
        (_, "bind-address") => Some(toml_string("127.0.0.1:0")),
        _ => None,
    }
}

/// Settings that must be present even when the default configuration does
/// not print them, per section.
fn required(section: &str, s: &Settings<'_>) -> Vec<(&'static str, String)> {
    let keys: &[&'static str] = match section {
        "" => &["bind-address", "reporting-disabled"],
        "meta" => &["dir"],
        "data" => &["dir", "wal-dir", "query-log-enabled"],
        "monitor" => &["store-enabled"],
        "http" => &[
            "enabled",
            "bind-address",
            "auth-enabled",
            "log-enabled",
            "max-body-size",
            "max-row-limit",
        ],
        _ => &[],
    };
    keys.iter()
        .filter_map(|k| override_for(section, k, s).map(|v| (*k, v)))
        .collect()
}

/// Sections that must exist; they are appended when missing.
const REQUIRED_SECTIONS: &[&str] = &["meta", "data", "monitor", "http"];

/// Rewrites `default` (the output of `influxd config`) for a throwaway server.
pub(crate) fn render(default: &str, s: &Settings<'_>) -> String {
    let root = s.dir.to_string_lossy();
    let mut out = String::with_capacity(default.len() + 512);
    let mut section = String::new();
    let mut seen_keys: Vec<String> = Vec::new();
    let mut seen_sections: Vec<String> = Vec::new();

    // Writes the required settings of the section that ends here and that
    // were not in the default configuration.
    let flush = |out: &mut String, section: &str, seen_keys: &[String]| {
        for (key, value) in required(section, s) {
            if !seen_keys.iter().any(|k| k == key) {
                if section.is_empty() {
                    out.push_str(&format!("{key} = {value}\n"));
                } else {
                    out.push_str(&format!("  {key} = {value}\n"));
                }
            }
        }
    };

    for line in default.lines() {
        let trimmed = line.trim();
        if let Some(header) = section_header(trimmed) {
            flush(&mut out, &section, &seen_keys);
            seen_keys.clear();
            section = header.to_string();
            seen_sections.push(section.clone());
            out.push_str(line);
            out.push('\n');
            continue;
        }
        if trimmed.starts_with('#') || trimmed.is_empty() {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        if let Some((key, _)) = trimmed.split_once('=') {
            let key = key.trim().trim_matches('"');
            seen_keys.push(key.to_string());
            if let Some(value) = override_for(&section, key, s) {
                let indent = &line[..line.len() - line.trim_start().len()];
                out.push_str(&format!("{indent}{key} = {value}\n"));
                continue;
            }
        }
        out.push_str(&line.replace(DEFAULT_ROOT, &root));
        out.push('\n');
    }
    flush(&mut out, &section, &seen_keys);

    for name in REQUIRED_SECTIONS {
        if !seen_sections.iter().any(|s| s == name) {
            out.push_str(&format!("\n[{name}]\n"));
            flush(&mut out, name, &[]);
        }
    }
    out
}

/// The name of the section a `[name]` or `[[name]]` line opens.
fn section_header(line: &str) -> Option<&str> {
    let inner = line
        .strip_prefix("[[")
        .and_then(|l| l.strip_suffix("]]"))
        .or_else(|| line.strip_prefix('[').and_then(|l| l.strip_suffix(']')))?;
    Some(inner.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"reporting-enabled = false
bind-address = "127.0.0.1:8088"

[meta]
  dir = "/var/lib/influxdb/meta"

[data]
  dir = "/var/lib/influxdb/data"
  wal-dir = "/var/lib/influxdb/wal"
  query-log-enabled = true

[http]
  enabled = true
  bind-address = ":8086"
  auth-enabled = false
  log-enabled = true
  max-body-size = 25000000

[ifql]
  enabled = false
  bind-address = ":8082"

[[graphite]]
  enabled = true
  bind-address = ":2003"

[[udp]]
  enabled = false
  bind-address = ":8089"
"#;

    fn settings(dir: &Path) -> Settings<'_> {
        Settings {
            dir,
            http_port: 40001,
            rpc_port: 40002,
            auth_enabled: true,
            http_log: false,
            max_body_size: Some(1000),
            max_row_limit: Some(7),
        }
    }

    #[test]
    fn testkit_config_overrides_listeners_paths_and_switches() {
        let dir = Path::new("/tmp/x \"y\"");
        let out = render(SAMPLE, &settings(dir));
        assert!(out.starts_with("reporting-enabled = false\nbind-address = \"127.0.0.1:40002\"\n"));
        assert!(out.contains("reporting-disabled = true\n[meta]"), "{out}");
        assert!(out.contains(r#"dir = "/tmp/x \"y\"/meta""#), "{out}");
        assert!(out.contains(r#"wal-dir = "/tmp/x \"y\"/wal""#), "{out}");
        assert!(out.contains("query-log-enabled = false"));
        assert!(out.contains("bind-address = \"127.0.0.1:40001\""));
        assert!(out.contains("auth-enabled = true"));
        assert!(out.contains("log-enabled = false"));
        assert!(out.contains("max-body-size = 1000"));
        assert!(out.contains("max-row-limit = 7"));
        assert!(!out.contains(":8086\""));
        assert!(!out.contains(":2003\""));
        assert!(!out.contains("/var/lib/influxdb"));
        assert!(!out.contains("enabled = true\n  bind-address = \"127.0.0.1:0\""));
        // [monitor] was missing: it is added, with the statistics store off.
        assert!(
            out.ends_with("\n[monitor]\n  store-enabled = false\n"),
            "{out}"
        );
    }

    #[test]
    fn testkit_config_keeps_default_body_size_unless_asked() {
        let dir = Path::new("/tmp/d");
        let mut s = settings(dir);
        s.max_body_size = None;
        let out = render(SAMPLE, &s);
        assert!(out.contains("max-body-size = 25000000"));
    }

    #[test]
    fn testkit_config_toml_string_escapes() {
        assert_eq!(toml_string("a\"b\\c\n"), r#""a\"b\\c\n""#);
        assert_eq!(toml_string("\u{1}"), r#""\u0001""#);
    }
}
