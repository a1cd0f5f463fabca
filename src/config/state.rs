//! `[state]`: where the state lives (an SQLite file, or a shared PostgreSQL database)
//! and how long a claim on work lasts.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::{Config, ConfigError, Dur, defaults};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateConfig {
    #[serde(default = "default_state_dir")]
    pub dir: PathBuf,
    /// A PostgreSQL database (`postgres://user@host/db`) shared by several workers; the
    /// SQLite file in `dir` when unset.
    #[serde(default)]
    pub database: Option<Spanned<String>>,
    /// The environment variable that holds the database password, kept out of the file.
    #[serde(default)]
    pub password_env: Option<Spanned<String>>,
    /// How long a process's claim on a feed poll, an article check or a message lasts
    /// when the process dies before finishing it.
    #[serde(default = "default_lease")]
    pub lease: Dur,
}

impl Default for StateConfig {
    fn default() -> Self {
        StateConfig {
            dir: default_state_dir(),
            database: None,
            password_env: None,
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

impl StateConfig {
    /// The PostgreSQL URL, when the state lives there.
    pub fn database_url(&self) -> Option<&str> {
        self.database.as_ref().map(|d| d.get_ref().as_str())
    }

    /// The database password from the variable `password_env` names: `None` when
    /// `password_env` is not set; an error that says what to do when the variable is
    /// missing.
    pub fn password(&self) -> Result<Option<String>, String> {
        let Some(var) = &self.password_env else {
            return Ok(None);
        };
        match std::env::var(var.get_ref()) {
            Ok(p) => Ok(Some(p)),
            Err(_) => Err(format!(
                "environment variable {} (state.password_env) is not set: set it to the database password, or remove password_env",
                var.get_ref()
            )),
        }
    }
}

impl Config {
    /// `[state]`: a lease longer than zero, a database URL PostgreSQL's client accepts,
    /// a variable name for the password.
    pub(super) fn validate_state(&self) -> Result<(), ConfigError> {
        if self.state.lease.0.is_zero() {
            return Err(self.err(
                None,
                "state.lease".into(),
                "must be longer than zero, like \"2m\"".into(),
            ));
        }
        if let Some(db) = &self.state.database {
            let url = db.get_ref();
            let scheme_ok = url.starts_with("postgres://") || url.starts_with("postgresql://");
            if let Err(message) = scheme_ok
                .then_some(())
                .ok_or_else(|| "is not a postgres:// URL".to_string())
                .and_then(|()| postgres::Config::from_str(url).map_err(|e| e.to_string()))
            {
                return Err(self.err(
                    Some(db.span()),
                    "state.database".into(),
                    format!(
                        "{:?} {message}: give a URL like postgres://redline@db.example.org/redline",
                        crate::store::pg::redact(url)
                    ),
                ));
            }
        }
        if let Some(var) = &self.state.password_env {
            let name = var.get_ref();
            if name.is_empty() || name.contains(['=', '\0']) {
                return Err(self.err(
                    Some(var.span()),
                    "state.password_env".into(),
                    format!(
                        "{name:?} is not an environment variable name like REDLINE_DB_PASSWORD"
                    ),
                ));
            }
        }
        Ok(())
    }
}
