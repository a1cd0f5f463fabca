//! The one HTTP client, and the manners it keeps.
//!
//! Every request redline makes goes through [`Fetcher::get`]: an honest User-Agent, a
//! timeout, compressed transfer, a cap on the body size, conditional GET (ETag and
//! Last-Modified), a global and a per-host limit on requests in flight, and a per-host
//! pause when a server answers 429 or 503 with `Retry-After`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};
use tokio::sync::Semaphore;
use url::Url;

use crate::clock::Clock;
use crate::config::HttpConfig;
use crate::metrics::Metrics;

/// Validators from an earlier response, sent back as `If-None-Match` /
/// `If-Modified-Since`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A successful response.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
    pub validators: Validators,
    /// Where the redirects ended.
    pub final_url: Url,
    /// The status of each redirect followed on the way to `final_url`, in order.
    pub redirects: Vec<u16>,
    /// `Cache-Control: max-age` or `Expires`, a hint of how long the document stays fresh.
    pub fresh_for: Option<Duration>,
}

impl Page {
    /// The body decoded to UTF-8 (BOM, HTTP charset, in-document declaration, sniffing).
    pub fn text(&self) -> String {
        crate::charset::decode(&self.bytes, self.content_type.as_deref()).0
    }

    /// Whether the request was redirected, and only ever permanently (301/308): the
    /// document now lives at `final_url`.
    pub fn moved_permanently(&self) -> bool {
        !self.redirects.is_empty() && self.redirects.iter().all(|s| matches!(s, 301 | 308))
    }
}

tokio::task_local! {
    /// The redirect statuses of the request being sent on this task, noted by the
    /// redirect policy (which runs inside the request's own future).
    static REDIRECTS: std::cell::RefCell<Vec<u16>>;
}

/// Follows up to 10 redirects, noting each one's status for [`Page::redirects`].
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() > 10 {
            return attempt.error("too many redirects (more than 10)");
        }
        let status = attempt.status().as_u16();
        // Outside a scope (never, in this module) there is nothing to note it in.
        let _ = REDIRECTS.try_with(|r| r.borrow_mut().push(status));
        attempt.follow()
    })
}

/// The outcome of a GET that did not fail.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// 304: the document did not change since the validators were issued.
    NotModified,
    Page(Box<Page>),
}

/// Why a GET failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    #[error("HTTP {code}")]
    Status {
        code: u16,
        /// `Retry-After`, when the server sent one.
        retry_after: Option<Duration>,
    },
    #[error("the response is larger than http.max_body ({limit} bytes)")]
    TooLarge { limit: u64 },
    #[error("timed out")]
    Timeout,
    #[error("{0}")]
    Network(String),
    #[error(
        "refused: {0} is a loopback or private address (set http.allow_private = true to allow)"
    )]
    Private(String),
    #[error("{host} asked us to wait until {until}")]
    Paused { host: String, until: DateTime<Utc> },
}

impl FetchError {
    /// A short status for `redline feeds`: the HTTP code or `error`.
    pub fn status(&self) -> String {
        match self {
            FetchError::Status { code, .. } => code.to_string(),
            FetchError::Timeout => "timeout".into(),
            FetchError::Paused { .. } => "paused".into(),
            _ => "error".into(),
        }
    }
}

