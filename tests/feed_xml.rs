//! Feed XML from a hostile server: entity expansion ("billion laughs") and external
//! entities are neither expanded nor fetched.

mod support;

use redline::feed;
use support::*;
use url::Url;

fn base() -> Url {
    Url::parse("http://feeds.example/world.xml").expect("url")
}

/// Nine levels of ten-fold entities: 10^9 "lol"s if anything expanded them.
fn billion_laughs(wrap: &str) -> String {
    let mut dtd = String::from("<!ENTITY lol0 \"lol\">");
    for i in 1..10 {
        let prev = format!("&lol{};", i - 1).repeat(10);
        dtd.push_str(&format!("<!ENTITY lol{i} \"{prev}\">"));
    }
    format!(
        "<?xml version=\"1.0\"?><!DOCTYPE rss [{dtd}]><rss version=\"2.0\"><channel><title>T</title>\
         <item><title>Putin {wrap}</title><link>http://news.example/a</link>\
         <description>China {wrap}</description></item></channel></rss>"
    )
}

#[test]
fn entity_expansion_is_not_performed() {
    for wrap in ["&lol9;", "&lol3;&lol9;&lol9;"] {
        let xml = billion_laughs(wrap);
        // Either the document is refused or the entities stay unexpanded; never does a
        // title grow beyond what the document holds.
        match feed::parse(&xml, &base()) {
            Ok(p) => {
                for e in &p.entries {
                    let text = format!("{}{}{}", e.title, e.summary, e.content);
                    assert!(text.len() < xml.len(), "expanded: {} bytes", text.len());
                    assert!(!text.contains("lollol"), "expanded: {text:.200}");
                }
            }
            Err(e) => assert!(e.to_string().contains("not a readable feed"), "{e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_entities_are_not_fetched_or_read() {
    let server = HttpServer::start().await;
    server.set("/secret.txt", Canned::ok("text/plain", "SECRET-FROM-HTTP"));
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("secret.txt");
    std::fs::write(&file, "SECRET-FROM-FILE").expect("write");
    for (system, secret) in [
        (format!("{}/secret.txt", server.base()), "SECRET-FROM-HTTP"),
        (format!("file://{}", file.display()), "SECRET-FROM-FILE"),
    ] {
        let xml = format!(
            "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM \"{system}\">\
             <!ENTITY % pe SYSTEM \"{system}\"> %pe;]>\
             <rss version=\"2.0\"><channel><title>T</title>\
             <item><title>Putin &xxe;</title><link>http://news.example/a</link>\
             <description>&xxe;</description></item></channel></rss>"
        );
        let parsed = tokio::task::spawn_blocking(move || {
            feed::parse(&xml, &base()).map(|p| {
                p.entries
                    .iter()
                    .map(|e| format!("{} {} {}", e.title, e.summary, e.content))
                    .collect::<String>()
            })
        })
        .await
        .expect("parse task");
        match parsed {
            Ok(text) => assert!(!text.contains(secret), "{system} was read: {text}"),
            Err(e) => assert!(e.to_string().contains("not a readable feed"), "{e}"),
        }
    }
    // Parsing is synchronous: had it fetched the entity, the request would be done.
    assert_eq!(server.total(), 0, "an external entity was fetched");
}

#[test]
fn an_external_dtd_is_not_needed_to_read_a_feed() {
    // RSS 0.91 feeds name Netscape's DTD; the feed reads without it.
    let xml = "<?xml version=\"1.0\"?><!DOCTYPE rss PUBLIC \"-//Netscape Communications//DTD RSS 0.91//EN\" \
               \"http://127.0.0.1:9/rss-0.91.dtd\"><rss version=\"0.91\"><channel><title>T</title>\
               <item><title>Putin &amp; Xi</title><link>http://news.example/a</link></item></channel></rss>";
    let p = feed::parse(xml, &base()).expect("rss 0.91");
    assert_eq!(p.entries[0].title, "Putin & Xi");
}
