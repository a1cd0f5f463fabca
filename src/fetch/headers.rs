//! What response headers say about time: `Retry-After`, `Cache-Control: max-age` and
//! `Expires`. HTTP dates are parsed with `httpdate` (all three forms RFC 9110 allows)
//! and measured against the caller's "now", the project's [`Clock`](crate::clock::Clock),
//! so schedules stay testable in virtual time.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use reqwest::header::{self, HeaderMap};

/// How long from `now` until an HTTP date, zero when it has passed.
fn until(date: &str, now: DateTime<Utc>) -> Option<Duration> {
    let when: DateTime<Utc> = httpdate::parse_http_date(date.trim()).ok()?.into();
    Some((when - now).to_std().unwrap_or(Duration::ZERO))
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let v = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    until(v, now)
}

/// How long the response says it stays fresh: `Cache-Control: max-age`, else `Expires`.
pub fn fresh_for(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
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
    until(expires, now).filter(|d| !d.is_zero())
}

/// `t` as an HTTP date, for tests and for servers written in tests.
pub fn http_date(t: DateTime<Utc>) -> String {
    httpdate::fmt_http_date(SystemTime::from(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn retry_after_seconds_and_dates_against_the_given_now() {
        let now = at("2026-11-29T10:00:00Z");
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, "120".parse().expect("hv"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(120)));
        // The three date forms of RFC 9110, five minutes after `now`.
        for date in [
            "Sun, 29 Nov 2026 10:05:00 GMT",
            "Sunday, 29-Nov-26 10:05:00 GMT",
            "Sun Nov 29 10:05:00 2026",
        ] {
            h.insert(header::RETRY_AFTER, date.parse().expect("hv"));
            assert_eq!(
                retry_after(&h, now),
                Some(Duration::from_secs(300)),
                "{date}"
            );
        }
        // A date in the past means now; garbage means no hint.
        h.insert(
            header::RETRY_AFTER,
            "Sun, 29 Nov 2026 09:00:00 GMT".parse().expect("hv"),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::ZERO));
        h.insert(header::RETRY_AFTER, "soon".parse().expect("hv"));
        assert_eq!(retry_after(&h, now), None);
        assert_eq!(
            http_date(at("2026-11-29T10:05:00Z")),
            "Sun, 29 Nov 2026 10:05:00 GMT"
        );
    }

    #[test]
    fn freshness_from_headers() {
        let now = at("2026-11-29T10:00:00Z");
        let mut h = HeaderMap::new();
        h.insert(
            header::EXPIRES,
            "Sun, 29 Nov 2026 11:00:00 GMT".parse().expect("hv"),
        );
        assert_eq!(fresh_for(&h, now), Some(Duration::from_secs(3600)));
        h.insert(
            header::CACHE_CONTROL,
            "public, max-age=900".parse().expect("hv"),
        );
        assert_eq!(fresh_for(&h, now), Some(Duration::from_secs(900)));
    }
}
