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

/// Where a `[state]` table could be written other than as its own `[state]` header:
/// these make [`StateConfig::peek`] give up.
fn elsewhere(line: &str) -> bool {
    let key = line.trim_start_matches(['"', '\'']);
    key.starts_with("state")
        && key["state".len()..]
            .trim_start_matches(['"', '\''])
            .trim_start()
            .starts_with(['.', '='])
}

impl StateConfig {
    /// `[state]` read from config text without parsing the rest of it, for a command that
    /// can open the store while the whole config is still being read and checked.
    /// `None` when that cannot be done for certain by looking at lines: multi-line
    /// strings, a `state` key outside a `[state]` header, a header naming `state` in
    /// another way, or a `[state]` the parser rejects. The whole config, parsed, is
    /// the authority: this is only a head start.
    pub fn peek(source: &str) -> Option<StateConfig> {
        if source.contains("\"\"\"") || source.contains("'''") {
            return None;
        }
        let mut table = String::from("[state]\n");
        let mut in_state = false;
        let mut headers = 0;
        for line in source.lines() {
            let code = line.split('#').next().unwrap_or("").trim();
            if code.starts_with('[') {
                in_state = code == "[state]";
                headers += usize::from(in_state);
                if !in_state && code.contains("state") {
                    return None;
                }
            } else if in_state {
                table.push_str(line);
                table.push('\n');
            } else if elsewhere(code) || code.contains("state =") {
                return None;
            }
        }
        if headers > 1 {
            return None;
        }
        #[derive(Deserialize)]
        struct Only {
            state: StateConfig,
        }
        toml::from_str::<Only>(&table).ok().map(|o| o.state)
    }

    /// Whether two configs name the same store.
    pub fn same_store(&self, other: &StateConfig) -> bool {
        self.dir == other.dir
            && self.database_url() == other.database_url()
            && self.password_env.as_ref().map(|p| p.get_ref())
                == other.password_env.as_ref().map(|p| p.get_ref())
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn parsed(source: &str) -> StateConfig {
        Config::from_str(source, Path::new("redline.toml"))
            .expect("config")
            .state
    }

    const REST: &str = "[[feed]]\nname = \"F\"\nurl = \"https://example.org/feed.xml\"\n\n[[topic]]\nname = \"t\"\nquery = \"Putin\"\n\n[email]\nto = [\"a@example.org\"]\n";

    #[test]
    fn peek_reads_the_state_table_as_the_parser_does() {
        let example = include_str!("../../config/redline.toml");
        let peeked = StateConfig::peek(example).expect("the example config is peekable");
        assert!(peeked.same_store(&parsed(example)));
        for source in [
            format!("[state]\ndir = \"/var/lib/redline\" # where\nlease = \"5m\"\n\n{REST}"),
            format!("{REST}\n[state] # at the end\ndir = \"elsewhere\"\n"),
            format!("[state]\ndatabase = \"postgres://r@db/r\"\npassword_env = \"PW\"\n{REST}"),
            REST.to_string(),
        ] {
            let peeked = StateConfig::peek(&source).expect(&source);
            let full = parsed(&source);
            assert!(peeked.same_store(&full), "{source}");
            assert_eq!(peeked.lease.0, full.lease.0, "{source}");
        }
        assert!(
            !parsed(&format!("[state]\ndir = \"a\"\n{REST}"))
                .same_store(&parsed(&format!("[state]\ndir = \"b\"\n{REST}")))
        );
    }

    #[test]
    fn peek_gives_up_where_lines_cannot_tell() {
        for source in [
            format!("state.dir = \"x\"\n{REST}"),
            format!("\"state\" . dir = \"x\"\n{REST}"),
            format!("state = {{ dir = \"x\" }}\n{REST}"),
            format!("[ state ]\ndir = \"x\"\n{REST}"),
            format!("[\"state\"]\ndir = \"x\"\n{REST}"),
            format!("[state]\ndir = \"\"\"x\"\"\"\n{REST}"),
            format!("[state]\ndir = 42\n{REST}"),
        ] {
            assert!(StateConfig::peek(&source).is_none(), "{source}");
        }
    }
}