/// Resolves names like the system does, but drops loopback and private addresses, so a
/// feed entry cannot point redline at the machine it runs on or its network through a
/// public-looking name.
#[derive(Debug)]
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| !is_private(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!(
                    "{host} resolves only to loopback or private addresses (set http.allow_private = true to allow)"
                )
                .into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The shared HTTP client.
#[derive(Debug)]
pub struct Fetcher {
    /// For the feeds the user configured.
    client: reqwest::Client,
    /// For links found in feeds: refuses private addresses unless allowed.
    public: reqwest::Client,
    max_body: u64,
    per_host: usize,
    allow_private: bool,
    global: Arc<Semaphore>,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    paused: Mutex<HashMap<String, DateTime<Utc>>>,
    clock: Clock,
    metrics: Arc<Metrics>,
}

impl Fetcher {
    pub fn new(
        cfg: &HttpConfig,
        clock: Clock,
        metrics: Arc<Metrics>,
    ) -> Result<Fetcher, FetchError> {
        let builder = || {
            reqwest::Client::builder()
                .user_agent(cfg.user_agent.clone())
                .timeout(cfg.timeout.0)
                .connect_timeout(cfg.timeout.0.min(Duration::from_secs(10)))
                .redirect(redirect_policy())
                .gzip(true)
                .brotli(true)
                .deflate(true)
        };
        let build = |b: reqwest::ClientBuilder| {
            b.build()
                .map_err(|e| FetchError::Network(format!("cannot build the HTTP client: {e}")))
        };
        let client = build(builder())?;
        let public = if cfg.allow_private {
            client.clone()
        } else {
            build(builder().dns_resolver(Arc::new(PublicOnly)))?
        };
        Ok(Fetcher {
            client,
            public,
            max_body: cfg.max_body.0,
            per_host: cfg.per_host,
            allow_private: cfg.allow_private,
            global: Arc::new(Semaphore::new(cfg.max_concurrent)),
            hosts: Mutex::new(HashMap::new()),
            paused: Mutex::new(HashMap::new()),
            clock,
            metrics,
        })
    }

    /// The counters this client keeps.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// GETs a configured feed's `url`, counting the outcome in the metrics.
    pub async fn get(&self, url: &Url, v: &Validators) -> Result<Fetched, FetchError> {
        self.get_with(&self.client, url, v).await
    }

    /// GETs a link found in a feed: loopback and private addresses are refused (by
    /// literal address and by what the name resolves to) unless `http.allow_private`.
    pub async fn get_public(&self, url: &Url, v: &Validators) -> Result<Fetched, FetchError> {
        self.check_public(url)?;
        self.get_with(&self.public, url, v).await
    }

    async fn get_with(
        &self,
        client: &reqwest::Client,
        url: &Url,
        v: &Validators,
    ) -> Result<Fetched, FetchError> {
        let result = self.get_uncounted(client, url, v).await;
        let (label, bytes) = match &result {
            Ok(Fetched::Page(p)) => ("ok", p.bytes.len()),
            Ok(Fetched::NotModified) => ("not_modified", 0),
            Err(FetchError::Status { .. }) => ("http_error", 0),
            Err(FetchError::TooLarge { .. }) => ("too_large", 0),
            Err(FetchError::Paused { .. }) => ("paused", 0),
            Err(_) => ("network_error", 0),
        };
        self.metrics.fetch(label, bytes);
        result
    }

    fn host_semaphore(&self, host: &str) -> Arc<Semaphore> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts
            .entry(host.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
            .clone()
    }

    /// When a host asked us to wait, until when.
    pub fn paused_until(&self, host: &str) -> Option<DateTime<Utc>> {
        let paused = self.paused.lock().unwrap_or_else(|p| p.into_inner());
        paused.get(host).copied().filter(|t| *t > self.clock.now())
    }

    fn pause(&self, host: &str, until: DateTime<Utc>) {
        let mut paused = self.paused.lock().unwrap_or_else(|p| p.into_inner());
        let entry = paused.entry(host.to_string()).or_insert(until);
        if *entry < until {
            *entry = until;
        }
    }

    /// Refuses article links that point at this machine or a private network, unless
    /// the config allows it. Feed URLs are the user's own choice and are not checked.
    pub fn check_public(&self, url: &Url) -> Result<(), FetchError> {
        if self.allow_private {
            return Ok(());
        }
        let private = match url.host() {
            Some(url::Host::Ipv4(ip)) => is_private(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => is_private(IpAddr::V6(ip)),
            Some(url::Host::Domain(d)) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                d == "localhost" || d.ends_with(".localhost")
            }
            None => true,
        };
        if private {
            return Err(FetchError::Private(
                url.host_str().unwrap_or("").to_string(),
            ));
        }
        Ok(())
    }

    /// GETs `url`, conditionally when validators are given.
    async fn get_uncounted(
        &self,
        client: &reqwest::Client,
        url: &Url,
        v: &Validators,
    ) -> Result<Fetched, FetchError> {
        let host = url.host_str().unwrap_or("").to_string();
        if let Some(until) = self.paused_until(&host) {
            return Err(FetchError::Paused { host, until });
        }
        // The semaphores are never closed, so acquiring cannot fail; map it anyway.
        let _global = self
            .global
            .acquire()
            .await
            .map_err(|e| FetchError::Network(e.to_string()))?;
        let host_sem = self.host_semaphore(&host);
        let _host = host_sem
            .acquire()
            .await
            .map_err(|e| FetchError::Network(e.to_string()))?;

        let mut req = client.get(url.clone());
        if let Some(etag) = &v.etag {
            req = req.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &v.last_modified {
            req = req.header(header::IF_MODIFIED_SINCE, lm);
        }
        let (sent, redirects) = REDIRECTS
            .scope(Default::default(), async {
                let sent = req.send().await;
                (sent, REDIRECTS.with(|r| r.take()))
            })
            .await;
        let mut resp = sent.map_err(classify)?;
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            let retry_after = retry_after(resp.headers());
            if matches!(status.as_u16(), 429 | 503) {
                let wait = retry_after.unwrap_or(Duration::from_secs(60));
                self.pause(
                    &host,
                    self.clock.now() + chrono::Duration::from_std(wait).unwrap_or_default(),
                );
            }
            return Err(FetchError::Status {
                code: status.as_u16(),
                retry_after,
            });
        }
        if resp.content_length().is_some_and(|n| n > self.max_body) {
            return Err(FetchError::TooLarge {
                limit: self.max_body,
            });
        }
        let headers = resp.headers().clone();
        let final_url = resp.url().clone();
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(classify)? {
            if (bytes.len() + chunk.len()) as u64 > self.max_body {
                return Err(FetchError::TooLarge {
                    limit: self.max_body,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        let header_str = |name| {
            headers
                .get(name)
                .and_then(|v: &header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        Ok(Fetched::Page(Box::new(Page {
            status: status.as_u16(),
            bytes,
            content_type: header_str(header::CONTENT_TYPE),
            validators: Validators {
                etag: header_str(header::ETAG),
                last_modified: header_str(header::LAST_MODIFIED),
            },
            final_url,
            redirects,
            fresh_for: fresh_for(&headers),
        })))
    }
}

fn classify(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        return FetchError::Timeout;
    }
    // reqwest's Display is terse ("error sending request"); the source chain says why.
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    FetchError::Network(msg)
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                // 100.64.0.0/10, carrier-grade NAT
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00 // unique local
                || (v6.segments()[0] & 0xffc0) == 0xfe80 // link local
                || v6.to_ipv4_mapped().is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    Some((when - Utc::now()).to_std().unwrap_or(Duration::ZERO))
}

/// How long the response says it stays fresh: `Cache-Control: max-age`, else `Expires`.
fn fresh_for(headers: &HeaderMap) -> Option<Duration> {
    if let Some(cc) = headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
    {
        for part in cc.split(',') {
            if let Some(n) = part.trim().strip_prefix("max-age=") {
                return n.trim().parse().ok().map(Duration::from_secs);
            }
        }
    }
    let expires = headers.get(header::EXPIRES)?.to_str().ok()?;
    let when = DateTime::parse_from_rfc2822(expires.trim()).ok()?;
    (when.with_timezone(&Utc) - Utc::now()).to_std().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.5",
            "169.254.1.1",
            "::1",
            "fd00::1",
            "100.64.0.1",
        ] {
            assert!(is_private(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["8.8.8.8", "151.101.1.1", "2a00:1450::1"] {
            assert!(!is_private(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[test]
    fn retry_after_seconds_and_date() {
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, "120".parse().expect("hv"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(120)));
        let later = (Utc::now() + chrono::Duration::seconds(300)).to_rfc2822();
        h.insert(header::RETRY_AFTER, later.parse().expect("hv"));
        let d = retry_after(&h).expect("date");
        assert!(
            d > Duration::from_secs(290) && d <= Duration::from_secs(300),
            "{d:?}"
        );
    }

    #[test]
    fn freshness_from_headers() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CACHE_CONTROL,
            "public, max-age=900".parse().expect("hv"),
        );
        assert_eq!(fresh_for(&h), Some(Duration::from_secs(900)));
    }

    #[tokio::test]
    async fn the_public_resolver_drops_private_addresses() {
        use reqwest::dns::Resolve;
        // `localhost` resolves to loopback on every machine (from /etc/hosts, no DNS).
        let name = "localhost".parse().expect("name");
        let e = PublicOnly.resolve(name).await.err().expect("refused");
        assert!(e.to_string().contains("only to loopback or private"), "{e}");
    }

    #[test]
    fn refuses_private_links_unless_allowed() {
        let mut cfg = HttpConfig::default();
        let f = Fetcher::new(&cfg, Clock::new(), Default::default()).expect("client");
        assert!(
            f.check_public(&Url::parse("http://127.0.0.1:8080/a").expect("url"))
                .is_err()
        );
        assert!(
            f.check_public(&Url::parse("http://localhost/a").expect("url"))
                .is_err()
        );
        assert!(
            f.check_public(&Url::parse("https://example.org/a").expect("url"))
                .is_ok()
        );
        cfg.allow_private = true;
        let f = Fetcher::new(&cfg, Clock::new(), Default::default()).expect("client");
        assert!(
            f.check_public(&Url::parse("http://127.0.0.1:8080/a").expect("url"))
                .is_ok()
        );
    }
}
