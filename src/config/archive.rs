//! `[archive]`: the evidence redline keeps (raw responses) and asks others to keep
//! (snapshots).

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::{Config, ConfigError, Dur, defaults};

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

impl Config {
    /// `[archive]`: a `keep` longer than zero, a `submit` endpoint that is an http(s) URL.
    pub(super) fn validate_archive(&self) -> Result<(), ConfigError> {
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
}
