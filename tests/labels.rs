//! Change labels end to end: a topic's `alert_on`, ignored text kept out of the alert's
//! diff and counts, and `history` saying why a changed page made no version or alert.

mod support;

use redline::diff::Label;
use redline::watch::Watcher;
use support::*;

async fn alerts(w: &Watcher) -> Vec<redline::store::AlertRow> {
    w.db.call(|s| s.alerts(&Default::default()))
        .await
        .expect("alerts")
}

fn seed_feed(server: &HttpServer) -> String {
    feed_toml("World", &format!("{}/feeds/world.xml", server.base()))
}

const MAIL: &str = "[email]\nfrom = \"redline <redline@example.org>\"\nto = [\"desk@example.org\"]\ntransport = \"file\"\n";

/// A config whose `russia-china` topic (story 1's) alerts only on figures.
fn figures_only_env(server: &HttpServer) -> Env {
    Env::with_config(&format!(
        "[http]\nallow_private = true\n\n{}\n\
         [[topic]]\nname = \"russia-china\"\nquery = '(Putin OR Kremlin OR Russia) AND (China OR Beijing)'\nalert_on = [\"figures\"]\n\n{MAIL}",
        seed_feed(server)
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_on_stores_an_unwanted_change_without_alerting_it() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let env = figures_only_env(&server);
    let w = watcher(&env);
    w.cycle(false).await.expect("baseline");

    // A change of wording only: stored and listed, not alerted.
    let reworded = fixture("page-v1.html").replace("state-of-the-art weapons", "modern weapons");
    server.set(STORY1_PATH, Canned::html(reworded.clone()));
    let r = w.check_articles(true).await.expect("check");
    assert_eq!((r.versions, r.alerts), (1, 0));
    assert!(alerts(&w).await.is_empty());

    let history = env.run(&["history", "1", "--json"]).await.expect_code(0);
    let doc = history.json();
    let v2 = &doc["versions"][1];
    // The page's "Updated" line did not move: the rewording is also undisclosed.
    assert_eq!(v2["labels"], serde_json::json!(["wording", "undisclosed"]));
    assert_eq!(v2["note"], "not in alert_on: wording, undisclosed");
    let table = env.run(&["history", "1"]).await.expect_code(0).stdout;
    assert!(table.contains("LABELS"), "{table}");
    assert!(table.contains("not in alert_on: wording"), "{table}");

    // A figure changes (inside a quotation): that alerts, and the alert carries its
    // labels.
    let figures = reworded.replace("one hundred billion", "140 billion");
    server.set(STORY1_PATH, Canned::html(figures));
    let r = w.check_articles(true).await.expect("check");
    assert_eq!((r.versions, r.alerts), (1, 1));
    let all = alerts(&w).await;
    assert_eq!(all.len(), 1);
    assert_eq!(
        all[0].labels,
        [Label::Figures, Label::Quotes, Label::Undisclosed]
            .into_iter()
            .collect()
    );
    assert_eq!((all[0].from_version, all[0].to_version), (2, 3));

    let replay = env.run(&["replay", "--json"]).await.expect_code(0).json();
    assert_eq!(
        replay[0]["alert"]["labels"],
        serde_json::json!(["figures", "quotes", "undisclosed"])
    );
    assert_eq!(
        replay[0]["diff"]["labels"],
        serde_json::json!(["figures", "quotes"])
    );
    let replay = env.run(&["replay"]).await.expect_code(0).stdout;
    assert!(
        replay.contains("v2 → v3  figures, quotes, undisclosed  ["),
        "{replay}"
    );

    let mail = redline::alert::alert_mail(&w.db, all[0].id)
        .await
        .expect("mail");
    let subject = redline::alert::subject(&mail, redline::config::defaults::SUBJECT);
    assert!(
        subject.ends_with("— figures, quotes, undisclosed (World)"),
        "{subject}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_alert_on_label_is_exit_2_naming_key_and_line() {
    let env = Env::with_config(&format!(
        "[[feed]]\nname = \"W\"\nurl = \"http://127.0.0.1:9/feed.xml\"\n\n\
         [[topic]]\nname = \"t\"\nquery = 'Putin'\nalert_on = [\"figures\", \"reworded\"]\n\n{MAIL}"
    ));
    let run = env.run(&["check"]).await.expect_code(2);
    assert!(run.stderr.contains("alert_on"), "{}", run.stderr);
    // The config file starts with the state dir (three lines) before the text above.
    assert!(run.stderr.contains("redline.toml:11:"), "{}", run.stderr);
    assert!(run.stderr.contains("reworded"), "{}", run.stderr);
}

const STAMPED: [&str; 2] = [
    "Updated 5 minutes ago. The talks in Moscow went well and lasted for about an hour, officials said on Friday evening.",
    "The two delegations agreed to meet again next month to discuss trade, energy and the situation in the region.",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignored_text_is_absent_from_the_alert_diff_and_counts() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let env = Env::new(&format!(
        "{}ignore = ['Updated \\d+ minutes ago\\.']\n",
        seed_feed(&server)
    ));
    let w = watcher(&env);
    server.set(
        STORY1_PATH,
        Canned::html(simple_page(V1_HEADLINE, &STAMPED)),
    );
    w.cycle(false).await.expect("baseline");

    // Only the stamp moves: furniture, no version; history says so.
    let stamp_only = STAMPED[0].replace("5 minutes", "9 minutes");
    server.set(
        STORY1_PATH,
        Canned::html(simple_page(V1_HEADLINE, &[&stamp_only, STAMPED[1]])),
    );
    let r = w.check_articles(true).await.expect("check");
    assert_eq!((r.versions, r.alerts), (0, 0));
    let doc = env
        .run(&["history", "1", "--json"])
        .await
        .expect_code(0)
        .json();
    assert_eq!(doc["quiet_checks"][0]["outcome"], "furniture only");
    let table = env.run(&["history", "1"]).await.expect_code(0).stdout;
    assert!(table.contains("no version: furniture only"), "{table}");

    // The stamp and one word change: the alert shows the word, not the stamp.
    let edited = STAMPED[0]
        .replace("5 minutes", "12 minutes")
        .replace("went well", "went badly");
    server.set(
        STORY1_PATH,
        Canned::html(simple_page(V1_HEADLINE, &[&edited, STAMPED[1]])),
    );
    let r = w.check_articles(true).await.expect("check");
    assert_eq!((r.versions, r.alerts), (1, 1));
    let alert = alerts(&w).await.pop().expect("an alert");
    let mail = redline::alert::alert_mail(&w.db, alert.id)
        .await
        .expect("mail");
    assert!(
        mail.text_diff.contains("[-well-]{+badly+}"),
        "{}",
        mail.text_diff
    );
    assert!(!mail.text_diff.contains("Updated"), "{}", mail.text_diff);
    assert!(!mail.html_diff.contains("Updated"), "{}", mail.html_diff);
    assert_eq!((mail.words_added, mail.words_removed), (1, 1));
    // A relative "Updated N minutes ago" stamp declares no time: the edit is undisclosed.
    assert_eq!(
        mail.labels,
        [Label::Wording, Label::Undisclosed].into_iter().collect()
    );

    let diff = env.run(&["diff", "1"]).await.expect_code(0).stdout;
    assert!(diff.contains("+1 -1 words (wording)"), "{diff}");
    assert!(!diff.contains("Updated"), "{diff}");
    let history = env
        .run(&["history", "1", "--json"])
        .await
        .expect_code(0)
        .json();
    assert_eq!(history["versions"][1]["words_added"], 1);
    assert_eq!(history["versions"][1]["words_removed"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moved_paragraph_alerts_as_a_move() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let env = Env::new(&seed_feed(&server));
    let w = watcher(&env);
    let paragraphs = [
        "The talks in Moscow went well and lasted for about an hour, officials said on Friday evening.",
        "The two delegations agreed to meet again next month to discuss trade and energy.",
        "Neither side took questions from reporters after the meeting at the Kremlin ended.",
    ];
    server.set(
        STORY1_PATH,
        Canned::html(simple_page(V1_HEADLINE, &paragraphs)),
    );
    w.cycle(false).await.expect("baseline");
    server.set(
        STORY1_PATH,
        Canned::html(simple_page(
            V1_HEADLINE,
            &[paragraphs[1], paragraphs[2], paragraphs[0]],
        )),
    );
    let r = w.check_articles(true).await.expect("check");
    assert_eq!((r.versions, r.alerts), (1, 1));
    let alert = alerts(&w).await.pop().expect("an alert");
    // The page declares no update time: the move is undisclosed too.
    assert_eq!(
        alert.labels,
        [Label::Move, Label::Undisclosed].into_iter().collect()
    );
    let mail = redline::alert::alert_mail(&w.db, alert.id)
        .await
        .expect("mail");
    assert!(
        mail.text_diff.contains("[moved from paragraph 1]"),
        "{}",
        mail.text_diff
    );
    assert!(!mail.text_diff.contains("{+"), "{}", mail.text_diff);
    assert_eq!((mail.words_added, mail.words_removed), (0, 0));
}

const STORY: [&str; 4] = [
    "Vladimir Putin and Xi Jinping spoke for about an hour on Friday, officials in Moscow and Beijing said after the call.",
    "The two leaders discussed trade, energy and the situation in the region, according to a statement from the Kremlin.",
    "Both sides agreed that their delegations would meet again next month to prepare a visit by the Chinese leader.",
    "Analysts said the call showed that relations between the two countries remained close despite recent tensions.",
];

/// A story page with a summary in a box of its own between the headline and the story.
fn boxed_page(summary: &str, paragraphs: &[&str]) -> String {
    let body: String = paragraphs.iter().map(|p| format!("<p>{p}</p>\n")).collect();
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{V1_HEADLINE}</title></head><body>\
         <main><article><h1>{V1_HEADLINE}</h1>\n<div class=\"summary\"><p>{summary}</p></div>\n\
         <div class=\"story-body\">\n{body}</div></article></main></body></html>"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_confined_to_a_block_beside_the_story_makes_no_alert_and_history_says_why() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let env = Env::new(&seed_feed(&server));
    let w = watcher(&env);
    let summary =
        "Moscow and Beijing will sign new agreements on trade, the Kremlin said on Friday.";
    server.set(STORY1_PATH, Canned::html(boxed_page(summary, &STORY)));
    w.cycle(false).await.expect("baseline");

    // The summary in its own box is reworded: no version, no alert; history says why.
    let reworded =
        "Moscow and Beijing may sign several deals on energy, the Kremlin hinted on Friday.";
    server.set(STORY1_PATH, Canned::html(boxed_page(reworded, &STORY)));
    let r = w.check_articles(true).await.expect("check");
    assert_eq!((r.versions, r.alerts), (0, 0));
    let doc = env
        .run(&["history", "1", "--json"])
        .await
        .expect_code(0)
        .json();
    assert_eq!(doc["quiet_checks"][0]["outcome"], "furniture only");
    assert_eq!(doc["quiet_checks"][0]["detail"], "edge block");
    let table = env.run(&["history", "1"]).await.expect_code(0).stdout;
    assert!(
        table.contains("no version: furniture only: edge block"),
        "{table}"
    );

    // One word of the story changes, the summary too: an alert that shows the word.
    let edited = STORY[2].replace("next month", "next week");
    let mut story = STORY;
    story[2] = &edited;
    server.set(STORY1_PATH, Canned::html(boxed_page(summary, &story)));
    let r = w.check_articles(true).await.expect("check");
    assert_eq!((r.versions, r.alerts), (1, 1));
    let alert = alerts(&w).await.pop().expect("an alert");
    let mail = redline::alert::alert_mail(&w.db, alert.id)
        .await
        .expect("mail");
    assert!(
        mail.text_diff.contains("[-month-]{+week+}"),
        "{}",
        mail.text_diff
    );

    // A paragraph added at the story's edge, in the story's container, alerts too.
    let added = "The Kremlin said a date for the visit would be announced in the coming days by both governments.";
    let longer = [STORY[0], STORY[1], &edited, STORY[3], added];
    server.set(STORY1_PATH, Canned::html(boxed_page(summary, &longer)));
    let r = w.check_articles(true).await.expect("check");
    assert_eq!((r.versions, r.alerts), (1, 1));
}
