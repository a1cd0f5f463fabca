//! Wall-clock time that follows tokio's clock.
//!
//! Schedules are stored as wall-clock times, but measured here as a fixed start time
//! plus tokio's monotonic elapsed time. In production that is the system clock without
//! its jumps; in tests under `tokio::time::pause` it is virtual time, so a schedule of
//! days runs in milliseconds.

use chrono::{DateTime, Utc};

/// A source of "now"; cheap to copy.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    base: DateTime<Utc>,
    start: tokio::time::Instant,
}

impl Clock {
    /// A clock that starts at the system's wall-clock time.
    pub fn new() -> Clock {
        Clock {
            base: Utc::now(),
            start: tokio::time::Instant::now(),
        }
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.base + chrono::Duration::from_std(self.start.elapsed()).unwrap_or_default()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn follows_tokio_time() {
        let clock = Clock::new();
        let t0 = clock.now();
        tokio::time::sleep(Duration::from_secs(3 * 86_400)).await;
        assert_eq!((clock.now() - t0).num_seconds(), 3 * 86_400);
    }
}
