//! The TOML config, one file per section: serde structs that refuse unknown keys, typed values (durations,
//! sizes, percentages) that say what they expected, and [`Config::validate`], which checks
//! what serde cannot (cross references, addresses) and compiles the queries, regexes and
//! selectors ([`compiled`]) once, naming the key and line of every problem.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

mod archive;
mod compiled;
mod email;
mod error;
mod feed;
mod http;
mod schedule;
mod state;
mod topic;
mod units;
mod webhook;

pub use archive::ArchiveConfig;
pub use compiled::{Compiled, FeedRules};
use email::check_mailbox;
pub use email::{EmailConfig, SmtpConfig, Tls, Transport};
pub use error::ConfigError;
use error::{key_at, line_of};
pub use feed::FeedConfig;
pub use http::HttpConfig;
pub use schedule::ScheduleConfig;
pub use state::StateConfig;
pub use topic::TopicConfig;
pub use units::{Dur, Percent, Size, parse_duration};
pub use webhook::{WebhookConfig, WebhookFormat};

use crate::topic::like::LikeTopic;

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
    /// HTTP endpoints alerts are POSTed to besides email.
    #[serde(default, rename = "webhook")]
    pub webhooks: Vec<WebhookConfig>,
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

impl Config {
    /// Reads, parses and validates the config at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Config::from_str(&Config::read(path)?, path)
    }

    /// The config file's text.
    pub fn read(path: &Path) -> Result<String, ConfigError> {
        std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            line: None,
            key: String::new(),
            message: format!(
                "cannot read the config: {e} (pass --config PATH or set REDLINE_CONFIG)"
            ),
        })
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
        self.validate_schedule()?;
        self.validate_state()?;
        self.validate_http()?;
        let topic_names = self.validate_topics(&mut compiled)?;
        self.validate_feeds(&topic_names, &mut compiled)?;
        self.validate_email()?;
        self.validate_archive()?;
        self.validate_webhooks(&topic_names)?;
        Ok(compiled)
    }

    /// A `topics` list of `key` (a feed's, a webhook's) names only topics that exist.
    fn check_topic_refs(
        &self,
        key: &str,
        topics: Option<&toml::Spanned<Vec<toml::Spanned<String>>>>,
        topic_names: &std::collections::HashSet<String>,
    ) -> Result<(), ConfigError> {
        for t in topics.map(|l| l.get_ref().as_slice()).unwrap_or_default() {
            if !topic_names.contains(t.get_ref()) {
                return Err(self.err(
                    Some(t.span()),
                    format!("{key}.topics"),
                    format!("no [[topic]] is named {:?}", t.get_ref()),
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
