//! A webhook receiver on 127.0.0.1:0: it keeps every request (method, path, headers,
//! body), answers each from a script of replies (then 200), and can hold its answers
//! back, so a test can kill the sender while a delivery is in flight.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::response::Response;

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn body(mut self, body: &str) -> Reply {
        self.body = body.into();
        self
    }
}

/// A request the receiver got, and the status it answered.
#[derive(Debug, Clone)]
pub struct Got {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub status: u16,
}

impl Got {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }

    pub fn accepted(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

#[derive(Debug)]
struct Inner {
    script: VecDeque<Reply>,
    got: Vec<Got>,
    count: tokio::sync::watch::Sender<usize>,
    open: tokio::sync::watch::Sender<bool>,
}

/// The receiver; it stops with the test's runtime.
#[derive(Debug, Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let inner = Arc::new(Mutex::new(Inner {
            script: VecDeque::new(),
            got: Vec::new(),
            count: tokio::sync::watch::channel(0).0,
            open: tokio::sync::watch::channel(true).0,
        }));
        let app = Router::new().fallback(receive).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        Receiver { addr, inner }
    }

    /// The URL of `path` on this receiver.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Answers the next requests with these replies, in order (then 200 again).
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.inner.lock().expect("lock").script.extend(replies);
    }

    /// From now on, answers wait until [`Receiver::release`].
    pub fn hold(&self) {
        self.inner.lock().expect("lock").open.send_replace(false);
    }

    pub fn release(&self) {
        self.inner.lock().expect("lock").open.send_replace(true);
    }

    /// Every request so far.
    pub fn got(&self) -> Vec<Got> {
        self.inner.lock().expect("lock").got.clone()
    }

    /// The requests for `path`.
    pub fn got_at(&self, path: &str) -> Vec<Got> {
        self.got().into_iter().filter(|g| g.path == path).collect()
    }

    /// Waits until `n` requests have arrived; panics after `limit` (a failure guard,
    /// not a synchronisation).
    pub async fn wait_for(&self, n: usize, limit: Duration) {
        let mut rx = self.inner.lock().expect("lock").count.subscribe();
        let done = tokio::time::timeout(limit, rx.wait_for(|&c| c >= n)).await;
        assert!(
            done.is_ok(),
            "fewer than {n} webhook requests within {limit:?}: {:?}",
            self.got()
        );
    }

    /// Waits until `n` requests have been answered with a 2xx.
    pub async fn wait_accepted(&self, n: usize, limit: Duration) {
        let mut rx = self.inner.lock().expect("lock").count.subscribe();
        let me = self.clone();
        let done = tokio::time::timeout(limit, async move {
            loop {
                if me.got().iter().filter(|g| g.accepted()).count() >= n {
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
            "fewer than {n} accepted webhook requests within {limit:?}: {:?}",
            self.got()
        );
    }
}

async fn receive(State(inner): State<Arc<Mutex<Inner>>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 16 << 20)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let (reply, mut open) = {
        let mut inner = inner.lock().expect("lock");
        let reply = inner.script.pop_front().unwrap_or(Reply::status(200));
        inner.got.push(Got {
            method: parts.method.to_string(),
            path: parts.uri.path().to_string(),
            headers: parts.headers.clone(),
            body,
            status: reply.status,
        });
        let n = inner.got.len();
        inner.count.send_replace(n);
        (reply, inner.open.subscribe())
    };
    let _ = open.wait_for(|o| *o).await;
    let mut b = Response::builder().status(reply.status);
    for (k, v) in &reply.headers {
        b = b.header(k, v);
    }
    b.body(Body::from(reply.body)).expect("response")
}
