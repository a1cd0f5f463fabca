//! The synthetic newsroom `benches/scale.rs` runs redline against: RSS feeds and small
//! article pages in four languages, served on several loopback hosts with `ETag` and
//! `Last-Modified` and 304 answers, and a log of when each page was asked for and how
//! late that was against the due time the store had set for it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, Ordering};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Now, in milliseconds since the epoch (the daemon's clock is the same wall clock).
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// One page request the server answered, with how late it came (ms).
#[derive(Debug, Clone, Copy)]
pub struct Request {
    pub at: i64,
    pub late: i64,
    /// The first request for the page (its baseline), due when its feed first listed it.
    pub first: bool,
}

/// The newsroom's state, shared by the server, the bench's clock and its store reader.
#[derive(Debug)]
pub struct Newsroom {
    pub feeds: usize,
    pub items: usize,
    pub bases: Vec<String>,
    /// Until this is set the feeds are empty: the newsroom has published nothing yet.
    pub published: AtomicBool,
    /// Per feed: when it was first served with its items (ms), 0 before.
    pub listed_at: Vec<AtomicI64>,
    /// Per article: how often it has been edited.
    pub generation: Vec<AtomicU32>,
    /// Per article: the last request (ms), 0 before the first.
    pub last_request: Vec<AtomicI64>,
    /// Per article: its `next_check_at` as last read from the store (ms), 0 unknown.
    pub due: Vec<AtomicI64>,
    pub log: Mutex<Vec<Request>>,
    /// Requests whose due time the store reader had not seen yet (not in the log).
    pub unmeasured: AtomicU64,
    pub feed_200: AtomicU64,
    pub feed_304: AtomicU64,
    pub page_200: AtomicU64,
    pub page_304: AtomicU64,
}

const LANGS: [(&str, &str); 4] = [
    (
        "en",
        "the minister said on Tuesday that talks with officials would continue after a long night of negotiations in the capital while critics warned that the budget plan left hospitals schools and rail lines without the money they were promised last spring",
    ),
    (
        "fr",
        "le ministre a déclaré mardi que les discussions avec les responsables se poursuivraient après une longue nuit de négociations dans la capitale tandis que les critiques ont averti que le budget laissait les hôpitaux les écoles et les chemins de fer sans argent",
    ),
    (
        "de",
        "der Minister sagte am Dienstag dass die Gespräche mit den Beamten nach einer langen Nacht der Verhandlungen in der Hauptstadt weitergehen würden während Kritiker warnten dass der Haushalt Krankenhäuser Schulen und Bahnstrecken ohne das versprochene Geld lasse",
    ),
    (
        "es",
        "el ministro dijo el martes que las conversaciones con los funcionarios continuarían tras una larga noche de negociaciones en la capital mientras los críticos advirtieron que el presupuesto dejaba a los hospitales escuelas y ferrocarriles sin el dinero prometido",
    ),
];

/// A small deterministic generator, so that each article's text is its own.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

impl Newsroom {
    pub fn new(feeds: usize, items: usize, bases: Vec<String>) -> Newsroom {
        let n = feeds * items;
        let atomics = |k: usize| (0..k).map(|_| AtomicI64::new(0)).collect::<Vec<_>>();
        Newsroom {
            feeds,
            items,
            bases,
            published: AtomicBool::new(false),
            listed_at: atomics(feeds),
            generation: (0..n).map(|_| AtomicU32::new(0)).collect(),
            last_request: atomics(n),
            due: atomics(n),
            log: Mutex::new(Vec::new()),
            unmeasured: AtomicU64::new(0),
            feed_200: AtomicU64::new(0),
            feed_304: AtomicU64::new(0),
            page_200: AtomicU64::new(0),
            page_304: AtomicU64::new(0),
        }
    }

    pub fn articles(&self) -> usize {
        self.feeds * self.items
    }

    /// Article `j`'s address: on host `j % hosts`.
    pub fn link(&self, j: usize) -> String {
        format!("{}/a/{j}", self.bases[j % self.bases.len()])
    }

    pub fn feed_url(&self, f: usize) -> String {
        format!("{}/feed/{f}.xml", self.bases[f % self.bases.len()])
    }

