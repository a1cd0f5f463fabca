//! `[[topic]]`: what coverage is tracked — a boolean query, `like` stored copies, or
//! both — and who hears about it.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{Compiled, Config, ConfigError, check_mailbox};
use crate::topic::like::{self, LikeTopic};

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

impl Config {
    /// `[[topic]]`: unique non-empty names, a query or `like` (or both), a similarity in
    /// 0–1, valid `notify` addresses; compiles each query into `compiled`. Returns the
    /// topic names, for the feeds' `topics` lists.
    pub(super) fn validate_topics(
        &self,
        compiled: &mut Compiled,
    ) -> Result<HashSet<String>, ConfigError> {
        let mut topic_names = HashSet::new();
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
        Ok(topic_names)
    }

    /// Reads and prepares each topic's `like` copies, relative to the config file's
    /// directory. A copy that is missing, unreadable or empty is an error naming it.
    pub(super) fn load_likes(&self) -> Result<Vec<LikeTopic>, ConfigError> {
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
}
