//! `[schedule]`: how often feeds are polled and articles re-checked, and for how long.

use std::time::Duration;

use serde::Deserialize;

use super::{Config, ConfigError, Dur, Percent, defaults, parse_duration};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    #[serde(default = "default_feed_interval")]
    pub feed_interval: Dur,
    #[serde(default = "default_jitter")]
    pub jitter: Percent,
    #[serde(default = "default_revisit")]
    pub revisit: Vec<Dur>,
    #[serde(default = "default_stop_after")]
    pub stop_after: Dur,
    /// A new version equal to one seen within this window before is recorded but does
    /// not alert again (A → B → A). `0s` turns this off.
    #[serde(default = "default_flip_flop")]
    pub flip_flop: Dur,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            feed_interval: default_feed_interval(),
            jitter: default_jitter(),
            revisit: default_revisit(),
            stop_after: default_stop_after(),
            flip_flop: default_flip_flop(),
        }
    }
}

fn default_feed_interval() -> Dur {
    Dur(Duration::from_secs(defaults::FEED_INTERVAL_SECS))
}
fn default_jitter() -> Percent {
    Percent(defaults::JITTER_PERCENT)
}
fn default_revisit() -> Vec<Dur> {
    defaults::REVISIT
        .iter()
        .map(|s| Dur(parse_duration(s).unwrap_or_default()))
        .collect()
}
fn default_stop_after() -> Dur {
    Dur(Duration::from_secs(defaults::STOP_AFTER_SECS))
}
fn default_flip_flop() -> Dur {
    Dur(Duration::from_secs(defaults::FLIP_FLOP_SECS))
}

impl Config {
    /// `[schedule]`: at least one revisit interval, and no interval of zero.
    pub(super) fn validate_schedule(&self) -> Result<(), ConfigError> {
        if self.schedule.revisit.is_empty() {
            return Err(self.err(
                None,
                "schedule.revisit".into(),
                "needs at least one interval, like [\"5m\", \"1h\", \"1d\"]".into(),
            ));
        }
        if self.schedule.revisit.iter().any(|d| d.0.is_zero())
            || self.schedule.feed_interval.0.is_zero()
        {
            return Err(self.err(
                None,
                "schedule".into(),
                "intervals must be longer than zero".into(),
            ));
        }
        Ok(())
    }
}
