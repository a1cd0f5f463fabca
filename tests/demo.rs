//! `redline demo` as a newcomer runs it: the real binary, no config, no network. It plays
//! the seed story (one alert, one `.eml`), prints commands that work as printed, writes
//! nothing outside the state directory it was given (or the new temporary one), and says
//! which thing it cannot use when the temp dir or the mail directory is unusable.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A scratch place for one run: the current directory, HOME and TMPDIR it gets, all
/// empty, and a root for the state directory.
struct Scratch {
    _root: tempfile::TempDir,
    root: PathBuf,
    cwd: PathBuf,
    home: PathBuf,
    tmp: PathBuf,
}

impl Scratch {
    fn new() -> Scratch {
        let root = tempfile::tempdir().expect("tempdir");
        let path = root.path().to_path_buf();
        for d in ["cwd", "home", "tmp"] {
            std::fs::create_dir(path.join(d)).expect("mkdir");
        }
        Scratch {
            cwd: path.join("cwd"),
            home: path.join("home"),
            tmp: path.join("tmp"),
            root: path,
            _root: root,
        }
    }

    /// Runs `redline ARGS` in `cwd` with HOME and TMPDIR pointing here.
    fn redline(&self, args: &[&str]) -> Out {
        let out = Command::new(env!("CARGO_BIN_EXE_redline"))
            .args(args)
            .current_dir(&self.cwd)
            .env("HOME", &self.home)
            .env("TMPDIR", &self.tmp)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_DATA_HOME", self.home.join(".local/share"))
            .env("XDG_CACHE_HOME", self.home.join(".cache"))
            .env_remove("REDLINE_CONFIG")
            .env_remove("REDLINE_LOG")
            .env_remove("NO_COLOR")
            .output()
            .expect("run redline");
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn assert_untouched(&self, which: &[&Path]) {
        for dir in which {
            assert_eq!(
                files(dir),
                Vec::<PathBuf>::new(),
                "{} was written to",
                dir.display()
            );
        }
    }
}

#[derive(Debug)]
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn expect_code(self, code: i32) -> Out {
        assert_eq!(
            self.code, code,
            "exit status\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// Every file and directory under `dir`, recursively, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            found.extend(files(&path));
        }
        found.push(path);
    }
    found.sort();
    found
}

fn emls(mail: &Path) -> Vec<PathBuf> {
    files(mail)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect()
}

/// The narration of the three steps, as the seed story plays them.
fn assert_narration(stdout: &str) {
    for line in [
        "1. First poll: 3 of the feed's 5 stories match a topic and are tracked.",
        "tracked  russia-china  Putin says Russia and China are 'jointly developing high-tech weapons'; calls NATO expansion unacceptable",
        "tracked  russia-china  Xi, Putin to hold video call next week, Kremlin says",
        "tracked  nato-ukraine  US warns of sanctions over Ukraine build-up",
        "ignored                Sensex ends 384 points higher as banks rally",
        "ignored                Ashes: England collapse again in Melbourne",
        "Each tracked page was fetched and its text stored as version 1, the baseline;",
        "the ignored stories were never fetched.",
        "2. The outlet changes the page around the story",
        "Re-checked: the same text, so no new version and no alert.",
        "3. The outlet rewords the story.",
        "Re-checked: version 2 stored (+16 -6 words), 1 alert, labelled: headline, figures, quotes, addition.",
        "What changed, word by word",
        "Explore what the demo stored:",
    ] {
        assert!(stdout.contains(line), "no {line:?} in:\n{stdout}");
    }
}

