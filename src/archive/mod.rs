//! Evidence a newsroom can cite: the page as it was served, in the format archivists
//! use, and an independent snapshot beside it.
//!
//! - [`RawPage`]: the response of a stored version (bytes as received, status, headers,
//!   final URL, fetch time), kept when `[archive] raw = true`; the store compresses it
//!   against the article's previous page ([`pack`]) and drops old bytes past `keep`.
//! - [`warc`]: `redline export ARTICLE --warc FILE` writes those responses as WARC 1.1,
//!   and reads WARC back (digests checked).
//! - [`submit`]: `[archive] submit = URL` asks a Save-Page-Now style endpoint to snapshot
//!   each new version, through a queue written with the version, and keeps the link.

use chrono::{DateTime, Utc};

pub mod pack;
pub mod submit;
pub mod warc;

pub use submit::{SubmitReport, submit_due};

/// One fetched response, kept as evidence with the version it made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPage {
    /// The address the response came from, after redirects.
    pub url: String,
    pub status: u16,
    /// The response headers, as received.
    pub headers: Vec<(String, String)>,
    /// The body as received, before charset decoding (transfer and content encodings
    /// are undone by the HTTP client).
    pub body: Vec<u8>,
    pub fetched_at: DateTime<Utc>,
}
