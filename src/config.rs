//! The TOML config: serde structs that refuse unknown keys, typed values (durations,
//! sizes, percentages) that say what they expected, and [`Config::validate`], which checks
//! what serde cannot (cross references, addresses) and compiles the queries, regexes and
//! selectors ([`compiled`]) once, naming the key and line of every problem.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

mod compiled;

pub use compiled::{Compiled, FeedRules};

use crate::topic::like::{self, LikeTopic};

/// Defaults, kept together so the example config and the docs can be checked against them.
pub mod defaults {
    pub const STATE_DIR: &str = "state";
    pub const LEASE_SECS: u64 = 2 * 60;
    pub const USER_AGENT: &str = concat!(
        "redline/",
        env!("CARGO_PKG_VERSION"),
        " (+https://github.com/redline-news/redline)"
    );
    pub const TIMEOUT_SECS: u64 = 30;
    pub const MAX_BODY: u64 = 10 * 1024 * 1024;
    pub const PER_HOST: usize = 2;
    pub const MAX_CONCURRENT: usize = 16;
    pub const FEED_INTERVAL_SECS: u64 = 10 * 60;
    pub const JITTER_PERCENT: f64 = 10.0;
    pub const REVISIT: [&str; 12] = [
        "5m", "15m", "30m", "1h", "2h", "4h", "8h", "16h", "1d", "2d", "4d", "7d",
    ];
    pub const STOP_AFTER_SECS: u64 = 14 * 24 * 3600;
    pub const FLIP_FLOP_SECS: u64 = 2 * 24 * 3600;
    pub const SUBJECT: &str = "[redline] {headline} — {change} ({feed})";
    pub const SENDMAIL: &str = "sendmail";
    pub const SUBMIT_INTERVAL_SECS: u64 = 10;
}

/// A problem with the config, located as precisely as the file allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based line of the offending key or value, when known.
    pub line: Option<usize>,
    /// Dotted key, e.g. `schedule.revisit` or `feed[2].url`.
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if self.key.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ": `{}`: {}", self.key, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

/// The whole config, as read from the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub state: StateConfig,
    #[serde(default)]
    pub http: HttpConfig,
    #[serde(default)]
    pub schedule: ScheduleConfig,
    #[serde(default, rename = "feed")]
    pub feeds: Vec<FeedConfig>,
    #[serde(default, rename = "topic")]
    pub topics: Vec<TopicConfig>,
    #[serde(default)]
    pub email: EmailConfig,
    /// Evidence: the page bytes kept with each version, independent snapshots.
    #[serde(default)]
    pub archive: ArchiveConfig,
    /// Where the config was read from (not a key).
    #[serde(skip)]
    pub path: PathBuf,
    /// The file's text, to turn byte offsets into line numbers (not a key).
    #[serde(skip)]
    source: String,
    /// The queries, regexes and selectors above, compiled when the config loaded.
    #[serde(skip)]
    compiled: Arc<Compiled>,
    /// The `like` topics with their copies read and prepared, once per load (not a key).
    #[serde(skip)]
    pub likes: Arc<Vec<LikeTopic>>,
}

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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    #[serde(default = "default_user_agent")]
    pub user_agent: String,
    #[serde(default = "default_timeout")]
    pub timeout: Dur,
    #[serde(default = "default_max_body")]
    pub max_body: Size,
    #[serde(default = "default_per_host")]
    pub per_host: usize,
    /// Requests in flight at once over all hosts.
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent: usize,
    /// Allow entry links that point at loopback or private addresses.
    #[serde(default)]
    pub allow_private: bool,
    /// Address for `/healthz` and `/metrics`; off when absent.
    #[serde(default)]
    pub listen: Option<Spanned<String>>,
    /// Send every request through this HTTP(S) proxy. Proxy environment variables are
    /// ignored.
    #[serde(default)]
    pub proxy: Option<Spanned<String>>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            user_agent: default_user_agent(),
            timeout: default_timeout(),
            max_body: default_max_body(),
            per_host: default_per_host(),
            max_concurrent: default_max_concurrent(),
            allow_private: false,
            listen: None,
            proxy: None,
        }
    }
}

