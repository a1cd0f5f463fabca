//! What a page says about itself, end to end through the real binary: a page built by
//! JavaScript whose story is only in its JSON-LD, broken and hostile JSON-LD, and the
//! times and notes that tell a disclosed edit from an undisclosed one.

mod support;

use support::*;

const PATH: &str = "/world/putin-xi-weapons";
const HEADLINE: &str = "Putin and Xi pledge to jointly develop high-tech weapons";
const P1: &str = "Russian President Vladimir Putin said on Thursday that Moscow and Beijing are jointly developing high-tech weapons, in remarks broadcast from his annual press conference.";
const P2: &str = "He called the expansion of NATO unacceptable and said the ties between Russia and China were a stabilising factor on the global stage.";

/// A feed with one entry, for the page at [`PATH`], that the `russia-china` topic matches.
fn serve_feed(server: &HttpServer) {
    let feed = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>World</title>\
         <item><title>{HEADLINE}</title><link>{}{PATH}</link><guid>story-1</guid>\
         <description>Putin and China.</description></item></channel></rss>",
        server.base()
    );
    server.set("/feed.xml", Canned::ok("application/rss+xml", feed));
}

fn env_for(server: &HttpServer) -> Env {
    Env::new(&feed_toml("World", &format!("{}/feed.xml", server.base())))
}

/// A page built by JavaScript: "Loading…" in its HTML, the story in a JSON-LD `@graph`.
fn client_rendered(body: &str, modified: &str) -> String {
    let ld = serde_json::json!({
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "The Daily Example"},
            {
                "@type": ["NewsArticle"],
                "headline": HEADLINE,
                "articleBody": body,
                "datePublished": "2026-11-29T08:00:00Z",
                "dateModified": modified,
                "author": {"@type": "Person", "name": "A. Writer"}
            }
        ]
    });
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{HEADLINE} | The Daily Example</title>\
         <script type=\"application/ld+json\">{ld}</script></head>\
         <body><div id=\"app\"><p class=\"spinner\">Loading…</p></div>\
         <script src=\"/app.js\"></script></body></html>"
    )
}

/// A plain article page with a visible "Updated" line and extra head markup.
fn html_page(updated: &str, paragraphs: &[&str], head: &str) -> String {
    let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{HEADLINE}</title>{head}</head>\
         <body><main><article><h1>{HEADLINE}</h1>\
         <div class=\"byline\"><span>By A. Writer</span> <span>{updated}</span></div>\n{body}</article></main></body></html>"
    )
}

async fn history(env: &Env) -> serde_json::Value {
    env.run(&["history", "1", "--json"])
        .await
        .expect_code(0)
        .json()
}

