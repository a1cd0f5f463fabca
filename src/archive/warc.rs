//! WARC 1.1 (ISO 28500:2017), written and read: the format web archives and their tools
//! (warcio, pywb, the Wayback Machine) use, so a kept page can be handed to anyone.
//!
//! [`Writer`] writes a `warcinfo` record and then one `response` record per kept page:
//! the HTTP status line, headers and body as the block, with `WARC-Target-URI`,
//! `WARC-Date` (the fetch time), `WARC-Record-ID`, and SHA-1 `WARC-Block-Digest` and
//! `WARC-Payload-Digest` in the usual base32 form. The body is stored after the HTTP
//! client undid any transfer or content encoding, so the headers that describe those
//! encodings are renamed `X-Redline-Original-…` and `Content-Length` gives the body
//! as stored: the record then says truly what its payload is.
//!
//! [`read`] parses a WARC file back into records and checks each digest; the tests and
//! anyone handed an export can check it with it or with `warcio check`.
//!
//! The few dozen lines of writer are ours: the `warc` crate leaves the digests to its
//! caller and the record layout is small.

use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use sha1::{Digest, Sha1};

use super::RawPage;

/// Headers that describe an encoding of the body the stored bytes no longer have.
const ENCODING_HEADERS: [&str; 3] = ["content-encoding", "transfer-encoding", "content-length"];

/// Why a WARC file could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum WarcError {
    #[error("record {index} (at byte {offset}): {message}")]
    Bad {
        index: usize,
        offset: usize,
        message: String,
    },
}

/// `sha1:` and the base32 of the SHA-1 of `bytes`, as WARC digests are written.
pub fn sha1_digest(bytes: &[u8]) -> String {
    let hash = Sha1::digest(bytes);
    format!("sha1:{}", data_encoding::BASE32.encode(&hash))
}