    fn feed(&self, f: usize, published: bool) -> String {
        let items: String = if published {
            (f * self.items..(f + 1) * self.items)
                .map(|j| {
                    format!(
                        "<item><title>Newsroom story {j}</title><link>{link}</link><guid>{link}</guid><description>Newsroom story number {j}.</description><pubDate>Mon, 30 Nov 2026 08:00:00 GMT</pubDate></item>",
                        link = self.link(j)
                    )
                })
                .collect()
        } else {
            String::new()
        };
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Desk {f}</title><link>{}/</link><description>newsroom</description>{items}</channel></rss>",
            self.bases[f % self.bases.len()]
        )
    }

    /// Article `j` as it reads after `generation` edits: a headline and five paragraphs
    /// of its language's words in an order of its own, between the site's furniture; an
    /// edit replaces one word of the second paragraph.
    pub fn page(&self, j: usize, generation: u32) -> String {
        let (lang, words) = LANGS[j % LANGS.len()];
        let words: Vec<&str> = words.split(' ').collect();
        let mut rng = Lcg(j as u64 + 1);
        let mut paragraphs = String::new();
        for p in 0..5 {
            let mut text: Vec<&str> = (0..45).map(|_| words[rng.next(words.len())]).collect();
            let edit;
            if p == 1 && generation > 0 {
                edit = format!("revised{generation}");
                text[7] = &edit;
            }
            let mut sentence = text.join(" ");
            sentence.push('.');
            let mut chars = sentence.chars();
            let para = match chars.next() {
                Some(c) => c.to_uppercase().chain(chars).collect::<String>(),
                None => sentence,
            };
            paragraphs.push_str(&format!("<p>{para}</p>\n"));
        }
        format!(
            "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>Newsroom story {j}</title></head><body>\n<header><nav><a href=\"/\">Home</a> <a href=\"/world\">World</a> <a href=\"/business\">Business</a></nav></header>\n<main><article><h1>Newsroom story {j}</h1>\n<p class=\"byline\">By the desk</p>\n{paragraphs}</article></main>\n<footer><p>© Newsroom. All rights reserved. Subscribe to our newsletter.</p></footer>\n</body></html>\n"
        )
    }

    /// Records a page request: how late it came against the due time the store had set
    /// after the previous check (or, for the first, since its feed first listed it).
    fn observe(&self, j: usize) {
        let at = now_ms();
        let previous = self.last_request[j].swap(at, Ordering::Relaxed);
        let (due, first) = if previous == 0 {
            (self.listed_at[j / self.items].load(Ordering::Relaxed), true)
        } else {
            // A due time read before the previous check is stale: the previous check's
            // own due time, not the one it set.
            let due = self.due[j].load(Ordering::Relaxed);
            if due <= previous {
                self.unmeasured.fetch_add(1, Ordering::Relaxed);
                return;
            }
            (due, false)
        };
        let late = (at - due).max(0);
        if let Ok(mut log) = self.log.lock() {
            log.push(Request { at, late, first });
        }
    }
}

/// Answers 304 when the request's `If-None-Match` is the current tag.
fn conditional(headers: &HeaderMap, etag: &str, body: String, ctype: &str) -> (bool, Response) {
    let modified = "Mon, 30 Nov 2026 08:00:00 GMT";
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    if matches {
        let r = (
            StatusCode::NOT_MODIFIED,
            [
                (header::ETAG, etag.to_string()),
                (header::LAST_MODIFIED, modified.to_string()),
            ],
        );
        return (true, r.into_response());
    }
    let r = (
        StatusCode::OK,
        [
            (header::ETAG, etag.to_string()),
            (header::LAST_MODIFIED, modified.to_string()),
            (header::CONTENT_TYPE, ctype.to_string()),
        ],
        body,
    );
    (false, r.into_response())
}

pub async fn serve_page(
    State(room): State<std::sync::Arc<Newsroom>>,
    UrlPath(j): UrlPath<usize>,
    headers: HeaderMap,
) -> Response {
    if j >= room.articles() {
        return StatusCode::NOT_FOUND.into_response();
    }
    room.observe(j);
    let generation = room.generation[j].load(Ordering::Relaxed);
    let etag = format!("\"{j}-{generation}\"");
    let (not_modified, response) = conditional(
        &headers,
        &etag,
        room.page(j, generation),
        "text/html; charset=utf-8",
    );
    let counter = if not_modified {
        &room.page_304
    } else {
        &room.page_200
    };
    counter.fetch_add(1, Ordering::Relaxed);
    response
}

pub async fn serve_feed(
    State(room): State<std::sync::Arc<Newsroom>>,
    UrlPath(name): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let Some(f) = name
        .strip_suffix(".xml")
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|f| *f < room.feeds)
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let published = room.published.load(Ordering::Relaxed);
    let (not_modified, response) = conditional(
        &headers,
        &format!("\"feed-{f}-{published}\""),
        room.feed(f, published),
        "application/rss+xml",
    );
    if not_modified {
        room.feed_304.fetch_add(1, Ordering::Relaxed);
    } else {
        room.feed_200.fetch_add(1, Ordering::Relaxed);
        if published {
            let _ = room.listed_at[f].compare_exchange(
                0,
                now_ms(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
    }
    response
}
