//! When to look again: the revisit ladder for articles, jittered intervals and
//! exponential backoff for feeds.

use std::hash::BuildHasher;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::store::CheckUpdate;

/// A feed that keeps failing is retried at its interval times 2, 4, 8 … up to this.
const MAX_FEED_BACKOFF: Duration = Duration::from_secs(6 * 3600);

/// The revisit ladder: `[schedule].revisit` in order, then the last interval again and
/// again, until `stop_after` has passed since the ladder (re)started.
#[derive(Debug, Clone)]
pub struct Ladder {
    steps: Vec<Duration>,
    stop_after: Duration,
}

impl Ladder {
    pub fn new(config: &Config) -> Ladder {
        Ladder {
            steps: config.schedule.revisit.iter().map(|d| d.0).collect(),
            stop_after: config.schedule.stop_after.0,
        }
    }

    /// The wait before the check after `step` checks on this ladder.
    pub fn interval(&self, step: i64) -> Duration {
        let i = (step.max(0) as usize).min(self.steps.len().saturating_sub(1));
        self.steps
            .get(i)
            .copied()
            .unwrap_or(Duration::from_secs(3600))
    }

    fn schedule(&self, u: &mut CheckUpdate, now: DateTime<Utc>, step: i64) {
        let next = now + chrono::Duration::from_std(self.interval(step)).unwrap_or_default();
        let stop = u.ladder_start + chrono::Duration::from_std(self.stop_after).unwrap_or_default();
        if next > stop {
            u.state = crate::store::ArticleState::Stopped;
            u.next_check = None;
        } else {
            u.next_check = Some(next);
        }
        u.revisit_step = step + 1;
    }

    /// After a check that found no change: the next rung.
    pub fn advance(&self, u: &mut CheckUpdate, now: DateTime<Utc>) {
        let step = u.revisit_step;
        self.schedule(u, now, step);
    }

    /// After a change (or the baseline): back to the first rung.
    pub fn restart(&self, u: &mut CheckUpdate, now: DateTime<Utc>) {
        u.ladder_start = now;
        self.schedule(u, now, 0);
    }

    /// After a failed check: try again at the current rung's interval.
    pub fn retry(&self, u: &mut CheckUpdate, now: DateTime<Utc>) {
        let step = (u.revisit_step - 1).max(0);
        self.schedule(u, now, step);
        u.revisit_step = step + 1;
    }
}

/// `interval` ± `percent`%, chosen at random.
pub fn jittered(interval: Duration, percent: f64, salt: &str) -> Duration {
    if percent <= 0.0 {
        return interval;
    }
    // RandomState is seeded per process: enough randomness to spread feeds out.
    let r = std::collections::hash_map::RandomState::new().hash_one((salt, Utc::now()));
    let unit = (r % 1_000_001) as f64 / 1_000_000.0; // 0..=1
    let factor = 1.0 + percent / 100.0 * (2.0 * unit - 1.0);
    interval.mul_f64(factor.max(0.0))
}

/// The wait after the `streak`-th failure in a row: interval × 2^(streak-1), capped.
pub fn backoff(interval: Duration, streak: i64) -> Duration {
    let exp = (streak - 1).clamp(0, 16) as u32;
    interval
        .saturating_mul(2u32.saturating_pow(exp))
        .min(MAX_FEED_BACKOFF.max(interval))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_in_bounds() {
        let base = Duration::from_secs(600);
        for i in 0..1000 {
            let d = jittered(base, 10.0, &i.to_string());
            assert!(
                d >= Duration::from_secs(540) && d <= Duration::from_secs(660),
                "{d:?}"
            );
        }
        assert_eq!(jittered(base, 0.0, "x"), base);
    }

    #[test]
    fn backoff_grows_and_caps() {
        let i = Duration::from_secs(600);
        assert_eq!(backoff(i, 1), i);
        assert_eq!(backoff(i, 2), i * 2);
        assert_eq!(backoff(i, 3), i * 4);
        assert_eq!(backoff(i, 30), MAX_FEED_BACKOFF);
    }
}
