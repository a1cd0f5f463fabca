//! The state in PostgreSQL (`[state] database`): every read command of the CLI answers
//! exactly as it does on SQLite after the same polls of the seed story.
//!
//! The server comes from `REDLINE_TEST_POSTGRES` (`.ci/run` starts one); each test makes
//! a database of its own. Without the variable the test fails under `CI=true` naming it,
//! and elsewhere says it did nothing.

mod support;

use support::*;

/// Masks what differs between two runs a few seconds apart: times, relative ages, the
/// name of each file-transport message.
fn same(s: &str, server: &HttpServer) -> String {
    let s = mask(s, server);
    let file = regex::Regex::new(r"written to \S+").expect("regex");
    let s = file.replace_all(&s, "written to FILE");
    let re = regex::Regex::new(r"\b\d+(\.\d+)?\s?(ms|s|m|h|d|seconds?|minutes?|hours?|days?)\b")
        .expect("regex");
    re.replace_all(&s, "AGE").into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_read_command_answers_the_same_on_both_backends() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let feeds = feed_toml("World News", &format!("{}/feeds/world.xml", server.base()));
    let lite = Env::new(&feeds);
    let Some(pg) = Env::new(&feeds).on_postgres() else {
        return;
    };
    for env in [&lite, &pg] {
        let poll = env.run(&["poll"]).await.expect_code(0);
        assert!(poll.stdout.contains("3 new articles"), "{}", poll.stdout);
    }
    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    for env in [&lite, &pg] {
        let poll = env.run(&["poll", "--all"]).await.expect_code(0);
        assert!(
            poll.stdout.contains("1 new version, 1 alert"),
            "{}",
            poll.stdout
        );
    }
    assert_same(&lite, &pg, &server).await;
}