/// A record id (`<urn:uuid:…>`) derived from what the record holds, so exporting the
/// same versions twice gives the same ids.
pub fn record_id(seed: &[u8]) -> String {
    let h = Sha1::digest(seed);
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    // A name-based (version 5) UUID, RFC 4122 variant.
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "<urn:uuid:{}-{}-{}-{}-{}>",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn warc_date(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The HTTP response a kept page was: status line, headers, blank line, body. Returns
/// the block and where its payload (the body) starts.
pub fn http_block(page: &RawPage) -> (Vec<u8>, usize) {
    let reason = reqwest::StatusCode::from_u16(page.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut head = format!("HTTP/1.1 {} {reason}\r\n", page.status);
    for (name, value) in &page.headers {
        // Line breaks in a value would forge headers; a received value never has them.
        let value = value.replace(['\r', '\n'], " ");
        if ENCODING_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            if !name.eq_ignore_ascii_case("content-length") {
                head.push_str(&format!("X-Redline-Original-{name}: {value}\r\n"));
            }
        } else {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", page.body.len()));
    let mut block = head.into_bytes();
    let start = block.len();
    block.extend_from_slice(&page.body);
    (block, start)
}

/// Writes WARC records to `out`.
#[derive(Debug)]
pub struct Writer<W: Write> {
    out: W,
    warcinfo_id: String,
}

impl<W: Write> Writer<W> {
    /// Starts a WARC file: writes its `warcinfo` record (`filename` and `fields`, each a
    /// `name: value` line, describe it).
    pub fn new(
        mut out: W,
        filename: &str,
        fields: &[(&str, String)],
        now: DateTime<Utc>,
    ) -> std::io::Result<Writer<W>> {
        let mut body = String::new();
        body.push_str(&format!(
            "software: redline/{}\r\n",
            env!("CARGO_PKG_VERSION")
        ));
        body.push_str("format: WARC File Format 1.1\r\n");
        body.push_str("conformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n");
        for (name, value) in fields {
            body.push_str(&format!("{name}: {}\r\n", value.replace(['\r', '\n'], " ")));
        }
        let id = record_id(format!("warcinfo {filename} {}", warc_date(now)).as_bytes());
        let headers = vec![
            ("WARC-Type", "warcinfo".to_string()),
            ("WARC-Record-ID", id.clone()),
            ("WARC-Date", warc_date(now)),
            ("WARC-Filename", filename.replace(['\r', '\n'], " ")),
            ("Content-Type", "application/warc-fields".to_string()),
            ("WARC-Block-Digest", sha1_digest(body.as_bytes())),
        ];
        write_record(&mut out, &headers, body.as_bytes())?;
        Ok(Writer {
            out,
            warcinfo_id: id,
        })
    }

    /// Writes one `response` record for a kept page.
    pub fn response(&mut self, page: &RawPage) -> std::io::Result<()> {
        let (block, start) = http_block(page);
        let id = record_id(
            format!("response {} {}", page.url, warc_date(page.fetched_at))
                .as_bytes()
                .iter()
                .chain(sha1_digest(&block).as_bytes())
                .copied()
                .collect::<Vec<u8>>()
                .as_slice(),
        );
        let headers = vec![
            ("WARC-Type", "response".to_string()),
            ("WARC-Record-ID", id),
            ("WARC-Warcinfo-ID", self.warcinfo_id.clone()),
            ("WARC-Date", warc_date(page.fetched_at)),
            ("WARC-Target-URI", page.url.replace(['\r', '\n', ' '], "")),
            (
                "Content-Type",
                "application/http;msgtype=response".to_string(),
            ),
            ("WARC-Payload-Digest", sha1_digest(&block[start..])),
            ("WARC-Block-Digest", sha1_digest(&block)),
        ];
        write_record(&mut self.out, &headers, &block)
    }

    /// Flushes and hands back the output.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

fn write_record<W: Write>(
    out: &mut W,
    headers: &[(&str, String)],
    block: &[u8],
) -> std::io::Result<()> {
    let mut head = String::from("WARC/1.1\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", block.len()));
    out.write_all(head.as_bytes())?;
    out.write_all(block)?;
    out.write_all(b"\r\n\r\n")
}

/// One record read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub version: String,
    /// The WARC named fields, in order.
    pub headers: Vec<(String, String)>,
    pub block: Vec<u8>,
}

impl Record {
    /// The first field named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// For a `response` record, the HTTP body (after the status line and headers).
    pub fn payload(&self) -> Option<&[u8]> {
        let end = self.block.windows(4).position(|w| w == b"\r\n\r\n")?;
        Some(&self.block[end + 4..])
    }
}

/// Reads every record of an uncompressed WARC file and checks its `Content-Length`,
/// `WARC-Block-Digest` and (for responses) `WARC-Payload-Digest`.
pub fn read(bytes: &[u8]) -> Result<Vec<Record>, WarcError> {
    let mut records = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let index = records.len();
        let bad = |message: String| WarcError::Bad {
            index,
            offset: at,
            message,
        };
        let head_end = bytes[at..]
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| bad("no end of the record's header".into()))?;
        let head = std::str::from_utf8(&bytes[at..at + head_end])
            .map_err(|e| bad(format!("header is not UTF-8: {e}")))?;
        let mut lines = head.split("\r\n");
        let version = lines.next().unwrap_or_default().to_string();
        if !version.starts_with("WARC/") {
            return Err(bad(format!("{version:?} is not a WARC version line")));
        }
        let mut headers = Vec::new();
        for line in lines {
            let (n, v) = line
                .split_once(':')
                .ok_or_else(|| bad(format!("bad field line {line:?}")))?;
            headers.push((n.trim().to_string(), v.trim().to_string()));
        }
        let field = |name: &str| {
            headers
                .iter()
                .find(|(n, _): &&(String, String)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let len: usize = field("Content-Length")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| bad("no Content-Length".into()))?;
        let start = at + head_end + 4;
        let end = start
            .checked_add(len)
            .filter(|e| *e + 4 <= bytes.len())
            .ok_or_else(|| bad("the file ends inside the record".into()))?;
        if &bytes[end..end + 4] != b"\r\n\r\n" {
            return Err(bad("the record does not end with CRLF CRLF".into()));
        }
        let record = Record {
            version,
            headers: headers.clone(),
            block: bytes[start..end].to_vec(),
        };
        if let Some(d) = field("WARC-Block-Digest")
            && d != sha1_digest(&record.block)
        {
            return Err(bad(format!(
                "WARC-Block-Digest {d} does not match the block"
            )));
        }
        if let Some(d) = field("WARC-Payload-Digest") {
            let payload = record
                .payload()
                .ok_or_else(|| bad("a payload digest but no HTTP header end".into()))?;
            if d != sha1_digest(payload) {
                return Err(bad(format!(
                    "WARC-Payload-Digest {d} does not match the payload"
                )));
            }
        }
        records.push(record);
        at = end + 4;
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(body: &[u8]) -> RawPage {
        RawPage {
            url: "https://news.example/world/story".into(),
            status: 200,
            headers: vec![
                (
                    "content-type".into(),
                    "text/html; charset=windows-1251".into(),
                ),
                ("content-encoding".into(), "gzip".into()),
                ("content-length".into(), "999".into()),
            ],
            body: body.to_vec(),
            fetched_at: "2026-11-29T10:29:14Z".parse().expect("time"),
        }
    }

    #[test]
    fn writes_records_that_read_back_with_their_digests() {
        let now = "2026-11-30T12:00:00Z".parse().expect("time");
        let mut w = Writer::new(Vec::new(), "a.warc", &[("description", "test".into())], now)
            .expect("warcinfo");
        // Bytes as received, not UTF-8.
        w.response(&page(b"<p>\xcf\xf3\xf2\xe8\xed</p>"))
            .expect("response");
        let out = w.finish().expect("finish");
        let records = read(&out).expect("read back");
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].header("WARC-Type"), Some("warcinfo"));
        let r = &records[1];
        assert_eq!(r.version, "WARC/1.1");
        assert_eq!(r.header("WARC-Type"), Some("response"));
        assert_eq!(r.header("WARC-Date"), Some("2026-11-29T10:29:14Z"));
        assert_eq!(
            r.header("WARC-Target-URI"),
            Some("https://news.example/world/story")
        );
        assert_eq!(r.payload(), Some(&b"<p>\xcf\xf3\xf2\xe8\xed</p>"[..]));
        let http = String::from_utf8_lossy(&r.block);
        assert!(http.starts_with("HTTP/1.1 200 OK\r\n"), "{http}");
        assert!(http.contains("X-Redline-Original-content-encoding: gzip\r\n"));
        // The length of the body as stored, not the one of the encoded transfer.
        assert!(http.contains("Content-Length: 12\r\n"), "{http}");
        assert!(!http.contains("999"));
        assert_eq!(
            r.header("WARC-Warcinfo-ID"),
            records[0].header("WARC-Record-ID")
        );
    }

    #[test]
    fn a_changed_byte_fails_the_digest() {
        let now = Utc::now();
        let mut w = Writer::new(Vec::new(), "a.warc", &[], now).expect("warcinfo");
        w.response(&page(b"<p>one</p>")).expect("response");
        let mut out = w.finish().expect("finish");
        let at = out.windows(3).rposition(|w| w == b"one").expect("body");
        out[at] = b'0';
        let e = read(&out).expect_err("tampered");
        assert!(e.to_string().contains("Digest"), "{e}");
    }

    #[test]
    fn record_ids_are_uuids() {
        let id = record_id(b"x");
        assert_eq!(id.len(), "<urn:uuid:>".len() + 36, "{id}");
        assert_eq!(&id[10 + 14..10 + 15], "5");
    }
}
