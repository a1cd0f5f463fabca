//! The one HTTP client, and the manners it keeps.
//!
//! Every request redline makes goes through a [`Fetcher`]: an honest User-Agent, a
//! timeout, compressed transfer, a cap on the body size, conditional GET (ETag and
//! Last-Modified), a global and a per-host limit on requests in flight, and a per-host
//! pause when a server answers 429 or 503 with `Retry-After`.
//!
//! Redirects are followed here, hop by hop (at most [`MAX_REDIRECTS`]), so that each hop
//! of a link found in a feed is checked ([`guard`]) before it is requested. Links are
//! fetched with a client whose resolver keeps only global addresses and which ignores
//! proxy environment variables (a proxy would resolve names for us); `[http] proxy`
//! sends every request through the proxy the user names.
//!
//! A pause is kept here for this process's own requests; the pauses it meets are handed
//! out ([`Fetcher::take_new_pauses`]) and those other processes met are taken in
//! ([`Fetcher::adopt_pause`]) by the watcher, which shares them through the store.
//!
//! This module counts what it does in [`Metrics`] and knows nothing of the store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use crate::clock::Clock;
use crate::config::HttpConfig;
use crate::metrics::Metrics;

pub mod guard;
mod headers;

pub use guard::HopError;
pub use headers::{fresh_for, http_date, retry_after};

/// Redirects followed before a fetch gives up.
pub const MAX_REDIRECTS: usize = 10;
/// The longest a `Retry-After` may pause a host, so a hostile value cannot silence a
/// feed for good (the same cap as a failing feed's backoff).
pub const MAX_PAUSE: Duration = Duration::from_secs(6 * 3600);

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
    /// The response headers as received (names lower-cased, repeated ones together, as
    /// the HTTP library hands them over), kept as evidence with the page (`[archive] raw`).
    pub headers: Vec<(String, String)>,
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

/// How much of a POST's answer is kept.
const POSTED_ANSWER: usize = 1024;

/// The answer to a POST: any status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub status: u16,
    /// `Retry-After` (seconds or an HTTP date), when the server sent one.
    pub retry_after: Option<Duration>,
    /// The start of the body (at most 1 KiB), lossily decoded.
    pub answer: String,
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
    #[error(transparent)]
    Refused(#[from] HopError),
    #[error("more than {MAX_REDIRECTS} redirects (the last to {url})")]
    TooManyRedirects { url: String },
    #[error("HTTP {code} redirect without a usable Location: {detail}")]
    BadRedirect { code: u16, detail: String },
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
            FetchError::Refused(_) => "refused".into(),
            _ => "error".into(),
        }
    }
}

