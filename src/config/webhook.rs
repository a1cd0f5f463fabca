//! `[[webhook]]`: the HTTP endpoints alerts are POSTed to besides email, in which format,
//! signed with which secret, for which topics.
//!
//! The secret itself never appears in the file: `secret_env` names an environment
//! variable. It is read by [`Config::webhook_secrets`] when something is about to send
//! (`run`, `poll`, `test-webhook`) or to vouch for the config (`check`), not by every
//! command, so `redline history` works on a machine without the secret.

use std::collections::HashSet;

use serde::Deserialize;
use toml::Spanned;

use super::{Config, ConfigError};

/// How an alert is written for a webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// One JSON document per alert, with every field of the alert.
    #[default]
    Json,
    /// `{"text": …}` for Slack and Mattermost incoming webhooks.
    Slack,
    /// A plain-text message with `Title`, `Tags` and `Click` headers, for ntfy.
    Ntfy,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Json => "json",
            WebhookFormat::Slack => "slack",
            WebhookFormat::Ntfy => "ntfy",
        }
    }
}

/// One `[[webhook]]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Unique; part of each delivery's id (`X-Redline-Delivery: <alert id>.<name>`).
    pub name: Spanned<String>,
    /// Where alerts are POSTed (http or https).
    pub url: Spanned<String>,
    #[serde(default)]
    pub format: WebhookFormat,
    /// The environment variable holding the HMAC-SHA256 key that signs each body.
    #[serde(default)]
    pub secret_env: Option<Spanned<String>>,
    /// The topics whose alerts go to this webhook; absent means every topic.
    #[serde(default)]
    pub topics: Option<Spanned<Vec<Spanned<String>>>>,
}

impl WebhookConfig {
    /// Whether an alert of an article filed under `topics` goes here. An article with no
    /// topic (tracked directly) goes only to webhooks without a `topics` list.
    pub fn wants(&self, topics: &[&str]) -> bool {
        match &self.topics {
            None => true,
            Some(list) => list
                .get_ref()
                .iter()
                .any(|t| topics.contains(&t.get_ref().as_str())),
        }
    }
}

