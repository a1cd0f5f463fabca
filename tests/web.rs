//! The web view and the Atom feed on the seed story: the real endpoint (as `redline run`
//! serves it) over the database `redline poll` filled from a local news site, with a
//! rewording of story 1, a hostile headline and paragraph in another story, and an
//! archive snapshot of story 1's second version.

mod support;

use std::sync::Arc;

use redline::daemon::endpoint;
use redline::metrics::Metrics;
use redline::store::{Db, Store};
use support::*;
use tokio_util::sync::CancellationToken;

/// The archive stand-in's path prefix.
const SAVE: &str = "/save/";
const XI_PATH: &str = "/world-news/xi-putin-video-call";
const V2_HEADLINE: &str = "Putin says Russia and China are 'jointly developing advanced weapons'; calls NATO expansion unacceptable";
/// A headline and a paragraph that would run script if they reached a page unescaped.
const HOSTILE_HEADLINE: &str = "Xi <script>document.title='PWNED'</script> \"><img src=x onerror=\"document.title='PWNED'\"> call";
const HOSTILE_PARAGRAPH: &str =
    "Second paragraph \"><img src=x onerror=alert(1)> <b>of</b> the call story.";

/// Text as it must appear in the page source for the extractor to read it back literally.
fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A state with two alerts: story 1 reworded (version 2, archived) and the Xi story's
/// hostile rewrite. Filled by the real binary, as a user's `redline poll` would.
async fn seeded() -> (HttpServer, Env) {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let story = format!("{}{STORY1_PATH}", server.base());
    let snap = format!("/web/20261130000000/{story}");
    server.set(
        &format!("{SAVE}{story}"),
        Canned::html("saved").header("content-location", &snap),
    );
    for path in [XI_PATH, "/world-news/us-warns-sanctions"] {
        let target = format!("{}{path}", server.base());
        server.set(
            &format!("{SAVE}{target}"),
            Canned::status(500).header("x-why", "no snapshot for this one"),
        );
    }
    let env = Env::new(&format!(
        "{}\n[archive]\nsubmit = \"{}{SAVE}\"\nsubmit_interval = \"0s\"\n",
        feed_toml("World News", &format!("{}/feeds/world.xml", server.base())),
        server.base()
    ));
    env.run(&["poll"]).await.expect_code(0);
    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    let long = "The Kremlin said the two leaders would discuss bilateral relations and the situation in Europe, \
                according to a statement published on Thursday evening by the presidential press service.";
    server.set(
        XI_PATH,
        Canned::html(simple_page(
            &html_escape(HOSTILE_HEADLINE),
            &[long, &html_escape(HOSTILE_PARAGRAPH)],
        )),
    );
    let out = env.run(&["poll", "--all", "--json"]).await.expect_code(0);
    assert_eq!(out.json()["cycle"]["alerts"], 2, "{}", out.stdout);
    (server, env)
}

