//! A real HTTP server on 127.0.0.1:0 for feeds and pages, whose answers a test can swap
//! while it runs, and which remembers every request it saw.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

/// One canned answer.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// How long the server takes to answer (a slow site, not a synchronisation).
    pub delay: std::time::Duration,
}

impl Canned {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Canned {
        Canned {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            delay: std::time::Duration::ZERO,
        }
    }

    pub fn html(body: impl Into<Vec<u8>>) -> Canned {
        Canned::ok("text/html; charset=utf-8", body)
    }

    pub fn status(status: u16) -> Canned {
        Canned {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: std::time::Duration::ZERO,
        }
    }

    pub fn slow(mut self, delay: std::time::Duration) -> Canned {
        self.delay = delay;
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Canned {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A request the server saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub headers: HeaderMap,
}

#[derive(Debug)]
struct Inner {
    routes: HashMap<String, Canned>,
    seen: Vec<Seen>,
    /// Bumped after every request, so tests can wait for one without sleeping.
    count: tokio::sync::watch::Sender<usize>,
    /// Paths whose answers wait while `open` is false.
    held: std::collections::HashSet<String>,
    open: tokio::sync::watch::Sender<bool>,
    /// Requests being answered now, and the most there ever were at once.
    in_flight: usize,
    max_in_flight: usize,
    /// Requests being answered now per path, and the most there ever were for one path.
    path_in_flight: HashMap<String, usize>,
    max_path_in_flight: usize,
    /// The path that had the most, when more than one.
    max_path: Option<String>,
}

/// The server; dropped with the test's runtime.
#[derive(Debug, Clone)]
pub struct HttpServer {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl HttpServer {
    pub async fn start() -> HttpServer {
        HttpServer::start_on("127.0.0.1").await
    }

    /// A server on `ip`, port 0 (an address the test gave the loopback interface, say).
    pub async fn start_on(ip: &str) -> HttpServer {
        let inner = Arc::new(Mutex::new(Inner {
            routes: HashMap::new(),
            seen: Vec::new(),
            count: tokio::sync::watch::channel(0).0,
            held: Default::default(),
            open: tokio::sync::watch::channel(true).0,
            in_flight: 0,
            max_in_flight: 0,
            path_in_flight: HashMap::new(),
            max_path_in_flight: 0,
            max_path: None,
        }));
        let app = Router::new().fallback(serve).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind((ip, 0))
            .await
            .unwrap_or_else(|e| panic!("bind {ip}:0: {e}"));
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        HttpServer { addr, inner }
    }

    /// The base URL, `http://127.0.0.1:PORT` (or the address it was started on).
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answers `path` (with its query, if any) with `canned` from now on.
    pub fn set(&self, path: &str, canned: Canned) {
        self.inner
            .lock()
            .expect("lock")
            .routes
            .insert(path.to_string(), canned);
    }

    /// From now on, requests for `path` get no answer until [`HttpServer::release`].
    pub fn hold(&self, path: &str) {
        let mut inner = self.inner.lock().expect("lock");
        inner.held.insert(path.to_string());
        inner.open.send_replace(false);
    }

    /// Answers every held request, and holds nothing any more.
    pub fn release(&self) {
        let mut inner = self.inner.lock().expect("lock");
        inner.held.clear();
        inner.open.send_replace(true);
    }

    /// Waits until `path` has been requested at least `n` times in all; panics after
    /// `limit` (a failure guard, not a synchronisation).
    pub async fn wait_for(&self, path: &str, n: usize, limit: std::time::Duration) {
        let mut rx = self.inner.lock().expect("lock").count.subscribe();
        let done = tokio::time::timeout(limit, async {
            loop {
                if self.seen(path).len() >= n {
                    return;
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        })
        .await;
        assert!(
            done.is_ok(),
            "{path} was not requested {n} times within {limit:?}"
        );
    }

    /// Waits until the server has seen `n` requests in all.
    pub async fn wait_total(&self, n: usize, limit: std::time::Duration) {
        let mut rx = self.inner.lock().expect("lock").count.subscribe();
        let done = tokio::time::timeout(limit, rx.wait_for(|&c| c >= n)).await;
        assert!(done.is_ok(), "fewer than {n} requests within {limit:?}");
    }

    /// The most requests the server was answering at one time.
    pub fn max_in_flight(&self) -> usize {
        self.inner.lock().expect("lock").max_in_flight
    }

    /// The most requests for one path the server was answering at one time: more than
    /// one means two clients fetched the same page at the same moment.
    pub fn max_in_flight_per_path(&self) -> (usize, Option<String>) {
        let inner = self.inner.lock().expect("lock");
        (inner.max_path_in_flight, inner.max_path.clone())
    }

    /// The requests for `path` being answered now (a held one counts until released).
    pub fn in_flight(&self, path: &str) -> usize {
        let inner = self.inner.lock().expect("lock");
        inner.path_in_flight.get(path).copied().unwrap_or(0)
    }

    /// How many requests the server has seen in all.
    pub fn total(&self) -> usize {
        self.inner.lock().expect("lock").seen.len()
    }

    /// The requests seen for `path`.
    pub fn seen(&self, path: &str) -> Vec<Seen> {
        self.inner
            .lock()
            .expect("lock")
            .seen
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }
}

/// A request being answered; dropped when the answer is done or the client went away
/// (the server drops the handler of a connection that closed), it counts itself out.
struct InFlight {
    inner: Arc<Mutex<Inner>>,
    path: String,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.in_flight -= 1;
        if let Some(n) = inner.path_in_flight.get_mut(&self.path) {
            *n -= 1;
        }
    }
}

async fn serve(State(inner): State<Arc<Mutex<Inner>>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let (gate, delay) = {
        let mut inner = inner.lock().expect("lock");
        inner.in_flight += 1;
        inner.max_in_flight = inner.max_in_flight.max(inner.in_flight);
        let here = {
            let n = inner.path_in_flight.entry(path.clone()).or_default();
            *n += 1;
            *n
        };
        if here > inner.max_path_in_flight {
            inner.max_path_in_flight = here;
            inner.max_path = (here > 1).then(|| path.clone());
        }
        (
            inner.held.contains(&path).then(|| inner.open.subscribe()),
            inner.routes.get(&path).map(|c| c.delay).unwrap_or_default(),
        )
    };
    let _counted = InFlight {
        inner: inner.clone(),
        path: path.clone(),
    };
    let response = answer(&inner, &path, &req);
    if let Some(mut open) = gate {
        let _ = open.wait_for(|o| *o).await;
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    response
}

fn answer(inner: &Mutex<Inner>, path: &str, req: &Request) -> Response {
    let path = path.to_string();
    let mut inner = inner.lock().expect("lock");
    inner.seen.push(Seen {
        path: path.clone(),
        headers: req.headers().clone(),
    });
    let n = inner.seen.len();
    inner.count.send_replace(n);
    let Some(c) = inner.routes.get(&path).cloned() else {
        return Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Body::from("not found"))
            .expect("response");
    };
    // Conditional GET: answer 304 when the client sends back our ETag.
    let etag = c
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("etag"))
        .map(|(_, v)| v.clone());
    if let (Some(etag), Some(sent)) = (&etag, req.headers().get("if-none-match"))
        && sent.to_str().ok() == Some(etag.as_str())
    {
        return Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .expect("response");
    }
    let mut b = Response::builder().status(c.status);
    for (k, v) in &c.headers {
        b = b.header(k, v);
    }
    b.body(Body::from(c.body)).expect("response")
}
