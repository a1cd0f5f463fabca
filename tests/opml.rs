//! `redline feeds import` / `export` through the real binary: the config file keeps its
//! comments, an export imports back to the same feeds, and bad OPML changes nothing.

use std::path::Path;
use std::process::Output;

fn redline(config: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_redline"))
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .expect("run redline")
}

const CONFIG: &str = r#"# The desk's config: comments stay.
[state]
dir = "state"

[schedule]
feed_interval = "10m"   # not too often

# Wire services
[[feed]]
name = "Wire"
url = "https://wire.example/rss.xml"

[[topic]]
name = "russia-china"
query = 'Putin AND China'
"#;

const OPML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Subscriptions</title></head>
  <body>
    <outline text="World">
      <outline type="rss" text="Wire again" xmlUrl="https://wire.example/rss.xml"/>
      <outline type="rss" text="Kyiv Post &amp; Co" xmlUrl="https://kyiv.example/feed/"/>
    </outline>
    <outline type="rss" title="Дойче Велле" xmlUrl="https://dw.example/rss/ru"/>
  </body>
</opml>
"#;

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("redline.toml");
    std::fs::write(&config, CONFIG).expect("write config");
    (dir, config)
}

#[test]
fn import_adds_new_feeds_and_keeps_the_comments() {
    let (dir, config) = setup();
    let opml = dir.path().join("subs.opml");
    std::fs::write(&opml, OPML).expect("write opml");
    let out = redline(&config, &["feeds", "import", opml.to_str().expect("utf-8")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout.contains("2 added, 1 already there"), "{stdout}");
    assert!(stdout.contains("skipped  Wire again"), "{stdout}");
    let after = std::fs::read_to_string(&config).expect("read");
    assert!(
        after.starts_with(&CONFIG[..CONFIG.find("[[topic]]").expect("topic")]),
        "{after}"
    );
    assert!(after.contains("feed_interval = \"10m\"   # not too often"));
    assert!(
        after.contains("name = \"Kyiv Post & Co\"\nurl = \"https://kyiv.example/feed/\""),
        "{after}"
    );
    assert!(after.contains("Дойче Велле"));
    // The result is a config redline accepts, with the new feeds in it.
    let check = redline(&config, &["check"]);
    assert!(check.status.success(), "{check:?}");
    // A second import finds nothing new and leaves the file byte for byte.
    let again = redline(&config, &["feeds", "import", opml.to_str().expect("utf-8")]);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 added, 3 already there"));
    assert_eq!(std::fs::read_to_string(&config).expect("read"), after);
}

#[test]
fn export_then_import_round_trips() {
    let (dir, config) = setup();
    let opml = dir.path().join("subs.opml");
    std::fs::write(&opml, OPML).expect("write opml");
    assert!(
        redline(&config, &["feeds", "import", opml.to_str().expect("utf-8")])
            .status
            .success()
    );
    let exported = redline(&config, &["feeds", "export"]);
    assert!(exported.status.success(), "{exported:?}");
    let xml = String::from_utf8(exported.stdout).expect("utf-8");
    assert!(xml.contains("<opml version=\"2.0\">"), "{xml}");
    assert!(xml.contains("text=\"Kyiv Post &amp; Co\""), "{xml}");

    // Into a config with no feeds at all: the same three feeds come back, in order.
    let other = dir.path().join("other.toml");
    std::fs::write(
        &other,
        "[state]\ndir = \"state\"\n\n[[topic]]\nname = \"t\"\nquery = 'x'\n",
    )
    .expect("write");
    let file = dir.path().join("exported.opml");
    std::fs::write(&file, &xml).expect("write");
    let out = redline(&other, &["feeds", "import", file.to_str().expect("utf-8")]);
    assert!(out.status.success(), "{out:?}");
    let back = redline(&other, &["feeds", "export"]);
    let back = String::from_utf8(back.stdout).expect("utf-8");
    let outlines = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.contains("<outline"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(outlines(&back), outlines(&xml));
    assert_eq!(outlines(&xml).len(), 3);
}

#[test]
fn bad_opml_is_exit_2_and_leaves_the_config_alone() {
    let (dir, config) = setup();
    let cases: &[(&str, &str)] = &[
        ("not xml", "this is not xml <<<"),
        (
            "html",
            "<html><body><a href=\"https://a.example/\">x</a></body></html>",
        ),
        (
            "no xmlUrl",
            "<opml version=\"2.0\"><body><outline text=\"folder\"/></body></opml>",
        ),
        (
            "entities",
            "<?xml version=\"1.0\"?><!DOCTYPE opml [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><opml><body><outline text=\"&b;\" xmlUrl=\"https://a.example/\"/></body></opml>",
        ),
        (
            "external entity",
            "<?xml version=\"1.0\"?><!DOCTYPE opml [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><opml><body><outline text=\"&x;\" xmlUrl=\"https://a.example/\"/></body></opml>",
        ),
        (
            "file url",
            "<opml><body><outline text=\"x\" xmlUrl=\"file:///etc/passwd\"/></body></opml>",
        ),
        (
            "truncated",
            "<opml><body><outline text=\"x\" xmlUrl=\"https://a.example/\">",
        ),
    ];
    for (what, body) in cases {
        let file = dir.path().join("bad.opml");
        std::fs::write(&file, body).expect("write");
        let out = redline(&config, &["feeds", "import", file.to_str().expect("utf-8")]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {out:?}");
        assert!(
            stderr.contains("bad.opml"),
            "{what}: names the file: {stderr}"
        );
        assert_eq!(
            std::fs::read_to_string(&config).expect("read"),
            CONFIG,
            "{what}"
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".redline-import")
        })
        .collect();
    assert!(leftovers.is_empty());
}
