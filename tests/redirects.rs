//! Links found in feeds cannot reach private networks through redirects.
//!
//! A public-looking first hop must be able to redirect, and redline must refuse the hop
//! that leads to a non-global address. The first hop needs a global address, so each
//! test runs again inside a network namespace it creates (`unshare -n -m`, as root):
//! there 11.0.0.1 sits on the loopback interface, and a private `/etc/hosts` gives
//! `news.test` that address and `intranet.test` 127.0.0.1. The outer run only starts
//! the inner one and reports its outcome.

mod support;

use std::process::Command;
use std::sync::Arc;

use redline::clock::Clock;
use redline::config::HttpConfig;
use redline::fetch::{FetchError, Fetched, Fetcher};
use support::*;
use url::Url;

/// Set in the environment of the run inside the namespace.
const INNER: &str = "REDLINE_NETNS_INNER";
const HOSTS: &str = "127.0.0.1 localhost intranet.test\n11.0.0.1 news.test\n";

/// Runs the test `name` of this binary again inside a fresh network and mount
/// namespace; returns false when this already is that run.
fn rerun_in_namespace(name: &str) -> bool {
    if std::env::var_os(INNER).is_some() {
        return false;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let hosts = dir.path().join("hosts");
    std::fs::write(&hosts, HOSTS).expect("hosts");
    let exe = std::env::current_exe().expect("test binary");
    let setup = "ip link set lo up && ip addr add 11.0.0.1/8 dev lo \
                 && mount --bind \"$0\" /etc/hosts && exec \"$@\"";
    let out = Command::new("unshare")
        .args(["--net", "--mount", "--", "sh", "-c", setup])
        .arg(&hosts)
        .arg(&exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(INNER, "1")
        .output();
    let out = match out {
        Ok(o) => o,
        Err(e) => {
            unavailable(&format!("cannot run unshare: {e}"));
            return true;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The harness prints "1 passed" only when the test ran and passed.
    if out.status.success() && stdout.contains("1 passed") {
        return true;
    }
    let setup_failed = !stdout.contains("running 1 test");
    if setup_failed {
        unavailable(&format!(
            "could not set up the network namespace (needs root, unshare, ip and mount):\n{stderr}"
        ));
        return true;
    }
    panic!("the test failed inside the namespace:\n{stdout}\n{stderr}");
}

/// Without namespaces these tests cannot run: that fails under CI, and is said loudly
/// elsewhere.
fn unavailable(why: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true: the redirect tests must run, but {why}");
    }
    eprintln!("WARNING: redirect tests NOT RUN (they run as root in CI): {why}");
}

fn fetcher(allow_private: bool) -> Fetcher {
    let cfg = HttpConfig {
        allow_private,
        ..Default::default()
    };
    Fetcher::new(&cfg, Clock::new(), Arc::default()).expect("client")
}

async fn get(f: &Fetcher, url: &str) -> Result<Fetched, FetchError> {
    f.get_public(&Url::parse(url).expect("url"), &Default::default())
        .await
}

fn redirect(code: u16, to: &str) -> Canned {
    Canned::status(code).header("location", to)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_hop_may_not_redirect_to_a_non_global_address() {
    if rerun_in_namespace("a_public_hop_may_not_redirect_to_a_non_global_address") {
        return;
    }
    let private = HttpServer::start().await;
    private.set("/secret", Canned::html("<p>SECRET</p>"));
    let p = private.addr.port();
    let public = HttpServer::start_on("11.0.0.1").await;
    let base = public.base();
    public.set(
        "/page",
        Canned::html(simple_page("Public", &["A public page."])),
    );
    public.set("/moved", redirect(301, "/page"));
    public.set("/found", redirect(302, &format!("{base}/moved")));

    // The control: a global first hop that redirects to a global page is followed, and
    // the redirects on the way are reported.
    let f = fetcher(false);
    match get(&f, &format!("{base}/found"))
        .await
        .expect("public page")
    {
        Fetched::Page(page) => {
            assert_eq!(page.final_url.as_str(), format!("{base}/page"));
            assert_eq!(page.redirects, vec![302, 301]);
            assert!(!page.moved_permanently(), "a 302 on the way");
            assert!(String::from_utf8_lossy(&page.bytes).contains("A public page."));
        }
        Fetched::NotModified => panic!("not a conditional GET"),
    }
    match get(&f, &format!("{base}/moved")).await.expect("moved page") {
        Fetched::Page(page) => assert!(page.moved_permanently()),
        Fetched::NotModified => panic!("not a conditional GET"),
    }
    // By name too: news.test resolves to 11.0.0.1.
    let named = format!("http://news.test:{}/found", public.addr.port());
    assert!(get(&f, &named).await.is_ok(), "news.test is global");

    // Each kind of non-global target, as the second hop (or the third, after a public
    // redirect), answered with every redirect status.
    let targets = [
        (format!("http://127.0.0.1:{p}/secret"), "loopback"),
        (format!("http://127.9.9.9:{p}/secret"), "loopback"),
        (format!("http://2130706433:{p}/secret"), "loopback"),
        (format!("http://0x7f.0.0.1:{p}/secret"), "loopback"),
        (format!("http://localhost:{p}/secret"), "loopback"),
        (format!("http://[::1]:{p}/secret"), "loopback"),
        (
            format!("http://[::ffff:127.0.0.1]:{p}/secret"),
            "IPv4-mapped",
        ),
        (
            format!("http://[::127.0.0.1]:{p}/secret"),
            "IPv4-compatible",
        ),
        (format!("http://[64:ff9b::7f00:1]:{p}/secret"), "NAT64"),
        (format!("http://[2002:7f00:1::1]:{p}/secret"), "6to4"),
        (
            "http://169.254.169.254/latest/meta-data/".into(),
            "link-local",
        ),
        ("http://10.0.0.1/".into(), "private"),
        ("http://172.16.0.1/".into(), "private"),
        ("http://192.168.1.1/".into(), "private"),
        ("http://100.64.0.1/".into(), "carrier-grade NAT"),
        ("http://0.0.0.0/".into(), "this network"),
        ("http://192.0.0.1/".into(), "IETF"),
        ("http://198.18.0.1/".into(), "benchmarking"),
        ("http://192.0.2.1/".into(), "documentation"),
        ("http://224.0.0.1/".into(), "multicast"),
        ("http://240.0.0.1/".into(), "reserved"),
        ("http://255.255.255.255/".into(), "broadcast"),
        ("http://[fd00::1]/".into(), "unique-local"),
        ("http://[fe80::1]/".into(), "link-local"),
        ("http://[fec0::1]/".into(), "site-local"),
        ("http://[ff02::1]/".into(), "multicast"),
        ("http://[2001:db8::1]/".into(), "documentation"),
        ("file:///etc/passwd".into(), "only http and https"),
        ("gopher://11.0.0.1/".into(), "only http and https"),
        // A name that resolves to loopback is refused by the resolver.
        (format!("http://intranet.test:{p}/secret"), "non-global"),
    ];
    for (i, (target, why)) in targets.iter().enumerate() {
        for code in [301, 302, 303, 307, 308] {
            let path = format!("/r{i}-{code}");
            public.set(&path, redirect(code, target));
            public.set(
                &format!("{path}-via"),
                redirect(302, &format!("{base}{path}")),
            );
            for first in [format!("{base}{path}"), format!("{base}{path}-via")] {
                let e = get(&f, &first)
                    .await
                    .expect_err(&format!("{first} → {target} must be refused"));
                assert!(
                    e.to_string().contains(why),
                    "{first} → {target}: {e} should say {why:?}"
                );
            }
        }
    }
    assert_eq!(private.total(), 0, "nothing may reach the private server");

    // With http.allow_private the same redirect is followed: the refusals above are
    // the guard's doing, not a network that cannot reach 127.0.0.1.
    let open = fetcher(true);
    match get(&open, &format!("{base}/r0-302"))
        .await
        .expect("allowed")
    {
        Fetched::Page(page) => assert!(String::from_utf8_lossy(&page.bytes).contains("SECRET")),
        Fetched::NotModified => panic!("not a conditional GET"),
    }
    assert_eq!(private.total(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_article_that_redirects_to_loopback_is_never_stored() {
    if rerun_in_namespace("an_article_that_redirects_to_loopback_is_never_stored") {
        return;
    }
    // The feed is the user's choice and may be on loopback; its entry's link is not.
    let feed_server = HttpServer::start().await;
    feed_server.set(
        "/secret",
        Canned::html(simple_page(
            "Putin and China secret",
            &["SECRET admin page."],
        )),
    );
    let public = HttpServer::start_on("11.0.0.1").await;
    let link = format!("http://news.test:{}/putin-china", public.addr.port());
    public.set(
        "/putin-china",
        redirect(302, &format!("{}/secret", feed_server.base())),
    );
    let rss = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>\
         <item><title>Putin and China hold talks</title><link>{link}</link><guid>g1</guid></item>\
         </channel></rss>"
    );
    feed_server.set("/feed.xml", Canned::ok("application/rss+xml", rss));
    let env = Env::new(&feed_toml(
        "World",
        &format!("{}/feed.xml", feed_server.base()),
    ));
    std::fs::write(
        env.config_path(),
        std::fs::read_to_string(env.config_path())
            .expect("config")
            .replace("allow_private = true", "allow_private = false"),
    )
    .expect("config");
    let w = watcher(&env);
    assert!(!w.config.http.allow_private, "the test needs the guard on");
    let report = w.cycle(false).await.expect("cycle");
    assert_eq!(report.new_articles, 1, "{report:?}");
    assert_eq!(report.article_errors, 1, "{report:?}");
    assert_eq!(report.versions, 0, "{report:?}");
    assert_eq!(feed_server.seen("/secret").len(), 0);
    let articles =
        w.db.call(|s| s.articles(&Default::default()))
            .await
            .expect("articles");
    let error = articles[0].last_error.clone().unwrap_or_default();
    assert!(error.contains("loopback"), "{error}");
}