/// Whether a webhook name is one word of letters, digits, `-`, `_` and `.`: it goes into
/// an HTTP header, and it can never be mistaken for an email address in the outbox.
fn good_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl Config {
    /// `[[webhook]]`: unique names of letters, digits, `-`, `_`, `.`; http(s) URLs; a
    /// variable name in `secret_env`; topics that exist.
    pub(super) fn validate_webhooks(
        &self,
        topic_names: &HashSet<String>,
    ) -> Result<(), ConfigError> {
        let mut names = HashSet::new();
        for (i, hook) in self.webhooks.iter().enumerate() {
            let key = format!("webhook[{}]", i + 1);
            let name = hook.name.get_ref();
            if !good_name(name) {
                return Err(self.err(
                    Some(hook.name.span()),
                    format!("{key}.name"),
                    format!(
                        "{name:?} is not a usable webhook name: use letters, digits, '-', '_' and '.' only, like \"desk-chat\""
                    ),
                ));
            }
            if !names.insert(name.clone()) {
                return Err(self.err(
                    Some(hook.name.span()),
                    format!("{key}.name"),
                    format!("webhook {name:?} is defined twice; give each webhook its own name"),
                ));
            }
            let url = hook.url.get_ref();
            let ok = url::Url::parse(url)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
            if ok.is_none() {
                return Err(self.err(
                    Some(hook.url.span()),
                    format!("{key}.url"),
                    format!("{url:?} is not an http(s) URL"),
                ));
            }
            if let Some(var) = &hook.secret_env {
                let v = var.get_ref();
                if v.is_empty() || v.contains(['=', '\0']) {
                    return Err(self.err(
                        Some(var.span()),
                        format!("{key}.secret_env"),
                        format!(
                            "{v:?} is not an environment variable name, like \"REDLINE_WEBHOOK_SECRET\""
                        ),
                    ));
                }
            }
            self.check_topic_refs(&key, hook.topics.as_ref(), topic_names)?;
        }
        Ok(())
    }

    /// The webhook named `name`, if any.
    pub fn webhook(&self, name: &str) -> Option<&WebhookConfig> {
        self.webhooks.iter().find(|h| h.name.get_ref() == name)
    }

    /// Each webhook's secret, read from its `secret_env` variable (`None` for a webhook
    /// without one), in config order. A variable that is unset or empty is an error
    /// naming the key and its line: the webhook could not sign what it sends.
    pub fn webhook_secrets(&self) -> Result<Vec<Option<String>>, ConfigError> {
        self.webhooks
            .iter()
            .enumerate()
            .map(|(i, hook)| {
                let Some(var) = &hook.secret_env else {
                    return Ok(None);
                };
                match std::env::var(var.get_ref()) {
                    Ok(s) if !s.is_empty() => Ok(Some(s)),
                    _ => Err(self.err(
                        Some(var.span()),
                        format!("webhook[{}].secret_env", i + 1),
                        format!(
                            "the environment variable {} is not set (or empty): set it to the webhook's secret, or remove secret_env to send unsigned",
                            var.get_ref()
                        ),
                    )),
                }
            })
            .collect()
    }

    /// The webhooks an alert goes to, given the topics it alerts for (`None`: the article
    /// has no topic).
    pub fn webhooks_for(&self, topics: Option<&[&str]>) -> Vec<String> {
        self.webhooks
            .iter()
            .filter(|h| match topics {
                None => h.topics.is_none(),
                Some(list) => !list.is_empty() && h.wants(list),
            })
            .map(|h| h.name.get_ref().clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const BASE: &str = r#"
[[feed]]
name = "World"
url = "https://example.org/feed.xml"

[[topic]]
name = "rc"
query = 'Putin AND China'

[[topic]]
name = "nato"
query = 'NATO'
"#;

    fn parse(extra: &str) -> Result<Config, ConfigError> {
        Config::from_str(&format!("{BASE}{extra}"), Path::new("test.toml"))
    }

    #[test]
    fn a_webhook_parses_with_its_defaults() {
        let c = parse("\n[[webhook]]\nname = \"desk\"\nurl = \"http://10.0.0.5/hook\"\n")
            .expect("valid");
        assert_eq!(c.webhooks.len(), 1);
        assert_eq!(c.webhooks[0].format, WebhookFormat::Json);
        assert!(c.webhooks[0].secret_env.is_none());
        assert_eq!(c.webhooks_for(Some(&["rc"])), vec!["desk".to_string()]);
        assert_eq!(c.webhooks_for(None), vec!["desk".to_string()]);
        assert_eq!(c.webhook_secrets().expect("no secrets"), vec![None]);
    }

    #[test]
    fn topics_choose_the_alerts() {
        let c = parse(
            "\n[[webhook]]\nname = \"rc-only\"\nurl = \"https://h.example/a\"\nformat = \"slack\"\ntopics = [\"rc\"]\n\
             \n[[webhook]]\nname = \"all\"\nurl = \"https://h.example/b\"\nformat = \"ntfy\"\n",
        )
        .expect("valid");
        assert_eq!(c.webhooks_for(Some(&["rc"])), vec!["rc-only", "all"]);
        assert_eq!(c.webhooks_for(Some(&["nato"])), vec!["all"]);
        // An article tracked directly (no topic) goes to the unfiltered webhooks only.
        assert_eq!(c.webhooks_for(None), vec!["all"]);
        // No topic alerts (alert_on left them all out): nowhere.
        assert!(c.webhooks_for(Some(&[])).is_empty());
        assert_eq!(
            c.webhook("all").map(|h| h.format),
            Some(WebhookFormat::Ntfy)
        );
    }

    #[test]
    fn bad_values_name_the_key_and_line() {
        // Line 14 is the first line after BASE's 13.
        let hook = |body: &str| parse(&format!("\n[[webhook]]\n{body}"));
        let e = hook("name = \"a\"\nurl = \"ftp://x/\"\n").expect_err("ftp");
        assert_eq!((e.key.as_str(), e.line), ("webhook[1].url", Some(16)));
        let e = hook("name = \"a b\"\nurl = \"https://x/\"\n").expect_err("space");
        assert_eq!((e.key.as_str(), e.line), ("webhook[1].name", Some(15)));
        let e = hook("name = \"a\"\nurl = \"https://x/\"\nformat = \"xml\"\n").expect_err("format");
        assert_eq!((e.key.as_str(), e.line), ("format", Some(17)));
        assert!(e.message.contains("slack"), "{e}");
        let e = hook("name = \"a\"\nurl = \"https://x/\"\ntopics = [\"rc\", \"nope\"]\n")
            .expect_err("topic");
        assert_eq!((e.key.as_str(), e.line), ("webhook[1].topics", Some(17)));
        let e =
            hook("name = \"a\"\nurl = \"https://x/\"\nsecret = \"hunter2\"\n").expect_err("key");
        assert!(e.message.contains("secret"), "{e}");
        assert_eq!(e.line, Some(17));
        let e = hook("name = \"a\"\nurl = \"https://x/\"\n\n[[webhook]]\nname = \"a\"\nurl = \"https://y/\"\n")
            .expect_err("twice");
        assert_eq!((e.key.as_str(), e.line), ("webhook[2].name", Some(19)));
        let e = hook("url = \"https://x/\"\n").expect_err("no name");
        assert!(e.message.contains("name"), "{e}");
    }

    #[test]
    fn an_unset_secret_variable_is_named_when_the_secrets_are_read() {
        let c = parse(
            "\n[[webhook]]\nname = \"a\"\nurl = \"https://x/\"\nsecret_env = \"REDLINE_TEST_SECRET_THAT_IS_NEVER_SET\"\n",
        )
        .expect("loading does not need the secret");
        let e = c.webhook_secrets().expect_err("unset");
        assert_eq!(
            (e.key.as_str(), e.line),
            ("webhook[1].secret_env", Some(17))
        );
        assert!(
            e.message
                .contains("REDLINE_TEST_SECRET_THAT_IS_NEVER_SET is not set"),
            "{e}"
        );
    }
}
