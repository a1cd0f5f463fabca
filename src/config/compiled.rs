//! The config's compiled values: the topic queries and each feed's `ignore` regexes and
//! `drop` selectors. They are compiled once, while the config loads (a bad one is then an
//! error naming its key and line), and carried with the [`Config`] to the watcher and the
//! extractor, so nothing compiles them again and no later step can meet a bad one. A
//! reload builds a new [`Config`], and with it new compiled values.

use regex::Regex;

use super::{Config, ConfigError, FeedConfig, TopicConfig};
use crate::extract::{ExtractError, Selectors};
use crate::topic::Query;

/// Everything in a config that needs compiling, compiled.
#[derive(Debug, Clone, Default)]
pub struct Compiled {
    /// The topic queries, by topic name, in config order; `None` for a topic defined by
    /// `like` alone.
    pub(super) queries: Vec<(String, Option<Query>)>,
    /// Each feed's rules, by feed name, in config order.
    pub(super) feeds: Vec<(String, FeedRules)>,
}

/// One feed's compiled `ignore` and `drop`.
#[derive(Debug, Clone, Default)]
pub struct FeedRules {
    /// Text these match never counts as a change.
    pub ignore: Vec<Regex>,
    /// Elements these match are removed from the page before extraction.
    pub drop: Selectors,
}

impl Config {
    /// A topic's query, compiled (`None` without one); the error names `topic[N].query`
    /// and its line.
    pub(super) fn compile_query(
        &self,
        key: &str,
        topic: &TopicConfig,
    ) -> Result<(String, Option<Query>), ConfigError> {
        let name = topic.name.get_ref();
        let Some(query) = &topic.query else {
            return Ok((name.clone(), None));
        };
        Query::parse(query.get_ref())
            .map(|q| (name.clone(), Some(q)))
            .map_err(|e| {
                self.err(
                    Some(query.span()),
                    format!("{key}.query"),
                    format!("topic {name:?}: {e}"),
                )
            })
    }

    /// A feed's `ignore` and `drop`, compiled; the error names the key and the line of the
    /// first bad entry.
    pub(super) fn compile_feed(
        &self,
        key: &str,
        feed: &FeedConfig,
    ) -> Result<(String, FeedRules), ConfigError> {
        let ignore = feed
            .ignore
            .iter()
            .map(|re| {
                Regex::new(re.get_ref()).map_err(|e| {
                    self.err(
                        Some(re.span()),
                        format!("{key}.ignore"),
                        format!("bad regex {:?}: {e}", re.get_ref()),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let drop =
            Selectors::parse(feed.drop.iter().map(|s| s.get_ref().as_str())).map_err(|e| {
                let bad = match &e {
                    ExtractError::BadSelector(sel) => sel.as_str(),
                    ExtractError::NoArticle => "",
                };
                let span = feed
                    .drop
                    .iter()
                    .find(|s| s.get_ref() == bad)
                    .map(|s| s.span());
                self.err(
                    span,
                    format!("{key}.drop"),
                    format!("bad CSS selector {bad:?}"),
                )
            })?;
        Ok((feed.name.clone(), FeedRules { ignore, drop }))
    }

    /// The compiled topic queries, by topic name, in config order; `None` for a topic
    /// defined by `like` alone (its copies are prepared in [`Config::likes`]).
    pub fn queries(&self) -> &[(String, Option<Query>)] {
        &self.compiled.queries
    }

    /// The compiled `ignore` and `drop` of the feed named `feed`; `None` for a name the
    /// config no longer has (an article kept from a feed since removed).
    pub fn feed_rules(&self, feed: &str) -> Option<&FeedRules> {
        self.compiled
            .feeds
            .iter()
            .find(|(name, _)| name == feed)
            .map(|(_, rules)| rules)
    }
}
