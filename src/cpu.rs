//! Where the CPU goes: thread CPU time spent in each stage of an article check, summed
//! over the process's life.
//!
//! Each stage is synchronous work on one thread (decoding the bytes, extracting the copy,
//! deciding and diffing, one store call), so the thread's CPU clock read before and after
//! it is that stage's cost alone, whatever else the runtime does meanwhile. What is not
//! in a stage (HTTP, TLS, decompression, feed parsing, the runtime itself) is the
//! process's total minus these. `redline poll --json` prints them and `/metrics` serves
//! them, so the cost of a cycle can be read off a real run rather than guessed.

use std::sync::atomic::{AtomicU64, Ordering};

use cpu_time::ThreadTime;

/// A stage of the pipeline whose CPU time is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Response bytes to text: charset detection and decoding.
    Decode,
    /// Text to the stored copy: parse, clean, Readability, blocks.
    Extract,
    /// The decision against earlier versions: alignment, word diff, labels.
    Diff,
    /// SQLite: every store call, reads and writes.
    Store,
    /// The pass over the markup before it is parsed (`extract::inert`): a part of
    /// [`Stage::Extract`], counted in it and apart, to show its share.
    Prepass,
}

impl Stage {
    /// Every stage, in pipeline order; [`Stage::Prepass`], a part of
    /// [`Stage::Extract`], last.
    pub const ALL: [Stage; 5] = [
        Stage::Decode,
        Stage::Extract,
        Stage::Diff,
        Stage::Store,
        Stage::Prepass,
    ];

    /// The stage's name in JSON and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Decode => "decode",
            Stage::Extract => "extract",
            Stage::Diff => "diff",
            Stage::Store => "store",
            Stage::Prepass => "prepass",
        }
    }
}

static NANOS: [AtomicU64; Stage::ALL.len()] = [const { AtomicU64::new(0) }; Stage::ALL.len()];

/// Runs `f`, adding the CPU time this thread spent in it to `stage`.
pub fn measure<T>(stage: Stage, f: impl FnOnce() -> T) -> T {
    let start = ThreadTime::try_now().ok();
    let out = f();
    if let Some(elapsed) = start.and_then(|s| s.try_elapsed().ok()) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        NANOS[stage as usize].fetch_add(nanos, Ordering::Relaxed);
    }
    out
}

/// CPU seconds spent in each stage since the process started, as `(name, seconds)`.
pub fn totals() -> Vec<(&'static str, f64)> {
    Stage::ALL
        .iter()
        .map(|&s| {
            let nanos = NANOS[s as usize].load(Ordering::Relaxed);
            (s.name(), nanos as f64 / 1e9)
        })
        .collect()
}

/// The CPU seconds this whole process has used (user and system), when the platform
/// tells.
pub fn process_total() -> Option<f64> {
    cpu_time::ProcessTime::try_now()
        .ok()
        .map(|t| t.as_duration().as_secs_f64())
}

/// The most memory this process has held resident so far, in KiB (Linux's `VmHWM`).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stage_gains_the_cpu_spent_in_it() {
        let before = totals();
        let sum = measure(Stage::Extract, || {
            // Enough work to register on any thread clock.
            (0..2_000_000u64).fold(0u64, |a, b| std::hint::black_box(a.wrapping_add(b * b)))
        });
        assert!(sum > 0);
        let after = totals();
        let gained = |name: &str| {
            let get = |v: &[(&str, f64)]| v.iter().find(|(n, _)| *n == name).map(|x| x.1);
            get(&after).unwrap_or(0.0) - get(&before).unwrap_or(0.0)
        };
        assert!(gained("extract") > 0.0);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn peak_rss_is_read_on_linux() {
        assert!(peak_rss_kib().is_some_and(|k| k > 0));
    }
}
