//! `[[feed]]`: the feeds polled, each with its own topics, interval, `ignore` regexes and
//! `drop` selectors.

use std::collections::HashSet;

use serde::Deserialize;
use toml::Spanned;

use super::{Compiled, Config, ConfigError, Dur};

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

impl Config {
    /// `[[feed]]`: unique names and URLs, http(s) only, topics that exist; compiles each
    /// feed's `ignore` and `drop` into `compiled`.
    pub(super) fn validate_feeds(
        &self,
        topic_names: &HashSet<String>,
        compiled: &mut Compiled,
    ) -> Result<(), ConfigError> {
        let mut urls = HashSet::new();
        let mut names = HashSet::new();
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
            self.check_topic_refs(&key, feed.topics.as_ref(), topic_names)?;
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
        Ok(())
    }
}