/// Every read command answers the same on `lite` and `pg` after the seed story's polls.
async fn assert_same(lite: &Env, pg: &Env, server: &HttpServer) {
    let articles = lite
        .run(&["articles", "--json"])
        .await
        .expect_code(0)
        .json();
    let story = articles
        .as_array()
        .expect("array")
        .iter()
        .find(|a| a["url"].as_str().is_some_and(|u| u.ends_with(STORY1_PATH)))
        .and_then(|a| a["id"].as_i64())
        .expect("story 1")
        .to_string();
    let commands: Vec<Vec<&str>> = vec![
        vec!["articles"],
        vec!["articles", "--json"],
        vec!["articles", "--topic", "russia-china"],
        vec!["articles", "--changed"],
        vec!["feeds"],
        vec!["feeds", "--json"],
        vec!["history", &story],
        vec!["history", &story, "--json"],
        vec!["diff", &story],
        vec!["diff", &story, "--format", "unified"],
        vec!["diff", &story, "--format", "json"],
        vec!["show", &story],
        vec!["show", STORY1_PATH],
        vec!["replay"],
        vec!["replay", "--json"],
        vec!["replay", "--topic", "nato-ukraine"],
    ];
    for args in &commands {
        let a = lite.run(args).await;
        let b = pg.run(args).await;
        assert_eq!(
            (a.code, same(&a.stdout, server)),
            (b.code, same(&b.stdout, server)),
            "`redline {}` differs between SQLite and PostgreSQL\nSQLite stderr: {}\nPostgreSQL stderr: {}",
            args.join(" "),
            a.stderr,
            b.stderr
        );
        assert!(
            !a.stdout.trim().is_empty() || a.code != 0,
            "`redline {}` printed nothing",
            args.join(" ")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_copies_a_state_that_answers_the_same_and_goes_on() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let feeds = feed_toml("World News", &format!("{}/feeds/world.xml", server.base()));
    let lite = Env::new(&feeds);
    lite.run(&["poll"]).await.expect_code(0);
    server.set(STORY1_PATH, Canned::html(fixture("page-v2.html")));
    lite.run(&["poll", "--all"]).await.expect_code(0);
    let Some(db) = scratch_postgres() else {
        return;
    };
    let url = db.url.clone();
    let copy = lite.run(&["migrate", "--to", &url]).await.expect_code(0);
    assert!(
        copy.stdout.contains("the counts match on both sides"),
        "{}",
        copy.stdout
    );
    assert!(copy.stdout.contains("articles"), "{}", copy.stdout);
    assert!(
        !copy.stderr.contains("copying"),
        "no progress when piped: {}",
        copy.stderr
    );
    // A second copy into the same database is refused: it is no longer empty.
    let again = lite.run(&["migrate", "--to", &url]).await.expect_code(1);
    assert!(again.stderr.contains("not empty"), "{}", again.stderr);

    let pg = Env::new(&feeds).on_database(db);
    assert_same(&lite, &pg, &server).await;

    // New rows on the copy get new ids after the copied ones.
    let before = pg.run(&["articles", "--json"]).await.expect_code(0).json();
    let max = before
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|a| a["id"].as_i64())
        .max()
        .expect("ids");
    let sensex = format!("{}/business/sensex-ends-384-points-higher", server.base());
    pg.run(&["track", &sensex]).await.expect_code(0);
    let after = pg.run(&["articles", "--json"]).await.expect_code(0).json();
    let id = after
        .as_array()
        .expect("array")
        .iter()
        .find(|a| a["url"].as_str() == Some(sensex.as_str()))
        .and_then(|a| a["id"].as_i64())
        .expect("the tracked article");
    assert_eq!(id, max + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_database_setting_is_exit_2_naming_the_key_and_line() {
    let env = Env::with_config("");
    let config = std::fs::read_to_string(env.config_path()).expect("read");
    let config = config.replacen("[state]\n", "[state]\ndatabase = \"mysql://db/x\"\n", 1);
    std::fs::write(env.config_path(), config).expect("write");
    let run = env.run(&["check"]).await.expect_code(2);
    assert!(run.stderr.contains("state.database"), "{}", run.stderr);
    assert!(run.stderr.contains("redline.toml:2:"), "{}", run.stderr);

    let env = Env::with_config("");
    let config = std::fs::read_to_string(env.config_path()).expect("read");
    let config = config.replacen(
        "[state]\n",
        "[state]\ndatabase = \"postgres://redline@127.0.0.1:1/none\"\npassword_env = \"REDLINE_TEST_NO_SUCH_VARIABLE\"\n",
        1,
    );
    std::fs::write(env.config_path(), config).expect("write");
    let run = env.run(&["articles"]).await.expect_code(1);
    assert!(
        run.stderr.contains("REDLINE_TEST_NO_SUCH_VARIABLE"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_one_worker_was_asked_for_holds_every_worker() {
    let server = HttpServer::start().await;
    serve_seed(&server);
    let feeds = feed_toml("World News", &format!("{}/feeds/world.xml", server.base()));
    let Some(env) = Env::new(&feeds).on_postgres() else {
        return;
    };
    let poll = env.run(&["poll"]).await.expect_code(0);
    assert!(poll.stdout.contains("3 new articles"), "{}", poll.stdout);
    // The site now asks to be left alone for two minutes.
    for path in [
        STORY1_PATH,
        "/world-news/xi-putin-video-call",
        "/world-news/us-warns-sanctions",
    ] {
        server.set(path, Canned::status(429).header("retry-after", "120"));
    }
    // One worker is told so by the first page it asks for.
    let told = env.run(&["poll", "--all"]).await.expect_code(0);
    assert!(
        server
            .seen(STORY1_PATH)
            .iter()
            .chain(&server.seen("/world-news/xi-putin-video-call"))
            .chain(&server.seen("/world-news/us-warns-sanctions"))
            .count()
            > 3,
        "the first worker asked for a page and met the 429: {}",
        told.stdout
    );
    let before = server.total();
    // Another worker, which was told nothing, asks the host for nothing: neither the
    // feed nor a page.
    let other = env.run(&["poll", "--all"]).await.expect_code(0);
    assert_eq!(
        server.total(),
        before,
        "the second worker waited too: {}{}",
        other.stdout,
        other.stderr
    );
    // The feed it did not poll shows the host's pause.
    let feeds = env.run(&["feeds", "--json"]).await.expect_code(0).json();
    assert!(
        feeds[0]["paused_until"].is_string(),
        "{}",
        serde_json::to_string_pretty(&feeds).unwrap_or_default()
    );
}