/// The `.eml` files written so far, concatenated.
fn mail(env: &Env) -> String {
    let Ok(dir) = std::fs::read_dir(env.state().join("mail")) else {
        return String::new();
    };
    dir.filter_map(Result::ok)
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_story_only_in_json_ld_is_stored_and_its_edit_alerted() {
    let server = HttpServer::start().await;
    serve_feed(&server);
    let modified = "2026-11-29T09:00:00Z";
    server.set(
        PATH,
        Canned::html(client_rendered(&format!("{P1}\n{P2}"), modified)),
    );
    let env = env_for(&server);

    let poll = env.run(&["poll"]).await.expect_code(0);
    assert!(poll.stdout.contains("1 new version"), "{}", poll.stdout);
    // The stored copy is the articleBody, split on its line break, not "Loading…".
    let show = env.run(&["show", "1"]).await.expect_code(0);
    assert_eq!(show.stdout, format!("{HEADLINE}\n\n{P1}\n\n{P2}\n"));
    let h = history(&env).await;
    let v1 = &h["versions"][0];
    assert_eq!(v1["source"], "json-ld");
    assert_eq!(v1["published"], "2026-11-29T08:00:00Z");
    assert_eq!(v1["modified"], modified);
    assert_eq!(v1["author"], "A. Writer");
    let text = env.run(&["history", "1"]).await.expect_code(0).stdout;
    assert!(text.contains("SOURCE"), "{text}");
    assert!(text.contains("json-ld"), "{text}");
    assert!(
        text.contains("the outlet marked it updated at 2026-11-29 09:00 UTC"),
        "{text}"
    );

    // The outlet rewords the story inside the JSON-LD only; the page still says
    // "Loading…".
    let edited = P1.replace("high-tech", "advanced");
    server.set(
        PATH,
        Canned::html(client_rendered(&format!("{edited}\n{P2}"), modified)),
    );
    let poll = env.run(&["poll", "--all"]).await.expect_code(0);
    assert!(poll.stdout.contains("1 alert"), "{}", poll.stdout);
    let diff = env.run(&["diff", "1"]).await.expect_code(0).stdout;
    assert!(diff.contains("[-high-tech-]{+advanced+}"), "{diff}");
    let h = history(&env).await;
    assert_eq!(h["versions"][1]["source"], "json-ld");
    let mail = mail(&env);
    assert!(mail.contains("advanced"), "{mail}");
    assert!(
        mail.contains("the outlet marked it updated at 2026-11-29 09:00 UTC"),
        "{mail}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_empty_or_hostile_json_ld_falls_back_to_the_html() {
    let env = Env::new("");
    let plain = html_page("", &[P1, P2], "");
    let page = env.dir.path().join("plain.html");
    std::fs::write(&page, &plain).expect("write");
    let expected = env
        .run(&["extract", page.to_str().expect("path")])
        .await
        .expect_code(0)
        .stdout;
    assert_eq!(expected, format!("{HEADLINE}\n\n{P1}\n\n{P2}\n"));

    let deep = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
    let huge = format!(
        "{{\"@type\": \"NewsArticle\", \"articleBody\": \"{}\"}}",
        "many words ".repeat(300_000)
    );
    for (name, ld) in [
        (
            "broken",
            "{\"@type\": \"NewsArticle\", \"articleBody\": \"unterminated",
        ),
        ("not json", "this is not JSON at all"),
        ("empty", ""),
        ("deep", deep.as_str()),
        ("huge", huge.as_str()),
    ] {
        let head = format!("<script type=\"application/ld+json\">{ld}</script>");
        let path = env.dir.path().join("page.html");
        std::fs::write(&path, html_page("", &[P1, P2], &head)).expect("write");
        let out = env
            .run(&["extract", path.to_str().expect("path")])
            .await
            .expect_code(0);
        assert_eq!(out.stdout, expected, "{name}");
        assert!(out.stderr.is_empty(), "{name}: {}", out.stderr);
    }
}

/// `article:modified_time` in the page's head.
fn modified_meta(t: &str) -> String {
    format!("<meta property=\"article:modified_time\" content=\"{t}\">")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declared_times_are_kept_with_each_version() {
    let server = HttpServer::start().await;
    serve_feed(&server);
    let head = modified_meta("2026-11-29T09:00:00+00:00");
    server.set(
        PATH,
        Canned::html(html_page("Updated 09:12", &[P1, P2], &head)),
    );
    let env = env_for(&server);
    env.run(&["poll"]).await.expect_code(0);

    // An edit under the same declared times.
    let p1 = P1.replace("high-tech", "advanced");
    server.set(
        PATH,
        Canned::html(html_page("Updated 09:12", &[&p1, P2], &head)),
    );
    env.run(&["poll", "--all"]).await.expect_code(0);
    // An edit with the visible line moved forward.
    let p2 = P2.replace("unacceptable", "a threat");
    server.set(
        PATH,
        Canned::html(html_page("Updated 10:41", &[&p1, &p2], &head)),
    );
    env.run(&["poll", "--all"]).await.expect_code(0);
    // An edit with the metadata moved, and no visible line any more.
    let later = modified_meta("2026-11-29T11:30:00+01:00");
    let p1b = p1.replace("Thursday", "Friday");
    server.set(PATH, Canned::html(html_page("", &[&p1b, &p2], &later)));
    env.run(&["poll", "--all"]).await.expect_code(0);

    let h = history(&env).await;
    let versions = h["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 4, "{h:#}");
    let field = |n: usize, key: &str| versions[n][key].as_str().map(str::to_string);
    for n in 0..4 {
        assert_eq!(field(n, "source").as_deref(), Some("html"));
    }
    assert_eq!(
        field(0, "modified").as_deref(),
        Some("2026-11-29T09:00:00Z")
    );
    assert_eq!(field(0, "updated_line").as_deref(), Some("09:12"));
    assert_eq!(field(1, "updated_line").as_deref(), Some("09:12"));
    assert_eq!(field(2, "updated_line").as_deref(), Some("10:41"));
    assert_eq!(field(3, "updated_line"), None);
    assert_eq!(
        field(3, "modified").as_deref(),
        Some("2026-11-29T10:30:00Z")
    );
    let text = env.run(&["history", "1"]).await.expect_code(0).stdout;
    assert!(
        text.contains("the outlet marked it updated at 09:12"),
        "{text}"
    );
    assert!(
        text.contains("the outlet marked it updated at 10:41"),
        "{text}"
    );
    assert!(
        text.contains("the outlet marked it updated at 2026-11-29 10:30 UTC"),
        "{text}"
    );
}
