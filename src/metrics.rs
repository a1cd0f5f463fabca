//! Counters an operator can scrape: what the fetcher and the watch cycle did since the
//! process started, in lock-free atomics, and their Prometheus text.
//!
//! This module does no I/O: the daemon serves `/metrics` (see `daemon::endpoint`) and
//! adds the figures that live in the database there.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// The outcomes a fetch is counted under.
pub const FETCH_RESULTS: [&str; 7] = [
    "ok",
    "not_modified",
    "http_error",
    "network_error",
    "too_large",
    "paused",
    "refused",
];

/// Counters kept in memory since the process started.
#[derive(Debug, Default)]
pub struct Metrics {
    fetches: [AtomicU64; 7],
    bytes: AtomicU64,
    cycles: AtomicU64,
    /// How late the last cycle started after its earliest due work, in milliseconds.
    cycle_lag_ms: AtomicU64,
    /// Unix time of the last completed cycle, in seconds.
    last_cycle: AtomicU64,
}

/// Appends one metric family in the Prometheus text format: its help, its type and one
/// line per `(labels, value)` sample (labels written `{name="value"}` or empty).
pub fn write_family(
    out: &mut String,
    name: &str,
    kind: &str,
    help: &str,
    samples: &[(String, f64)],
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, v) in samples {
        let _ = writeln!(out, "{name}{labels} {v}");
    }
}

/// A label value escaped for the Prometheus text format.
pub fn escape_label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// Counts one fetch under `result` (one of [`FETCH_RESULTS`]).
    pub fn fetch(&self, result: &str, bytes: usize) {
        if let Some(i) = FETCH_RESULTS.iter().position(|r| *r == result) {
            self.fetches[i].fetch_add(1, Ordering::Relaxed);
        }
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Records a finished cycle and how late it started.
    pub fn cycle(&self, lag: std::time::Duration, at_unix: i64) {
        self.cycles.fetch_add(1, Ordering::Relaxed);
        self.cycle_lag_ms
            .store(lag.as_millis() as u64, Ordering::Relaxed);
        self.last_cycle
            .store(at_unix.max(0) as u64, Ordering::Relaxed);
    }

    /// The Prometheus text exposition of these counters.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, f64)]| {
            write_family(&mut out, name, kind, help, samples)
        };
        let fetches: Vec<(String, f64)> = FETCH_RESULTS
            .iter()
            .zip(&self.fetches)
            .map(|(r, c)| {
                (
                    format!("{{result=\"{r}\"}}"),
                    c.load(Ordering::Relaxed) as f64,
                )
            })
            .collect();
        metric(
            "redline_fetches_total",
            "counter",
            "HTTP fetches by result.",
            &fetches,
        );
        let one = |v: f64| vec![(String::new(), v)];
        metric(
            "redline_fetch_bytes_total",
            "counter",
            "Response body bytes received.",
            &one(self.bytes.load(Ordering::Relaxed) as f64),
        );
        metric(
            "redline_cycles_total",
            "counter",
            "Completed poll cycles.",
            &one(self.cycles.load(Ordering::Relaxed) as f64),
        );
        metric(
            "redline_cycle_lag_seconds",
            "gauge",
            "How late the last cycle started after its earliest due work.",
            &one(self.cycle_lag_ms.load(Ordering::Relaxed) as f64 / 1000.0),
        );
        metric(
            "redline_last_cycle_timestamp_seconds",
            "gauge",
            "Unix time of the last completed cycle.",
            &one(self.last_cycle.load(Ordering::Relaxed) as f64),
        );
        let stages: Vec<(String, f64)> = crate::cpu::totals()
            .into_iter()
            .map(|(stage, secs)| (format!("{{stage=\"{stage}\"}}"), secs))
            .collect();
        metric(
            "redline_stage_cpu_seconds_total",
            "counter",
            "Thread CPU time spent per pipeline stage (decode, extract, diff, store; prepass is the part of extract before the parse).",
            &stages,
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.fetch("ok", 100);
        m.fetch("ok", 50);
        m.fetch("not_modified", 0);
        m.fetch("refused", 0);
        let text = m.render();
        assert!(
            text.contains("redline_fetches_total{result=\"ok\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("redline_fetches_total{result=\"not_modified\"} 1\n"));
        assert!(text.contains("redline_stage_cpu_seconds_total{stage=\"extract\"} "));
        assert!(text.contains("redline_fetches_total{result=\"refused\"} 1\n"));
        assert!(text.contains("redline_fetch_bytes_total 150\n"));
        assert_eq!(escape_label("A \"q\"\n"), "A \\\"q\\\"\\n");
    }
}