fn default_user_agent() -> String {
    defaults::USER_AGENT.to_string()
}
fn default_timeout() -> Dur {
    Dur(Duration::from_secs(defaults::TIMEOUT_SECS))
}
fn default_max_body() -> Size {
    Size(defaults::MAX_BODY)
}
fn default_per_host() -> usize {
    defaults::PER_HOST
}
fn default_max_concurrent() -> usize {
    defaults::MAX_CONCURRENT
}

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

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    pub name: String,
    pub url: Spanned<String>,
    #[serde(default)]
    pub interval: Option<Dur>,
    /// Topics this feed is matched against; absent means every topic.
    #[serde(default)]
    pub topics: Option<Spanned<Vec<Spanned<String>>>>,
    /// Regexes: text they match never counts as a change.
    #[serde(default)]
    pub ignore: Vec<Spanned<String>>,
    /// CSS selectors removed from the page before extraction.
    #[serde(default)]
    pub drop: Vec<Spanned<String>>,
}

impl FeedConfig {
    /// Whether this feed is matched against the topic named `topic`.
    pub fn reaches(&self, topic: &str) -> bool {
        match &self.topics {
            None => true,
            Some(list) => list.get_ref().iter().any(|t| t.get_ref() == topic),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicConfig {
    pub name: Spanned<String>,
    /// The boolean query; a topic needs a query, `like`, or both (then both must hold).
    #[serde(default)]
    pub query: Option<Spanned<String>>,
    /// Stored copies (paths relative to the config file) the topic is "like".
    #[serde(default)]
    pub like: Option<Spanned<Vec<Spanned<String>>>>,
    /// How close (0–1) an entry must be to one of the `like` copies.
    #[serde(default)]
    pub similarity: Option<Spanned<f64>>,
    /// Recipients for this topic's alerts; absent means `[email].to`.
    #[serde(default)]
    pub notify: Option<Vec<String>>,
    /// The change labels that alert for this topic; absent means every label. A version
    /// whose labels are all outside the list is stored and listed, not alerted.
    #[serde(default)]
    pub alert_on: Option<Vec<crate::diff::Label>>,
}

/// `[archive]`: what redline keeps and asks others to keep, so an edit can be proven.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveConfig {
    /// Keep the response (bytes as received, status, headers, final URL, fetch time) of
    /// every stored version, compressed.
    #[serde(default)]
    pub raw: bool,
    /// Drop kept response bytes older than this (never the text); absent keeps them.
    #[serde(default)]
    pub keep: Option<Spanned<Dur>>,
    /// A Save-Page-Now style endpoint: `submit + article URL` is requested for each new
    /// version, and the snapshot link it answers with is kept.
    #[serde(default)]
    pub submit: Option<Spanned<String>>,
    /// The least time between two submissions.
    #[serde(default = "default_submit_interval")]
    pub submit_interval: Dur,
}

impl Default for ArchiveConfig {
    fn default() -> Self {
        ArchiveConfig {
            raw: false,
            keep: None,
            submit: None,
            submit_interval: default_submit_interval(),
        }
    }
}

fn default_submit_interval() -> Dur {
    Dur(Duration::from_secs(defaults::SUBMIT_INTERVAL_SECS))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Smtp,
    Sendmail,
    #[default]
    File,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    #[serde(default = "default_from")]
    pub from: Spanned<String>,
    #[serde(default)]
    pub to: Vec<Spanned<String>>,
    #[serde(default)]
    pub transport: Transport,
    /// Batch alerts per recipient into one message per window.
    #[serde(default)]
    pub digest: Option<Dur>,
    /// Subject template: `{headline}`, `{feed}`, `{topic}`, `{words_added}`, `{words_removed}`.
    #[serde(default = "default_subject")]
    pub subject: String,
    /// The command for `transport = "sendmail"`.
    #[serde(default = "default_sendmail")]
    pub sendmail_command: String,
    /// Where `transport = "file"` writes `.eml` files; default `<state.dir>/mail`.
    #[serde(default)]
    pub dir: Option<PathBuf>,
    #[serde(default)]
    pub smtp: Option<SmtpConfig>,
}

impl Default for EmailConfig {
    fn default() -> Self {
        EmailConfig {
            from: default_from(),
            to: Vec::new(),
            transport: Transport::File,
            digest: None,
            subject: default_subject(),
            sendmail_command: default_sendmail(),
            dir: None,
            smtp: None,
        }
    }
}

fn default_from() -> Spanned<String> {
    Spanned::new(0..0, "redline <redline@localhost>".to_string())
}
fn default_subject() -> String {
    defaults::SUBJECT.to_string()
}
fn default_sendmail() -> String {
    defaults::SENDMAIL.to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    #[default]
    Starttls,
    Tls,
    None,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: Tls,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password_env: Option<String>,
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// Extra root certificate(s), PEM, trusted for the server besides the built-in
    /// roots: for a relay with a private CA or a self-signed certificate.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default = "default_smtp_timeout")]
    pub timeout: Dur,
}

fn default_smtp_timeout() -> Dur {
    Dur(Duration::from_secs(defaults::TIMEOUT_SECS))
}

impl fmt::Debug for SmtpConfig {
    // Written by hand so that nothing secret-adjacent is printed by accident.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password_env", &self.password_env)
            .field("password_file", &self.password_file)
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

impl SmtpConfig {
    /// The port, defaulting by TLS mode: 587 for STARTTLS, 465 for TLS, 25 for none.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            Tls::Starttls => 587,
            Tls::Tls => 465,
            Tls::None => 25,
        })
    }

