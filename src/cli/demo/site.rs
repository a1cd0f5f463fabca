//! The demo's news site: an in-process HTTP server on 127.0.0.1 that serves the seed
//! feed and the pages of its stories, so `redline demo` needs no network. The demo
//! swaps story 1's page as the story unfolds, and asks which pages were fetched.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tokio_util::sync::CancellationToken;

const FEED: &str = include_str!("../../../tests/fixtures/seed/feed.rss.xml");
/// Story 1 as first published.
pub const PAGE_V1: &str = include_str!("../../../tests/fixtures/seed/page-v1.html");
/// Story 1 with new page furniture (ticker, ads, counters, boxes) and the same text.
pub const PAGE_FURNITURE: &str =
    include_str!("../../../tests/fixtures/seed/page-v1-boilerplate.html");
/// Story 1 reworded.
pub const PAGE_V2: &str = include_str!("../../../tests/fixtures/seed/page-v2.html");

pub const FEED_PATH: &str = "/feeds/world.xml";
pub const STORY_PATH: &str = "/world-news/putin-russia-china-jointly-developing-high-tech-weapons";

/// The seed feed's other stories that match a topic, as simple article pages.
const OTHER_STORIES: [(&str, &str, &str); 2] = [
    (
        "/world-news/xi-putin-video-call",
        "Xi, Putin to hold video call next week, Kremlin says",
        "Chinese President Xi Jinping and Russian President Vladimir Putin will speak by video link next week, the Kremlin said on Thursday, adding that the two leaders would discuss bilateral relations and the situation in Europe.",
    ),
    (
        "/world-news/us-warns-sanctions",
        "US warns of sanctions over Ukraine build-up",
        "Washington said on Thursday it would respond to any NATO-related escalation on Ukraine's border with sanctions, as officials described the Russian troop build-up as the largest in years and urged Moscow to return to talks.",
    ),
];

/// What the site serves, and how often each path was asked for.
#[derive(Debug, Default)]
struct Pages {
    served: HashMap<String, (&'static str, String)>,
    hits: HashMap<String, usize>,
}

/// A running demo site.
#[derive(Debug)]
pub struct Site {
    pub addr: SocketAddr,
    pages: Arc<Mutex<Pages>>,
}

impl Site {
    /// Serves the seed feed (with its links pointing here) and story pages on
    /// `listener` until `shutdown`.
    pub fn start(
        listener: tokio::net::TcpListener,
        shutdown: CancellationToken,
    ) -> std::io::Result<Site> {
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        let mut pages = Pages::default();
        pages.served.insert(
            FEED_PATH.into(),
            (
                "application/rss+xml; charset=utf-8",
                FEED.replace("{base}", &base),
            ),
        );
        pages
            .served
            .insert(STORY_PATH.into(), (HTML, PAGE_V1.to_string()));
        for (path, headline, lead) in OTHER_STORIES {
            pages
                .served
                .insert(path.into(), (HTML, simple_page(headline, lead)));
        }
        let pages = Arc::new(Mutex::new(pages));
        let app = Router::new().fallback(serve).with_state(pages.clone());
        tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move { shutdown.cancelled().await })
                .await;
            if let Err(e) = served {
                tracing::error!("the demo's local web server stopped: {e}");
            }
        });
        Ok(Site { addr, pages })
    }

    /// `http://127.0.0.1:PORT`
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The seed feed as served.
    pub fn feed(&self) -> String {
        FEED.replace("{base}", &self.base())
    }

    /// From now on story 1 is this page.
    pub fn set_story(&self, html: &str) {
        let mut pages = self.pages.lock().unwrap_or_else(PoisonError::into_inner);
        pages
            .served
            .insert(STORY_PATH.into(), (HTML, html.to_string()));
    }

    /// How many times `path` was asked for.
    pub fn hits(&self, path: &str) -> usize {
        let pages = self.pages.lock().unwrap_or_else(PoisonError::into_inner);
        pages.hits.get(path).copied().unwrap_or(0)
    }
}

const HTML: &str = "text/html; charset=utf-8";

async fn serve(State(pages): State<Arc<Mutex<Pages>>>, uri: Uri) -> Response {
    let mut pages = pages.lock().unwrap_or_else(PoisonError::into_inner);
    *pages.hits.entry(uri.path().to_string()).or_default() += 1;
    match pages.served.get(uri.path()) {
        Some((content_type, body)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, *content_type)],
            body.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// A plain article page: navigation, headline, two paragraphs, footer.
fn simple_page(headline: &str, lead: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{headline} | World News</title></head>\
         <body><nav><a href=\"/\">Home</a> <a href=\"/world-news\">World</a></nav><main><article>\
         <h1>{headline}</h1>\n<p>{lead}</p>\n<p>More details are expected later on Thursday, officials said.</p>\n\
         </article></main><footer><p>&copy; World News Network</p></footer></body></html>"
    )
}