#[test]
fn plays_the_story_and_writes_only_in_its_state_dir() {
    let s = Scratch::new();
    let state = s.root.join("state");
    let state_arg = state.display().to_string();
    let out = s
        .redline(&["--color", "never", "demo", "--state", &state_arg])
        .expect_code(0);
    assert_narration(&out.stdout);
    assert!(
        out.stdout
            .contains("jointly developing [-high-tech-]{+advanced+} weapons"),
        "no word diff in:\n{}",
        out.stdout
    );
    assert!(!out.stdout.contains('\x1b'), "colour with --color never");

    // Exactly one alert, written as one .eml under the state dir, whose path is shown.
    let mail = emls(&state.join("mail"));
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert!(
        out.stdout.contains(&format!(
            "The alert email (to you@example.org): {}",
            mail[0].display()
        )),
        "the .eml path is not shown:\n{}",
        out.stdout
    );
    let eml = std::fs::read_to_string(&mail[0]).expect("eml");
    assert!(eml.contains("Subject: "), "{eml}");
    assert!(eml.contains("advanced"), "{eml}");

    // Nothing outside the state dir: not the current dir, HOME or TMPDIR.
    s.assert_untouched(&[&s.cwd, &s.home, &s.tmp]);
    let top: Vec<PathBuf> = std::fs::read_dir(&s.root)
        .expect("root")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(top.len(), 4, "{top:?}"); // cwd, home, tmp, state

    // The printed commands work as printed, against the demo's state.
    let config = state.join("redline.toml");
    let replay = s
        .redline(&[
            "--config",
            &config.display().to_string(),
            "replay",
            "--json",
        ])
        .expect_code(0);
    let alerts: serde_json::Value = serde_json::from_str(&replay.stdout).expect("json");
    assert_eq!(alerts.as_array().map(Vec::len), Some(1), "{alerts:#}");
    let commands: Vec<&str> = out
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Explore what the demo stored:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(commands.len(), 4, "{commands:?}");
    for (command, expect) in commands.iter().zip([
        "VERSION",
        "{+advanced+}",
        "high-tech weapons",
        "headline, figures, quotes, addition",
    ]) {
        let run = Command::new("sh")
            .args(["-c", command])
            .current_dir(&s.cwd)
            .env("HOME", &s.home)
            .env("TMPDIR", &s.tmp)
            .output()
            .expect("sh");
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(
            run.status.success() && stdout.contains(expect),
            "{command}\n{stdout}\n{}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
    s.assert_untouched(&[&s.cwd, &s.home, &s.tmp]);
}

#[test]
fn without_state_it_keeps_a_new_temporary_dir() {
    let s = Scratch::new();
    let out = s.redline(&["--color", "always", "demo"]).expect_code(0);
    assert_narration(&out.stdout);
    assert!(
        out.stdout.contains("\x1b["),
        "no colour with --color always"
    );
    s.assert_untouched(&[&s.cwd, &s.home]);
    let made: Vec<PathBuf> = std::fs::read_dir(&s.tmp)
        .expect("tmp")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(made.len(), 1, "{made:?}");
    let dir = &made[0];
    assert!(
        dir.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("redline-demo-")),
        "{}",
        dir.display()
    );
    assert!(dir.join("redline.toml").is_file());
    assert!(dir.join("redline.db").is_file());
    assert_eq!(emls(&dir.join("mail")).len(), 1);
    assert!(
        out.stdout.contains(&format!(
            "--config {} history",
            dir.join("redline.toml").display()
        )),
        "{}",
        out.stdout
    );
}

#[test]
fn a_temp_dir_it_cannot_create_is_named_and_exit_1() {
    let s = Scratch::new();
    std::fs::remove_dir(&s.tmp).expect("rm tmp");
    let out = s.redline(&["demo"]).expect_code(1);
    assert!(
        out.stderr
            .contains("cannot create a temporary directory for the demo")
            && out.stderr.contains(&s.tmp.display().to_string())
            && out.stderr.contains("--state DIR"),
        "{}",
        out.stderr
    );
    s.assert_untouched(&[&s.cwd, &s.home]);
}

#[test]
fn a_mail_dir_it_cannot_write_is_named_and_exit_1() {
    let s = Scratch::new();
    let state = s.root.join("state");
    std::fs::create_dir(&state).expect("mkdir");
    // A file where the mail directory should be.
    std::fs::write(state.join("mail"), "not a directory").expect("write");
    let out = s
        .redline(&["demo", "--state", &state.display().to_string()])
        .expect_code(1);
    assert!(
        out.stderr.contains(&format!(
            "cannot write the alert email under {}",
            state.join("mail").display()
        )),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(state.join("mail")).expect("read"),
        "not a directory"
    );
}

#[test]
fn a_state_dir_in_use_is_refused_and_left_alone() {
    let s = Scratch::new();
    let state = s.root.join("state");
    std::fs::create_dir(&state).expect("mkdir");
    std::fs::write(state.join("redline.db"), "someone's database").expect("write");
    let out = s
        .redline(&["demo", "--state", &state.display().to_string()])
        .expect_code(1);
    assert!(
        out.stderr.contains("already holds redline.db"),
        "{}",
        out.stderr
    );
    assert_eq!(files(&state), vec![state.join("redline.db")]);
    assert_eq!(
        std::fs::read_to_string(state.join("redline.db")).expect("read"),
        "someone's database"
    );
}