    /// Reads the password from the environment variable or file named in the config.
    pub fn password(&self) -> Result<Option<String>, String> {
        if let Some(var) = &self.password_env {
            return std::env::var(var).map(Some).map_err(|_| {
                format!("environment variable {var} (email.smtp.password_env) is not set")
            });
        }
        if let Some(path) = &self.password_file {
            return std::fs::read_to_string(path)
                .map(|s| Some(s.trim_end_matches(['\n', '\r']).to_string()))
                .map_err(|e| {
                    format!(
                        "cannot read {} (email.smtp.password_file): {e}",
                        path.display()
                    )
                });
        }
        Ok(None)
    }
}

/// A duration written `90s`, `10m`, `6h`, `2d` (also `500ms`, `1w`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Dur(pub Duration);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_duration(&s)
            .map(Dur)
            .map_err(serde::de::Error::custom)
    }
}

/// Parses `90s`, `10m`, `6h`, `2d`, `1w`, `500ms`; several parts may follow each other
/// (`1h30m`).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("bad duration {s:?}: write a number and a unit, like 90s, 10m, 6h or 2d");
    let t = s.trim();
    if t.is_empty() {
        return Err(bad());
    }
    let mut total = Duration::ZERO;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let secs = |per: u64| n.checked_mul(per).map(Duration::from_secs);
        let part = match unit {
            "ms" => Some(Duration::from_millis(n)),
            "s" => secs(1),
            "m" => secs(60),
            "h" => secs(3600),
            "d" => secs(86_400),
            "w" => secs(7 * 86_400),
            _ => return Err(bad()),
        };
        total = part
            .and_then(|p| total.checked_add(p))
            .ok_or_else(|| format!("duration {s:?} is too long to count"))?;
    }
    Ok(total)
}

/// A size written `10MiB`, `512KiB`, `1MB`, or a plain number of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub u64);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(Size(n)),
            Raw::S(s) => parse_size(&s).map(Size).map_err(serde::de::Error::custom),
        }
    }
}

fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: u64 = t[..split]
        .parse()
        .map_err(|_| format!("bad size {s:?}: write it like 10MiB, 512KiB or 1000000"))?;
    let mult = match t[split..].trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "KB" | "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => {
            return Err(format!(
                "bad size {s:?}: write it like 10MiB, 512KiB or 1000000"
            ));
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size {s:?} is too large to count"))
}

/// A percentage written `10%`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percent(pub f64);

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bad = || serde::de::Error::custom(format!("bad percentage {s:?}: write it like 10%"));
        let n: f64 = s
            .trim()
            .strip_suffix('%')
            .ok_or_else(bad)?
            .trim()
            .parse()
            .map_err(|_| bad())?;
        if !(0.0..=100.0).contains(&n) {
            return Err(bad());
        }
        Ok(Percent(n))
    }
}

impl Config {
    /// Reads, parses and validates the config at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let source = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            line: None,
            key: String::new(),
            message: format!(
                "cannot read the config: {e} (pass --config PATH or set REDLINE_CONFIG)"
            ),
        })?;
        Config::from_str(&source, path)
    }

    /// Parses and validates config text; `path` is only used in messages and to resolve
    /// relative paths.
    pub fn from_str(source: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(source).map_err(|e| {
            let line = e.span().map(|s| line_of(source, s.start));
            ConfigError {
                path: path.to_path_buf(),
                line,
                key: e
                    .span()
                    .and_then(|s| key_at(source, s.start))
                    .unwrap_or_default(),
                message: e.message().trim().to_string(),
            }
        })?;
        config.path = path.to_path_buf();
        config.source = source.to_string();
        config.compiled = Arc::new(config.validate()?);
        config.likes = Arc::new(config.load_likes()?);
        Ok(config)
    }

    fn err(
        &self,
        span: Option<std::ops::Range<usize>>,
        key: String,
        message: String,
    ) -> ConfigError {
        ConfigError {
            path: self.path.clone(),
            line: span
                .filter(|s| s.end > 0)
                .map(|s| line_of(&self.source, s.start)),
            key,
            message,
        }
    }

    /// Checks what serde cannot (addresses and references) and compiles the queries,
    /// regexes and selectors.
    fn validate(&self) -> Result<Compiled, ConfigError> {
        let mut compiled = Compiled::default();
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
        if self.state.lease.0.is_zero() {
            return Err(self.err(
                None,
                "state.lease".into(),
                "must be longer than zero, like \"2m\"".into(),
            ));
        }
        if self.http.per_host == 0 || self.http.max_concurrent == 0 {
            return Err(self.err(None, "http.per_host".into(), "must be at least 1".into()));
        }
        if let Some(listen) = &self.http.listen {
            listen
                .get_ref()
                .parse::<std::net::SocketAddr>()
                .map_err(|_| {
                    self.err(
                        Some(listen.span()),
                        "http.listen".into(),
                        format!(
                            "{:?} is not an address like 127.0.0.1:9187",
                            listen.get_ref()
                        ),
                    )
                })?;
        }
        if let Some(proxy) = &self.http.proxy {
            let ok = url::Url::parse(proxy.get_ref())
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if !ok {
                return Err(self.err(
                    Some(proxy.span()),
                    "http.proxy".into(),
                    format!(
                        "{:?} is not a proxy URL like http://proxy.example:3128",
                        proxy.get_ref()
                    ),
                ));
            }
        }
        let mut topic_names = std::collections::HashSet::new();
        for (i, topic) in self.topics.iter().enumerate() {
            let key = format!("topic[{}]", i + 1);
            let name = topic.name.get_ref();
            if name.trim().is_empty() {
                return Err(self.err(
                    Some(topic.name.span()),
                    format!("{key}.name"),
                    "is empty".into(),
                ));
            }
            if !topic_names.insert(name.clone()) {
                return Err(self.err(
                    Some(topic.name.span()),
                    format!("{key}.name"),
                    format!("topic {name:?} is defined twice"),
                ));
            }
            compiled.queries.push(self.compile_query(&key, topic)?);
            if topic.query.is_none() && topic.like.is_none() {
                return Err(self.err(
                    Some(topic.name.span()),
                    format!("{key}.query"),
                    format!(
                        "topic {name:?} needs a `query`, a `like` list of stored copies, or both"
                    ),
                ));
            }
            if let Some(list) = &topic.like
                && list.get_ref().is_empty()
            {
                return Err(self.err(
                    Some(list.span()),
                    format!("{key}.like"),
                    format!("topic {name:?}: list at least one stored copy, or drop `like`"),
                ));
            }
            if let Some(sim) = &topic.similarity {
                if topic.like.is_none() {
                    return Err(self.err(
                        Some(sim.span()),
                        format!("{key}.similarity"),
                        format!("topic {name:?}: `similarity` only applies with `like`"),
                    ));
                }
                if !(0.0..=1.0).contains(sim.get_ref()) {
                    return Err(self.err(
                        Some(sim.span()),
                        format!("{key}.similarity"),
                        format!("topic {name:?}: must be between 0 and 1, like 0.3"),
                    ));
                }
            }
            for addr in topic.notify.iter().flatten() {
                check_mailbox(addr)
                    .map_err(|m| self.err(Some(topic.name.span()), format!("{key}.notify"), m))?;
            }
        }
        let mut urls = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for (i, feed) in self.feeds.iter().enumerate() {
            let key = format!("feed[{}]", i + 1);
            let url = feed.url.get_ref();
            // A feed's name keys its ignore/drop settings and labels its alerts.
            if feed.name.trim().is_empty() || !names.insert(feed.name.clone()) {
                return Err(self.err(
                    Some(feed.url.span()),
                    format!("{key}.name"),
                    format!(
                        "feed name {:?} is empty or used twice; give each feed its own",
                        feed.name
                    ),
                ));
            }
            match url::Url::parse(url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                _ => {
                    return Err(self.err(
                        Some(feed.url.span()),
                        format!("{key}.url"),
                        format!("{url:?} is not an http(s) URL"),
                    ));
                }
            }
            if !urls.insert(url.clone()) {
                return Err(self.err(
                    Some(feed.url.span()),
                    format!("{key}.url"),
                    format!("feed {url} is listed twice"),
                ));
            }
            if let Some(list) = &feed.topics {
                for t in list.get_ref() {
                    if !topic_names.contains(t.get_ref()) {
                        return Err(self.err(
                            Some(t.span()),
                            format!("{key}.topics"),
                            format!("no [[topic]] is named {:?}", t.get_ref()),
                        ));
                    }
                }
            }
            compiled.feeds.push(self.compile_feed(&key, feed)?);
        }
        for topic in &self.topics {
            let name = topic.name.get_ref();
            if !self.feeds.is_empty() && !self.feeds.iter().any(|f| f.reaches(name)) {
                return Err(self.err(
                    Some(topic.name.span()),
                    "topic.name".into(),
                    format!(
                        "topic {name:?} is reached by no feed: every [[feed]] has a `topics` list without it"
                    ),
                ));
            }
        }
        check_mailbox(self.email.from.get_ref())
            .map_err(|m| self.err(Some(self.email.from.span()), "email.from".into(), m))?;
        for to in &self.email.to {
            check_mailbox(to.get_ref())
                .map_err(|m| self.err(Some(to.span()), "email.to".into(), m))?;
        }
        if self.email.transport == Transport::Smtp {
            let Some(smtp) = &self.email.smtp else {
                return Err(self.err(
                    None,
                    "email.smtp".into(),
                    "transport = \"smtp\" needs an [email.smtp] table with at least `host`".into(),
                ));
            };
            if smtp.password_env.is_some() && smtp.password_file.is_some() {
                return Err(self.err(
                    None,
                    "email.smtp.password_env".into(),
                    "give password_env or password_file, not both".into(),
                ));
            }
            if smtp.ca_file.is_some() && smtp.tls == Tls::None {
                return Err(self.err(
                    None,
                    "email.smtp.ca_file".into(),
                    "is only used with tls = \"starttls\" or \"tls\", but tls = \"none\"".into(),
                ));
            }
        }
        self.validate_archive()?;
        if let Some(d) = self.email.digest
            && d.0.is_zero()
        {
            return Err(self.err(
                None,
                "email.digest".into(),
                "must be longer than zero".into(),
            ));
        }
        Ok(compiled)
    }

    /// `[archive]`: a `keep` longer than zero, a `submit` endpoint that is an http(s) URL.
    fn validate_archive(&self) -> Result<(), ConfigError> {
        if let Some(keep) = &self.archive.keep
            && keep.get_ref().0.is_zero()
        {
            return Err(self.err(
                Some(keep.span()),
                "archive.keep".into(),
                "must be longer than zero, like \"90d\" (leave it out to keep every page)".into(),
            ));
        }
        if let Some(submit) = &self.archive.submit {
            let ok = url::Url::parse(submit.get_ref())
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if ok.is_none() {
                return Err(self.err(
                    Some(submit.span()),
                    "archive.submit".into(),
                    format!(
                        "{:?} is not an http(s) URL; the article URL is appended to it, like \"https://web.archive.org/save/\"",
                        submit.get_ref()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Where the SQLite database lives.
    pub fn db_path(&self) -> PathBuf {
        self.state.dir.join("redline.db")
    }

    /// Where `transport = "file"` writes messages.
    pub fn mail_dir(&self) -> PathBuf {
        self.email
            .dir
            .clone()
            .unwrap_or_else(|| self.state.dir.join("mail"))
    }

    /// A feed's polling interval: its own, else the global one.
    pub fn feed_interval(&self, feed: &FeedConfig) -> Duration {
        feed.interval.unwrap_or(self.schedule.feed_interval).0
    }

    /// Reads and prepares each topic's `like` copies, relative to the config file's
    /// directory. A copy that is missing, unreadable or empty is an error naming it.
    fn load_likes(&self) -> Result<Vec<LikeTopic>, ConfigError> {
        let dir = self.path.parent().unwrap_or(Path::new(""));
        let mut out = Vec::new();
        for (i, topic) in self.topics.iter().enumerate() {
            let Some(list) = &topic.like else { continue };
            let mut copies = Vec::new();
            for file in list.get_ref() {
                let copy = like::load_copy(dir, file.get_ref()).map_err(|m| {
                    self.err(
                        Some(file.span()),
                        format!("topic[{}].like", i + 1),
                        format!("topic {:?}: {m}", topic.name.get_ref()),
                    )
                })?;
                copies.push(copy);
            }
            out.push(LikeTopic {
                name: topic.name.get_ref().clone(),
                similarity: topic
                    .similarity
                    .as_ref()
                    .map_or(like::DEFAULT_SIMILARITY, |s| *s.get_ref()),
                copies,
            });
        }
        Ok(out)
    }

    /// The prepared `like` copies of a topic, if it has any.
    pub fn like_topic(&self, name: &str) -> Option<&LikeTopic> {
        self.likes.iter().find(|t| t.name == name)
    }

    /// The configured feed with this URL, if any.
    pub fn feed_by_url(&self, url: &str) -> Option<&FeedConfig> {
        self.feeds.iter().find(|f| f.url.get_ref() == url)
    }

    /// Whether a change with these labels alerts for `topic`: its `alert_on` holds one
    /// of them (or it has no `alert_on`, or the change has no label at all).
    pub fn alerts_on(&self, topic: &str, labels: &crate::diff::Labels) -> bool {
        match self
            .topics
            .iter()
            .find(|t| t.name.get_ref() == topic)
            .and_then(|t| t.alert_on.as_deref())
        {
            Some(wanted) => labels.is_empty() || labels.any_in(wanted),
            None => true,
        }
    }

    /// Recipients for alerts of a topic: its `notify`, else `[email].to`.
    pub fn recipients(&self, topic: &str) -> Vec<String> {
        self.topics
            .iter()
            .find(|t| t.name.get_ref() == topic)
            .and_then(|t| t.notify.clone())
            .unwrap_or_else(|| self.email.to.iter().map(|t| t.get_ref().clone()).collect())
    }
}

fn check_mailbox(addr: &str) -> Result<(), String> {
    addr.parse::<lettre::message::Mailbox>()
        .map(|_| ())
        .map_err(|e| format!("{addr:?} is not an email address ({e})"))
}

/// 1-based line number of a byte offset.
fn line_of(source: &str, offset: usize) -> usize {
    source[..offset.min(source.len())].matches('\n').count() + 1
}

/// The `key` of a `key = value` line at this offset, for errors whose span is the value.
fn key_at(source: &str, offset: usize) -> Option<String> {
    let start = source[..offset.min(source.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line = source[start..].lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    (!key.is_empty() && !key.starts_with('[')).then(|| key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Config, ConfigError> {
        Config::from_str(s, Path::new("test.toml"))
    }

    const MINIMAL: &str = r#"
[[feed]]
name = "World"
url = "https://example.org/feed.xml"

[[topic]]
name = "rc"
query = 'Putin AND China'
"#;

    #[test]
    fn archive_is_off_by_default_and_checked_when_on() {
        let c = parse(MINIMAL).expect("valid");
        assert!(!c.archive.raw && c.archive.keep.is_none() && c.archive.submit.is_none());
        let on = format!(
            "{MINIMAL}\n[archive]\nraw = true\nkeep = \"90d\"\nsubmit = \"https://web.archive.org/save/\"\n"
        );
        let c = parse(&on).expect("valid");
        assert!(c.archive.raw);
        assert_eq!(
            c.archive.keep.map(|k| k.into_inner().0),
            Some(Duration::from_secs(90 * 86400))
        );
        let bad = format!("{MINIMAL}\n[archive]\nsubmit = \"ftp://example.org/\"\n");
        let e = parse(&bad).expect_err("bad submit");
        assert_eq!((e.key.as_str(), e.line), ("archive.submit", Some(11)));
        let e = parse(&format!("{MINIMAL}\n[archive]\nkeeps = \"1d\"\n")).expect_err("unknown");
        assert!(e.message.contains("keeps"), "{e}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("").is_err());
        // Too long to count: an error, not an overflow.
        assert!(parse_duration("18446744073709551615w").is_err());
        assert!(parse_duration("18446744073709551615s18446744073709551615s").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("10 lots").is_err());
        assert!(parse_size("18446744073709551615GiB").is_err());
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let c = parse(MINIMAL).expect("valid");
        assert_eq!(c.schedule.revisit.len(), 12);
        assert_eq!(c.schedule.stop_after.0, Duration::from_secs(14 * 86_400));
        assert_eq!(c.http.per_host, 2);
        assert_eq!(c.email.transport, Transport::File);
        assert_eq!(c.db_path(), PathBuf::from("state/redline.db"));
    }

    #[test]
    fn ca_file_needs_tls() {
        let smtp = |tls: &str| {
            parse(&format!(
                "{MINIMAL}\n[email]\ntransport = \"smtp\"\n[email.smtp]\nhost = \"h\"\n\
                 tls = \"{tls}\"\nca_file = \"ca.pem\"\n"
            ))
        };
        let c = smtp("starttls").expect("valid");
        let ca = c.email.smtp.and_then(|s| s.ca_file);
        assert_eq!(ca, Some(PathBuf::from("ca.pem")));
        let e = smtp("none").expect_err("ca_file without TLS");
        assert_eq!(e.key, "email.smtp.ca_file");
        assert!(e.message.contains("tls = \"none\""), "{}", e.message);
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let e = parse(&format!("{MINIMAL}\n[schedule]\nfeed_intervall = \"5m\"\n")).unwrap_err();
        assert!(e.message.contains("feed_intervall"), "{e}");
        assert_eq!(e.line, Some(11), "{e}");
    }

    #[test]
    fn bad_duration_names_key_and_line() {
        let e = parse(&format!("[schedule]\nstop_after = \"14 days\"\n{MINIMAL}")).unwrap_err();
        assert_eq!(e.key, "stop_after", "{e}");
        assert_eq!(e.line, Some(2));
        assert!(e.message.contains("bad duration"), "{e}");
    }

    #[test]
    fn bad_query_names_topic() {
        let e = parse(&MINIMAL.replace("Putin AND China", "Putin AND (China")).unwrap_err();
        assert_eq!(e.key, "topic[1].query");
        assert_eq!(e.line, Some(8));
    }

    #[test]
    fn unreachable_topic_is_an_error() {
        let s = MINIMAL.replace(
            "url = \"https://example.org/feed.xml\"",
            "url = \"https://example.org/feed.xml\"\ntopics = [\"other\"]",
        ) + "\n[[topic]]\nname = \"other\"\nquery = 'NATO'\n";
        let e = parse(&s).unwrap_err();
        assert!(e.message.contains("reached by no feed"), "{e}");
    }

    #[test]
    fn unknown_topic_in_feed_is_an_error() {
        let s = MINIMAL.replace(
            "url = \"https://example.org/feed.xml\"",
            "url = \"https://example.org/feed.xml\"\ntopics = [\"nope\"]",
        );
        let e = parse(&s).unwrap_err();
        assert_eq!(e.key, "feed[1].topics");
    }

    #[test]
    fn bad_ignore_regex_and_drop_selector_are_named() {
        let with = |extra: &str| {
            MINIMAL.replace(
                "url = \"https://example.org/feed.xml\"",
                &format!("url = \"https://example.org/feed.xml\"\n{extra}"),
            )
        };
        let e = parse(&with("ignore = ['Updated (\\d+']")).unwrap_err();
        assert_eq!(e.key, "feed[1].ignore", "{e}");
        assert_eq!(e.line, Some(5));
        let e = parse(&with("drop = ['div[[']")).unwrap_err();
        assert_eq!(e.key, "feed[1].drop", "{e}");
        assert!(parse(&with("drop = ['.live-ticker', 'aside > .most-read']")).is_ok());
    }

    #[test]
    fn queries_regexes_and_selectors_are_compiled_at_load() {
        let c = parse(&MINIMAL.replace(
            "url = \"https://example.org/feed.xml\"",
            "url = \"https://example.org/feed.xml\"\n\
             ignore = ['Updated \\d+ minutes ago']\ndrop = ['.live-ticker', 'aside > .most-read']",
        ))
        .expect("valid");
        let [(name, Some(query))] = c.queries() else {
            panic!("one query: {:?}", c.queries());
        };
        assert_eq!(name, "rc");
        let text = |s: &str| crate::topic::MatchText::new(s);
        assert!(query.matches(&text("Putin flies to China")));
        assert!(!query.matches(&text("Putin flies to Paris")));
        let rules = c.feed_rules("World").expect("the feed's rules");
        assert_eq!(rules.ignore.len(), 1);
        assert!(rules.ignore[0].is_match("Updated 12 minutes ago"));
        assert_eq!(rules.drop.len(), 2);
        assert!(c.feed_rules("Elsewhere").is_none());
        // A clone (as a reload's watcher holds) carries the same compiled values.
        assert_eq!(c.clone().queries(), c.queries());
    }

    #[test]
    fn feed_names_are_unique() {
        let twice = format!(
            "{MINIMAL}\n[[feed]]\nname = \"World\"\nurl = \"https://example.org/other.xml\"\n"
        );
        let e = parse(&twice).unwrap_err();
        assert_eq!(e.key, "feed[2].name", "{e}");
    }

    #[test]
    fn smtp_transport_needs_host() {
        let e = parse(&format!("{MINIMAL}\n[email]\ntransport = \"smtp\"\n")).unwrap_err();
        assert_eq!(e.key, "email.smtp");
    }
}
