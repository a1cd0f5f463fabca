//! `[state]`: where the database lives and how long a claim on work lasts.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::{Config, ConfigError, Dur, defaults};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateConfig {
    #[serde(default = "default_state_dir")]
    pub dir: PathBuf,
    /// How long a process's claim on a feed poll, an article check or a message lasts
    /// when the process dies before finishing it.
    #[serde(default = "default_lease")]
    pub lease: Dur,
}

impl Default for StateConfig {
    fn default() -> Self {
        StateConfig {
            dir: default_state_dir(),
            lease: default_lease(),
        }
    }
}

fn default_lease() -> Dur {
    Dur(Duration::from_secs(defaults::LEASE_SECS))
}

fn default_state_dir() -> PathBuf {
    PathBuf::from(defaults::STATE_DIR)
}

impl Config {
    /// `[state]`: a lease longer than zero.
    pub(super) fn validate_state(&self) -> Result<(), ConfigError> {
        if self.state.lease.0.is_zero() {
            return Err(self.err(
                None,
                "state.lease".into(),
                "must be longer than zero, like \"2m\"".into(),
            ));
        }
        Ok(())
    }
}
