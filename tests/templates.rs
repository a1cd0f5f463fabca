//! A site's template, learned by the watcher as it fetches the site's articles: a block
//! that recurs across its articles (the same words, other numbers) is dropped from the
//! next one, and kept in the store across restarts.

mod support;

use redline::fetch::Validators;
use support::*;

const PARAGRAPHS: &[&[&str]] = &[
    &[
        "The city council voted on Tuesday to rebuild the old harbour bridge, ending a \
         debate that had divided the town for almost a decade.",
        "Engineers had warned last year that the structure was no longer safe for heavy \
         lorries, and the bridge has been closed to them since the spring.",
    ],
    &[
        "The regional airline said on Wednesday it would add three weekly flights to the \
         capital from the summer, after a year of strong demand.",
        "Its chief executive told reporters that the new routes would be flown with the \
         quieter aircraft the company bought last year.",
    ],
    &[
        "The local bakery that has fed the market square for ninety years will close at \
         the end of the month, its owners announced on Friday.",
        "They said rising costs and the lack of a successor had left them no choice, and \
         thanked their customers for decades of loyalty.",
    ],
];

/// An article page of the site: its paragraphs, then a line the site puts on every
/// article, with a number that differs from page to page.
fn article(paragraphs: &[&str], listeners: u32) -> String {
    let mut page = simple_page("Local news", paragraphs);
    let line = format!(
        "<p>Listen to this story and {listeners} more on our radio app, free for every reader \
         of the paper today.</p>"
    );
    page = page.replace("</article>", &format!("{line}</article>"));
    page
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_recurring_across_a_sites_articles_is_learned_as_furniture() {
    let server = HttpServer::start().await;
    let env = Env::new(&feed_toml(
        "Local",
        &format!("{}/feeds/local.xml", server.base()),
    ));
    for (i, paragraphs) in PARAGRAPHS.iter().enumerate() {
        server.set(
            &format!("/news/{i}"),
            Canned::html(article(paragraphs, 120 + i as u32)),
        );
    }
    let url = |i: usize| format!("{}/news/{i}", server.base());
    let w = watcher(&env);
    let fetch = |i: usize| {
        let w = &w;
        let url = url(i);
        async move {
            w.fetch_copy(&url, None, &Validators::default())
                .await
                .expect("fetch")
                .expect("a page")
                .0
        }
    };

    // The first two articles keep the line: no rule knows it, and nothing has recurred.
    for i in 0..2 {
        let copy = fetch(i).await;
        assert!(
            copy.paragraphs.iter().any(|p| p.contains("radio app")),
            "article {i}: {:#?}",
            copy.paragraphs
        );
    }
    // The third, with another number in it, loses it: it recurred on two other articles.
    let third = fetch(2).await;
    assert_eq!(third.paragraphs, PARAGRAPHS[2], "{:#?}", third.paragraphs);

    // Learned in the store: a new watcher on the same database knows it, also for the
    // first article fetched again (the line is on two articles besides it).
    drop(w);
    let w = watcher(&env);
    let first = w
        .fetch_copy(&url(0), None, &Validators::default())
        .await
        .expect("fetch")
        .expect("a page")
        .0;
    assert_eq!(first.paragraphs, PARAGRAPHS[0], "{:#?}", first.paragraphs);
}