/// Resolves names like the system does, but keeps only global addresses, so a feed
/// entry cannot point redline at the machine it runs on or its network through a
/// public-looking name. Every hop resolves its host through this.
#[derive(Debug)]
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| guard::refused(a.ip()).is_none())
                .collect();
            if addrs.is_empty() {
                return Err(format!(
                    "{host} resolves only to loopback, private or other non-global addresses (set http.allow_private = true to allow)"
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
    /// For links found in feeds: resolves names to global addresses only, unless
    /// `http.allow_private`.
    public: reqwest::Client,
    max_body: u64,
    per_host: usize,
    allow_private: bool,
    global: Arc<Semaphore>,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
    paused: Mutex<HashMap<String, DateTime<Utc>>>,
    /// Pauses met since the last [`Fetcher::take_new_pauses`]: host, end, status.
    new_pauses: Mutex<Vec<(String, DateTime<Utc>, u16)>>,
    clock: Clock,
    metrics: Arc<Metrics>,
    /// What each hop waits for before it goes to its host (see [`HostGate`]).
    gate: Option<Arc<dyn HostGate>>,
}

/// What a request waits for before it goes to a host, and holds until its answer is
/// read: the watcher's request slots, shared with every process on the store
/// (`watch::slots`). Each hop of a GET takes its own host's, so a redirect to another
/// host waits for that host's slots. Not for webhook POSTs, which go to the user's own
/// endpoint.
pub trait HostGate: std::fmt::Debug + Send + Sync {
    /// Waits for a place at `host`; the place is held until the returned value drops.
    fn enter<'a>(&'a self, host: &'a str) -> BoxFuture<'a, Box<dyn Send>>;
}

/// A boxed future that may move between threads.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Who chose a URL: the user (a configured feed) or a stranger (a link in a feed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Configured,
    Link,
}

impl Fetcher {
    pub fn new(
        cfg: &HttpConfig,
        clock: Clock,
        metrics: Arc<Metrics>,
    ) -> Result<Fetcher, FetchError> {
        let proxy =
            match &cfg.proxy {
                Some(p) => Some(reqwest::Proxy::all(p.get_ref().as_str()).map_err(|e| {
                    FetchError::Network(format!("http.proxy {:?}: {e}", p.get_ref()))
                })?),
                None => None,
            };
        let builder = || {
            let b = reqwest::Client::builder()
                .user_agent(cfg.user_agent.clone())
                .timeout(cfg.timeout.0)
                .connect_timeout(cfg.timeout.0.min(Duration::from_secs(10)))
                // Redirects are followed in `get_checked`, one checked hop at a time.
                .redirect(reqwest::redirect::Policy::none())
                .gzip(true)
                .brotli(true)
                .deflate(true)
                // Proxy environment variables are ignored: only `[http] proxy` counts.
                .no_proxy();
            match &proxy {
                Some(p) => b.proxy(p.clone()),
                None => b,
            }
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
            new_pauses: Mutex::new(Vec::new()),
            clock,
            metrics,
            gate: None,
        })
    }

    /// This client, each of whose GET hops waits at `gate` before it goes to its host.
    pub fn with_gate(mut self, gate: Arc<dyn HostGate>) -> Fetcher {
        self.gate = Some(gate);
        self
    }

    /// The counters this client keeps.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// GETs a configured feed's `url`, counting the outcome in the metrics. The user
    /// chose it, so its addresses are not checked (its scheme is).
    pub async fn get(&self, url: &Url, v: &Validators) -> Result<Fetched, FetchError> {
        self.get_with(Origin::Configured, url, v).await
    }

    /// GETs a link found in a feed: every hop (the link and each redirect) must be
    /// http(s) and reach only global addresses, by literal address and by what its name
    /// resolves to, unless `http.allow_private`.
    pub async fn get_public(&self, url: &Url, v: &Validators) -> Result<Fetched, FetchError> {
        self.get_with(Origin::Link, url, v).await
    }

    /// POSTs `body` with `headers` to a URL the user configured (a webhook), through the
    /// same client and limits as every request. Its addresses are not checked: a webhook
    /// on a private network is the user's choice, like an SMTP host. Redirects are not
    /// followed (a POST is not repeated elsewhere). Any status is an answer; only a
    /// request that got none is an error.
    pub async fn post(
        &self,
        url: &Url,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> Result<Posted, FetchError> {
        guard::check_scheme(url)?;
        let host = url.host_str().unwrap_or("").to_string();
        let _permits = self.permits(&host).await?;
        let mut req = self.client.post(url.clone()).body(body);
        for (name, value) in headers {
            req = req.header(name.as_str(), value.as_str());
        }
        // The URL stays out of the error: a webhook's often holds its secret.
        let mut resp = req.send().await.map_err(|e| classify(e.without_url()))?;
        let status = resp.status().as_u16();
        let retry_after = retry_after(resp.headers(), self.clock.now());
        // The start of the answer is kept to explain a refusal; the rest is not read.
        let mut answer = Vec::new();
        while answer.len() < POSTED_ANSWER {
            match resp.chunk().await {
                Ok(Some(chunk)) => answer.extend_from_slice(&chunk),
                Ok(None) | Err(_) => break,
            }
        }
        answer.truncate(POSTED_ANSWER);
        Ok(Posted {
            status,
            retry_after,
            answer: String::from_utf8_lossy(&answer).into_owned(),
        })
    }

    async fn get_with(
        &self,
        origin: Origin,
        url: &Url,
        v: &Validators,
    ) -> Result<Fetched, FetchError> {
        let result = self.get_checked(origin, url, v).await;
        let (label, bytes) = match &result {
            Ok(Fetched::Page(p)) => ("ok", p.bytes.len()),
            Ok(Fetched::NotModified) => ("not_modified", 0),
            Err(FetchError::Status { .. }) => ("http_error", 0),
            Err(FetchError::TooLarge { .. }) => ("too_large", 0),
            Err(FetchError::Paused { .. }) => ("paused", 0),
            Err(FetchError::Refused(_)) => ("refused", 0),
            Err(_) => ("network_error", 0),
        };
        self.metrics.fetch(label, bytes);
        result
    }

    /// A place among all requests in flight, then one among `host`'s: held for the
    /// length of one request.
    async fn permits(
        &self,
        host: &str,
    ) -> Result<(OwnedSemaphorePermit, OwnedSemaphorePermit), FetchError> {
        // The semaphores are never closed, so acquiring cannot fail; map it anyway.
        let global = self
            .global
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| FetchError::Network(e.to_string()))?;
        let host = self
            .host_semaphore(host)
            .acquire_owned()
            .await
            .map_err(|e| FetchError::Network(e.to_string()))?;
        Ok((global, host))
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

    /// Holds requests to `host` until `until`; returns whether that pauses it longer
    /// than before.
    fn hold(&self, host: &str, until: DateTime<Utc>) -> bool {
        let mut paused = self.paused.lock().unwrap_or_else(|p| p.into_inner());
        match paused.get_mut(host) {
            Some(t) if *t >= until => false,
            Some(t) => {
                *t = until;
                true
            }
            None => {
                paused.insert(host.to_string(), until);
                true
            }
        }
    }

    /// A pause `host` asked for with `status`: held here, and handed out to be shared.
    fn pause(&self, host: &str, until: DateTime<Utc>, status: u16) {
        if self.hold(host, until) {
            let mut new = self.new_pauses.lock().unwrap_or_else(|p| p.into_inner());
            new.push((host.to_string(), until, status));
        }
    }

    /// A pause another process met: requests to `host` wait until `until` here too.
    pub fn adopt_pause(&self, host: &str, until: DateTime<Utc>) {
        self.hold(host, until);
    }

    /// The pauses met since the last call (host, end, status), for the other processes
    /// sharing the state.
    pub fn take_new_pauses(&self) -> Vec<(String, DateTime<Utc>, u16)> {
        let mut new = self.new_pauses.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::take(&mut *new)
    }

    /// Whether a pause was met since the last [`Fetcher::take_new_pauses`].
    pub fn has_new_pauses(&self) -> bool {
        !self
            .new_pauses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
    }

    /// Checks one hop of a link (scheme, IP literal, `localhost`) unless the config
    /// allows private addresses; names are checked again as they resolve.
    pub fn check_public(&self, url: &Url) -> Result<(), FetchError> {
        if self.allow_private {
            guard::check_scheme(url)?;
        } else {
            guard::check_hop(url)?;
        }
        Ok(())
    }

    /// GETs `url`, following redirects one checked hop at a time.
    async fn get_checked(
        &self,
        origin: Origin,
        url: &Url,
        v: &Validators,
    ) -> Result<Fetched, FetchError> {
        let client = match origin {
            Origin::Configured => &self.client,
            Origin::Link => &self.public,
        };
        let mut url = url.clone();
        let mut redirects = Vec::new();
        for _ in 0..=MAX_REDIRECTS {
            match origin {
                Origin::Configured => guard::check_scheme(&url)?,
                Origin::Link => self.check_public(&url)?,
            }
            match self.get_hop(client, &url, v).await? {
                Hop::Redirect { to, status } => {
                    redirects.push(status);
                    url = to;
                }
                Hop::Done(Fetched::Page(mut page)) => {
                    page.redirects = redirects;
                    return Ok(Fetched::Page(page));
                }
                Hop::Done(done) => return Ok(done),
            }
        }
        Err(FetchError::TooManyRedirects {
            url: url.to_string(),
        })
    }

    /// One request, conditional when validators are given; a redirect is returned for
    /// the caller to check and follow.
    async fn get_hop(
        &self,
        client: &reqwest::Client,
        url: &Url,
        v: &Validators,
    ) -> Result<Hop, FetchError> {
        let host = url.host_str().unwrap_or("").to_string();
        if let Some(until) = self.paused_until(&host) {
            return Err(FetchError::Paused { host, until });
        }
        // The host's place across processes first, so that waiting for it holds none
        // of this process's places.
        let _slot = match &self.gate {
            Some(gate) => Some(gate.enter(&host).await),
            None => None,
        };
        let _permits = self.permits(&host).await?;

        let mut req = client.get(url.clone());
        if let Some(etag) = &v.etag {
            req = req.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &v.last_modified {
            req = req.header(header::IF_MODIFIED_SINCE, lm);
        }
        let mut resp = req.send().await.map_err(classify)?;
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Hop::Done(Fetched::NotModified));
        }
        if matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
            let bad = |detail: String| FetchError::BadRedirect {
                code: status.as_u16(),
                detail,
            };
            let location = resp
                .headers()
                .get(header::LOCATION)
                .ok_or_else(|| bad("no Location header".into()))?
                .to_str()
                .map_err(|e| bad(e.to_string()))?;
            let to = url
                .join(location)
                .map_err(|e| bad(format!("{location:?}: {e}")))?;
            return Ok(Hop::Redirect {
                to,
                status: status.as_u16(),
            });
        }
        let now = self.clock.now();
        if !status.is_success() {
            let retry_after = retry_after(resp.headers(), now);
            if matches!(status.as_u16(), 429 | 503) {
                let wait = retry_after
                    .unwrap_or(Duration::from_secs(60))
                    .min(MAX_PAUSE);
                self.pause(
                    &host,
                    now + chrono::Duration::from_std(wait).unwrap_or_default(),
                    status.as_u16(),
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
        // Room for the declared length, up to [`RESERVE_MAX`]: the body of a usual page is
        // not copied as it grows, and a length declared but never sent holds little.
        let declared = resp
            .content_length()
            .unwrap_or(0)
            .min(self.max_body)
            .min(RESERVE_MAX);
        let mut bytes = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
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
        Ok(Hop::Done(Fetched::Page(Box::new(Page {
            status: status.as_u16(),
            bytes,
            content_type: header_str(header::CONTENT_TYPE),
            validators: Validators {
                etag: header_str(header::ETAG),
                last_modified: header_str(header::LAST_MODIFIED),
            },
            final_url: url.clone(),
            redirects: Vec::new(),
            fresh_for: fresh_for(&headers, now),
            headers: headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_string(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
        }))))
    }
}

/// The most room reserved for a body ahead of its bytes, from its `Content-Length`.
const RESERVE_MAX: u64 = 1 << 20;

/// What one request gave.
#[derive(Debug)]
enum Hop {
    Redirect { to: Url, status: u16 },
    Done(Fetched),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_public_resolver_drops_private_addresses() {
        use reqwest::dns::Resolve;
        // `localhost` resolves to loopback on every machine (from /etc/hosts, no DNS).
        let name = "localhost".parse().expect("name");
        let e = PublicOnly.resolve(name).await.err().expect("refused");
        assert!(e.to_string().contains("non-global"), "{e}");
    }

    #[test]
    fn refuses_private_links_unless_allowed() {
        let mut cfg = HttpConfig::default();
        let f = Fetcher::new(&cfg, Clock::new(), Default::default()).expect("client");
        let url = |s: &str| Url::parse(s).expect("url");
        assert!(f.check_public(&url("http://127.0.0.1:8080/a")).is_err());
        assert!(f.check_public(&url("http://localhost/a")).is_err());
        assert!(f.check_public(&url("https://example.org/a")).is_ok());
        cfg.allow_private = true;
        let f = Fetcher::new(&cfg, Clock::new(), Default::default()).expect("client");
        assert!(f.check_public(&url("http://127.0.0.1:8080/a")).is_ok());
        // The scheme is checked even then.
        assert!(f.check_public(&url("file:///etc/passwd")).is_err());
    }
}