/// The endpoint `redline run` serves, on 127.0.0.1:0, over the state of `env`.
struct Served {
    base: String,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Served {
    async fn start(env: &Env, token: Option<&str>) -> Served {
        let db = Db::new(Store::open(&env.state().join("redline.db")).expect("db"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let stop = CancellationToken::new();
        let task = tokio::spawn(endpoint::serve(
            listener,
            Arc::new(Metrics::default()),
            db,
            token.map(str::to_string),
            stop.clone(),
        ));
        Served { base, stop, task }
    }

    async fn get(&self, path: &str) -> (u16, reqwest::header::HeaderMap, String) {
        let r = reqwest::get(format!("{}{path}", self.base))
            .await
            .expect("request");
        let (status, headers) = (r.status().as_u16(), r.headers().clone());
        (status, headers, r.text().await.expect("body"))
    }

    async fn page(&self, path: &str) -> String {
        let (status, headers, body) = self.get(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_csp(&headers, path);
        assert!(
            headers["content-type"]
                .to_str()
                .expect("ascii")
                .starts_with("text/html"),
            "{path}"
        );
        body
    }

    async fn stop(self) {
        self.stop.cancel();
        self.task.await.expect("join").expect("served");
    }
}

fn assert_csp(headers: &reqwest::header::HeaderMap, path: &str) {
    let csp = headers
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{path}: no Content-Security-Policy"))
        .to_str()
        .expect("ascii");
    assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
    assert!(!csp.contains("script-src"), "{path}: {csp}");
}

/// The hostile text appears only escaped.
fn assert_escaped(body: &str, what: &str) {
    for raw in ["<script", "<img", "onerror=\"", "<b>of"] {
        assert!(!body.contains(raw), "{what}: {raw} unescaped:\n{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_show_the_change_escaped_with_a_csp() {
    let (_server, env) = seeded().await;
    let web = Served::start(&env, None).await;

    // `/`: newest first, each change with its outlet, labels, counts and diff link.
    let home = web.page("/").await;
    assert!(home.contains("name=\"viewport\""), "{home}");
    assert!(home.len() < 16 * 1024, "a small page: {} bytes", home.len());
    assert!(home.contains(V2_HEADLINE), "{home}");
    assert!(home.contains("World News"));
    assert!(home.contains("headline</span>") && home.contains("figures</span>"));
    assert!(
        home.contains("href=\"/articles/1/diff?from=1&amp;to=2\""),
        "{home}"
    );
    assert!(home.contains("+16") && home.contains("−6"), "{home}");
    assert!(home.contains(
        "Xi &lt;script&gt;document.title='PWNED'&lt;/script&gt; &quot;&gt;&lt;img src=x"
    ));
    assert_escaped(&home, "/");

    // `/articles/1`: the versions, their diff links, and the snapshot of version 2.
    let article = web.page("/articles/1").await;
    assert!(article.contains(V2_HEADLINE));
    assert!(article.contains("baseline"));
    assert!(article.contains("href=\"/articles/1/diff?from=1&amp;to=2&amp;view=side\""));
    assert!(
        article.contains("/web/20261130000000/http://127.0.0.1:"),
        "the archive snapshot link: {article}"
    );
    // The Xi story's archive endpoint answers 500: retried, so pending for now.
    let xi = web.page("/articles/2").await;
    assert!(xi.contains(">pending</span>"), "{xi}");

    // The diff, by default the last two versions: removed words struck, added underlined.
    for path in ["/articles/1/diff", "/articles/1/diff?from=1&to=2"] {
        let diff = web.page(path).await;
        assert!(diff.contains(V2_HEADLINE));
        assert!(diff.contains(">high-tech</del>"), "{diff}");
        assert!(diff.contains(">advanced</ins>"));
        assert!(diff.contains(">one hundred</del>") && diff.contains(">140</ins>"));
        assert!(diff.contains("The Kremlin later said"));
        assert!(!diff.contains("<table"), "inline view");
    }
    let side = web.page("/articles/1/diff?view=side").await;
    assert!(
        side.contains("<table") && side.contains("version 1 (") && side.contains("version 2 (")
    );
    assert!(side.contains(">high-tech</del>") && side.contains(">advanced</ins>"));

    // The hostile story, in both views: its text shown, escaped.
    assert_escaped(&xi, "/articles/2");
    for view in ["", "&view=side"] {
        let path = format!("/articles/2/diff?from=1&to=2{view}");
        let diff = web.page(&path).await;
        assert_escaped(&diff, &path);
        assert!(
            diff.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
            "{diff}"
        );
        assert!(diff.contains("&lt;b&gt;of&lt;/b&gt;"), "{diff}");
    }

    // Errors: 404 for what is not there, 400 for what cannot be, each with the CSP.
    for (path, status) in [
        ("/articles/99", 404),
        ("/articles/99/diff", 404),
        ("/articles/1/diff?from=1&to=7", 404),
        ("/nowhere", 404),
        ("/articles/x", 400),
        ("/articles/0", 400),
        ("/articles/1/diff?from=abc", 400),
        ("/articles/1/diff?to=-2", 400),
        ("/articles/1/diff?view=sideways", 400),
        ("/changes.atom?topic=", 400),
    ] {
        let (got, headers, body) = web.get(path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert_csp(&headers, path);
    }
    web.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_guards_everything_but_healthz() {
    let (_server, env) = seeded().await;
    let web = Served::start(&env, Some("s3cret-token")).await;
    let client = reqwest::Client::new();
    for path in [
        "/",
        "/articles/1",
        "/articles/1/diff",
        "/changes.atom",
        "/metrics",
    ] {
        let (status, headers, _) = web.get(path).await;
        assert_eq!(status, 401, "{path} without a token");
        assert_csp(&headers, path);
        let wrong = client
            .get(format!("{}{path}", web.base))
            .bearer_auth("s3cret-tokeN")
            .send()
            .await
            .expect("request");
        assert_eq!(wrong.status(), 401, "{path} with a wrong token");
        let right = client
            .get(format!("{}{path}", web.base))
            .bearer_auth("s3cret-token")
            .send()
            .await
            .expect("request");
        assert_eq!(right.status(), 200, "{path} with the header");
        let sep = if path.contains('?') { '&' } else { '?' };
        let (status, _, _) = web.get(&format!("{path}{sep}token=s3cret-token")).await;
        assert_eq!(status, 200, "{path} with ?token=");
    }
    let (status, _, body) = web.get("/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    // A page opened with ?token= links on with it.
    let home = web.page("/?token=s3cret-token").await;
    assert!(
        home.contains("href=\"/articles/1/diff?from=1&amp;to=2&amp;token=s3cret-token\""),
        "{home}"
    );
    web.stop().await;
}

async fn atom(web: &Served, query: &str) -> feed_rs::model::Feed {
    let (status, headers, body) = web.get(&format!("/changes.atom{query}")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        headers["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    assert_csp(&headers, "/changes.atom");
    assert_escaped(&body, "the raw feed");
    feed_rs::parser::parse(body.as_bytes()).unwrap_or_else(|e| panic!("not Atom ({e}):\n{body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn atom_has_one_stable_entry_per_alert() {
    let (server, env) = seeded().await;
    let web = Served::start(&env, None).await;
    let feed = atom(&web, "").await;
    let alerts = env.run(&["replay", "--json"]).await.expect_code(0).json();
    let alerts = alerts
        .as_array()
        .or_else(|| alerts["alerts"].as_array())
        .expect("alerts");
    assert_eq!(feed.entries.len(), alerts.len());
    assert_eq!(feed.entries.len(), 2);
    // Newest first, `updated` = when the change was detected.
    let updated: Vec<_> = feed
        .entries
        .iter()
        .map(|e| e.updated.expect("updated"))
        .collect();
    assert!(updated[0] >= updated[1], "{updated:?}");

    let story = feed
        .entries
        .iter()
        .find(|e| {
            e.title
                .as_ref()
                .is_some_and(|t| t.content.contains("advanced weapons"))
        })
        .expect("story 1's entry");
    assert_eq!(
        story.links[0].href,
        format!("{}{STORY1_PATH}", server.base())
    );
    let title = &story.title.as_ref().expect("title").content;
    assert!(title.contains("headline, figures"), "{title}");
    let content = story
        .content
        .as_ref()
        .and_then(|c| c.body.clone())
        .expect("content");
    assert!(
        content.contains(">high-tech</del>") && content.contains(">advanced</ins>"),
        "{content}"
    );
    assert!(story.categories.iter().any(|c| c.term == "figures"));

    // The hostile entry: its title is the text, and its HTML content escapes it.
    let xi = feed
        .entries
        .iter()
        .find(|e| !std::ptr::eq(*e, story))
        .expect("the Xi entry");
    assert!(
        xi.title
            .as_ref()
            .expect("title")
            .content
            .contains("<script>document.title")
    );
    let content = xi
        .content
        .as_ref()
        .and_then(|c| c.body.clone())
        .expect("content");
    assert_escaped(&content, "the Xi entry's content");
    assert!(
        content.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
        "{content}"
    );

    // `?topic=`: story 1 and the Xi story are russia-china; nothing is nato-ukraine.
    assert_eq!(atom(&web, "?topic=russia-china").await.entries.len(), 2);
    assert_eq!(atom(&web, "?topic=nato-ukraine").await.entries.len(), 0);

    // A restart (a new process opening the same database) and a second render give the
    // same ids.
    let ids: Vec<String> = feed.entries.iter().map(|e| e.id.clone()).collect();
    assert!(
        ids.iter().all(|id| id.starts_with("tag:redline,")),
        "{ids:?}"
    );
    for a in alerts {
        let want = format!("alert/{}", a["alert"]["id"]);
        assert!(
            ids.iter().any(|id| id.ends_with(&want)),
            "{want} in {ids:?}"
        );
    }
    assert_ne!(ids[0], ids[1]);
    let again: Vec<String> = atom(&web, "")
        .await
        .entries
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(again, ids);
    web.stop().await;
    let web = Served::start(&env, None).await;
    let after: Vec<String> = atom(&web, "")
        .await
        .entries
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(after, ids, "ids across a restart");
    web.stop().await;
}

#[test]
fn example_config_with_the_web_view_commented_in_parses() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/redline.toml");
    let text = std::fs::read_to_string(&path).expect("example config");
    let mut enabled = 0;
    let text: String = text
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(key) if key.starts_with("listen = ") || key.starts_with("token_env = ") => {
                enabled += 1;
                format!("{key}\n")
            }
            _ => format!("{l}\n"),
        })
        .collect();
    assert_eq!(
        enabled, 2,
        "the example config documents listen and token_env"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("redline.toml");
    std::fs::write(&copy, text).expect("write");
    let config = redline::config::Config::load(&copy).expect("valid with the web view on");
    assert_eq!(
        config.http.listen.as_ref().map(|l| l.get_ref().as_str()),
        Some("127.0.0.1:9187")
    );
    assert_eq!(
        config.http.token_env.as_ref().map(|t| t.get_ref().as_str()),
        Some("REDLINE_HTTP_TOKEN")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_variable_that_is_not_set_stops_the_start() {
    let env = Env::with_config(
        "[http]\nlisten = \"127.0.0.1:0\"\ntoken_env = \"REDLINE_TEST_TOKEN_SURELY_UNSET_4e1a\"\n\n\
         [[feed]]\nname = \"F\"\nurl = \"http://127.0.0.1:9/feed.xml\"\n\n\
         [[topic]]\nname = \"t\"\nquery = 'x'\n",
    );
    let run = env.run(&["run"]).await.expect_code(1);
    assert!(
        run.stderr.contains("REDLINE_TEST_TOKEN_SURELY_UNSET_4e1a")
            && run.stderr.contains("http.token_env"),
        "{}",
        run.stderr
    );
}
