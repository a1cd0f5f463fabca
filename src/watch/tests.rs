//! The watcher works from the values compiled when its config loaded: topics are matched
//! with [`Config::queries`], and a reload (a new watcher from a new config) brings new
//! ones.

use std::path::Path;

use super::*;
use crate::store::Store;

const FEED: &str = "[[feed]]\nname = \"World\"\nurl = \"https://example.org/feed.xml\"\n";

fn watcher(topics: &str) -> Watcher {
    let config = Config::from_str(&format!("{FEED}{topics}"), Path::new("test.toml"))
        .expect("a valid config");
    let db = Db::new(Store::open_in_memory().expect("database"));
    Watcher::new(Arc::new(config), db).expect("watcher")
}

fn entry(title: &str) -> Entry {
    Entry {
        id: None,
        link: None,
        title: title.into(),
        summary: String::new(),
        content: String::new(),
    }
}

#[test]
fn topics_match_with_the_queries_compiled_at_load() {
    let w = watcher("[[topic]]\nname = \"rc\"\nquery = 'Putin AND China'\n");
    let feed = &w.config.feeds[0];
    assert_eq!(w.config.queries().len(), 1);
    assert_eq!(
        w.matching_topics(feed, &entry("Putin flies to China")),
        ["rc"]
    );
    assert!(
        w.matching_topics(feed, &entry("Putin flies to Paris"))
            .is_empty()
    );

    // The reloaded config's query, compiled at its own load, replaces the old one.
    let w = watcher("[[topic]]\nname = \"rc\"\nquery = 'Putin AND Paris'\n");
    let feed = &w.config.feeds[0];
    assert!(
        w.matching_topics(feed, &entry("Putin flies to China"))
            .is_empty()
    );
    assert_eq!(
        w.matching_topics(feed, &entry("Putin flies to Paris")),
        ["rc"]
    );
}

#[test]
fn a_round_checks_an_article_again_only_when_its_next_revisit_fell_due_since() {
    let t0 = chrono::Utc::now();
    let minutes = chrono::Duration::minutes;
    // Not started in this round: checked.
    assert!(check_in_round(None, Some(t0)));
    // Started at t0, and its check set its next revisit for t0 + 5 min, now due: again.
    assert!(check_in_round(Some(t0), Some(t0 + minutes(5))));
    // Started at t0 and left due at its old time (a check decided twice): not again.
    assert!(!check_in_round(Some(t0), Some(t0 - minutes(1))));
    assert!(!check_in_round(Some(t0), Some(t0)));
    assert!(!check_in_round(Some(t0), None));
}

#[test]
fn a_round_goes_on_while_a_batch_holds_work_due_when_it_started() {
    let start = chrono::Utc::now();
    let later = start + chrono::Duration::seconds(30);
    let earlier = start - chrono::Duration::seconds(30);
    // Only revisits that fell due since the start: the round's own work is claimed.
    assert!(!round_work_left([Some(later), Some(later)], start));
    assert!(!round_work_left([], start));
    // Anything that was due at the start: the round goes on.
    assert!(round_work_left([Some(later), Some(earlier)], start));
    assert!(round_work_left([Some(start)], start));
}
