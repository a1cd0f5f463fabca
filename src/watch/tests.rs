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
