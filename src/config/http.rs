//! `[http]`: how redline fetches (identity, limits, proxy) and where it serves its
//! endpoint.

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::{Config, ConfigError, Dur, Size, defaults};

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

impl Config {
    /// `[http]`: limits of at least one, a listen address and a proxy URL that parse.
    pub(super) fn validate_http(&self) -> Result<(), ConfigError> {
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
        Ok(())
    }
}
