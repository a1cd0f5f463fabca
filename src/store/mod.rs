//! SQLite storage: the schema, its migrations, and every SQL statement redline runs.
//!
//! One database file, `<state.dir>/redline.db`, in WAL mode. The schema version lives in
//! `PRAGMA user_version`; [`Store::open`] runs whatever migrations the file lacks, in one
//! transaction each. Every stage that changes several rows (a check that records a version
//! and its alert and outbox rows, a feed fetch) does so in one transaction, so a crash
//! leaves the previous state or the next one, never half of one.
//!
//! The store is synchronous; async code reaches it through [`Db`], which runs each call
//! on the store's own thread.
//!
//! Several processes may share one database (the service and a `redline poll`, two
//! overlapping cron runs). Every connection waits for a lock rather than failing
//! (a busy timeout), every write transaction takes the write lock up front (`BEGIN
//! IMMEDIATE`, so it never has to upgrade a read snapshot another writer made stale), and
//! who does what is settled by the claims of [`claims`]: a feed poll, an article check
//! and an outbox row are each leased to one process at a time, and a version is only
//! recorded against the latest version its decision was based on (see
//! [`Store::record_check`]).

mod addresses;
mod alerts;
mod articles;
mod claims;
mod copy;
mod coverage;
mod feeds;
mod hosts;
mod kinds;
mod listing;
pub mod pg;
mod raw;
pub(crate) mod sql;
mod templates;
mod web;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;

use sql::{Conn, Tx};

pub use addresses::{AddressCheck, AddressRow, Upserted};
pub use alerts::{AlertFilter, AlertRow, OutboxRow, Target};
pub use articles::{
    ArticleFilter, ArticleRow, CheckRecorded, CheckUpdate, NewArticle, NewVersion, VersionRow,
};
pub use articles::{QUIET_KEPT, QuietCheck};
pub use claims::Claim;
pub use copy::TableCopied;
pub use coverage::{CoverageRow, NewCoverage};
pub use feeds::{FeedFetch, FeedRow};
pub use hosts::HostSlot;
pub use kinds::{AlertKind, ArticleState, Channel, DeliveryStatus, Quiet, UnknownWord};
pub use listing::{ArticleLine, ArticleLines};
pub use raw::{RawRow, Submission};
pub use templates::Learned;
pub use web::ChangeRow;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the state directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "the database {path} has schema version {found}, newer than this redline knows ({known}): upgrade redline"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] postgres::Error),
    #[error("{0}")]
    Password(String),
    #[error("migrate: {0}")]
    Copy(String),
    #[error("cannot connect to PostgreSQL at {url}: {message}")]
    PgConnect { url: String, message: String },
    #[error("this redline has no PostgreSQL twin of schema migration {0}: report it as a bug")]
    NoPgMigration(i64),
    #[error("database column {column}: {message}")]
    Column { column: String, message: String },
    #[error("no article {0} is tracked (see `redline articles`)")]
    NoArticle(String),
    #[error("the database task stopped: {0}")]
    Task(String),
    #[error("kept page: {0}")]
    Raw(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The migrations, in order; the schema version is the number applied.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
    CREATE TABLE feeds (
        id              INTEGER PRIMARY KEY,
        url             TEXT NOT NULL UNIQUE,
        name            TEXT NOT NULL,
        etag            TEXT,
        last_modified   TEXT,
        last_fetch_at   TEXT,
        last_status     TEXT,
        last_error      TEXT,
        last_entries    INTEGER,
        error_streak    INTEGER NOT NULL DEFAULT 0,
        next_due_at     TEXT
    );
    CREATE TABLE articles (
        id              INTEGER PRIMARY KEY,
        key             TEXT NOT NULL UNIQUE,
        url             TEXT NOT NULL,
        title           TEXT NOT NULL DEFAULT '',
        feed_id         INTEGER REFERENCES feeds(id),
        first_seen_at   TEXT NOT NULL,
        etag            TEXT,
        last_modified   TEXT,
        last_check_at   TEXT,
        next_check_at   TEXT,
        revisit_step    INTEGER NOT NULL DEFAULT 0,
        ladder_start_at TEXT NOT NULL,
        state           TEXT NOT NULL DEFAULT 'active',
        last_change_at  TEXT,
        last_error      TEXT,
        error_streak    INTEGER NOT NULL DEFAULT 0,
        suspect_at      TEXT
    );
    CREATE INDEX articles_url ON articles(url);
    CREATE INDEX articles_due ON articles(state, next_check_at);
    CREATE TABLE article_topics (
        article_id      INTEGER NOT NULL REFERENCES articles(id),
        topic           TEXT NOT NULL,
        PRIMARY KEY (article_id, topic)
    );
    CREATE TABLE versions (
        id              INTEGER PRIMARY KEY,
        article_id      INTEGER NOT NULL REFERENCES articles(id),
        number          INTEGER NOT NULL,
        fetched_at      TEXT NOT NULL,
        headline        TEXT NOT NULL,
        body            TEXT NOT NULL,
        extractor       TEXT NOT NULL,
        words_added     INTEGER NOT NULL DEFAULT 0,
        words_removed   INTEGER NOT NULL DEFAULT 0,
        note            TEXT,
        UNIQUE (article_id, number)
    );
    CREATE TABLE alerts (
        id              INTEGER PRIMARY KEY,
        article_id      INTEGER NOT NULL REFERENCES articles(id),
        kind            TEXT NOT NULL,
        from_version    INTEGER NOT NULL,
        to_version      INTEGER NOT NULL,
        created_at      TEXT NOT NULL
    );
    CREATE INDEX alerts_article ON alerts(article_id);
    CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY,
        alert_id        INTEGER NOT NULL REFERENCES alerts(id),
        recipient       TEXT NOT NULL,
        status          TEXT NOT NULL DEFAULT 'queued',
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error      TEXT,
        answer          TEXT,
        sent_at         TEXT,
        UNIQUE (alert_id, recipient)
    );
    CREATE INDEX outbox_queue ON outbox(status, next_attempt_at);
    "#,
    // 2: (issue 15) leases: which process is polling a feed, checking an article or
    // sending an outbox row, and until when.
    r#"
    ALTER TABLE feeds ADD COLUMN claimed_by TEXT;
    ALTER TABLE feeds ADD COLUMN claimed_until TEXT;
    ALTER TABLE articles ADD COLUMN claimed_by TEXT;
    ALTER TABLE articles ADD COLUMN claimed_until TEXT;
    ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
    ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
    "#,
    // 3: (issue 16) an article's past addresses and aliases, the feed link it follows, and
    // what "removed" waits for (a first 404/410, whether the feed still carries it).
    r#"
    CREATE TABLE article_addresses (
        id              INTEGER PRIMARY KEY,
        article_id      INTEGER NOT NULL REFERENCES articles(id),
        kind            TEXT NOT NULL,
        url             TEXT NOT NULL,
        key             TEXT,
        new_url         TEXT,
        reason          TEXT NOT NULL,
        at              TEXT NOT NULL,
        version         INTEGER,
        settled         INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX article_addresses_article ON article_addresses(article_id);
    CREATE INDEX article_addresses_url ON article_addresses(url);
    CREATE INDEX article_addresses_key ON article_addresses(key);
    ALTER TABLE articles ADD COLUMN feed_link TEXT;
    ALTER TABLE articles ADD COLUMN in_feed INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE articles ADD COLUMN gone_at TEXT;
    UPDATE articles SET feed_link = url, in_feed = 1 WHERE feed_id IS NOT NULL;
    "#,
    // 4: (issue 9) when a feed started failing, and a host's Retry-After pause kept apart
    // from the feed's own last error.
    r#"
    ALTER TABLE feeds ADD COLUMN failing_since TEXT;
    ALTER TABLE feeds ADD COLUMN paused_until TEXT;
    "#,
    // 5: (issue 8) change labels and the decided diff on each version; the checks of a
    // changed page that made no version (bounded per article), and the page's hash.
    r#"
    ALTER TABLE versions ADD COLUMN labels TEXT NOT NULL DEFAULT '';
    ALTER TABLE versions ADD COLUMN diff TEXT;
    ALTER TABLE articles ADD COLUMN page_hash TEXT;
    CREATE TABLE quiet_checks (
        id              INTEGER PRIMARY KEY,
        article_id      INTEGER NOT NULL REFERENCES articles(id),
        checked_at      TEXT NOT NULL,
        outcome         TEXT NOT NULL,
        detail          TEXT
    );
    CREATE INDEX quiet_checks_article ON quiet_checks(article_id, checked_at);
    "#,
    // 6: (issue 17) what each version's page said about itself: the source of the copy
    // (`html` or `json-ld`), its declared publication and modification times, its visible
    // "Updated" time, its marked-up correction note and its author.
    r#"
    ALTER TABLE versions ADD COLUMN source TEXT NOT NULL DEFAULT 'html';
    ALTER TABLE versions ADD COLUMN declared_published TEXT;
    ALTER TABLE versions ADD COLUMN declared_modified TEXT;
    ALTER TABLE versions ADD COLUMN declared_updated TEXT;
    ALTER TABLE versions ADD COLUMN declared_note TEXT;
    ALTER TABLE versions ADD COLUMN declared_author TEXT;
    "#,
    // 7: (issue 12) coverage: per article and `like` topic, the similarity and the copy it
    // matched.
    r#"
    CREATE TABLE coverage (
        article_id      INTEGER NOT NULL REFERENCES articles(id),
        topic           TEXT NOT NULL,
        similarity      REAL NOT NULL,
        copy_name       TEXT NOT NULL,
        copy_text       TEXT NOT NULL,
        matched_at      TEXT NOT NULL,
        PRIMARY KEY (article_id, topic)
    );
    CREATE INDEX coverage_topic ON coverage(topic, similarity);
    "#,
    // 8: (issue 8) each site's learned template: the block shapes of its articles.
    r#"
    CREATE TABLE templates (
        host    TEXT NOT NULL,
        url     TEXT NOT NULL,
        shape   TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        PRIMARY KEY (host, url, shape)
    ) WITHOUT ROWID;
    CREATE INDEX templates_shape ON templates(host, shape);
    "#,
    // 9: (issue 13) evidence: each version's response as received (compressed against
    // the article's previous one, `base`), and the archive submissions queued with them.
    r#"
    CREATE TABLE raw_pages (
        id              INTEGER PRIMARY KEY,
        article_id      INTEGER NOT NULL REFERENCES articles(id),
        version         INTEGER NOT NULL,
        fetched_at      TEXT NOT NULL,
        url             TEXT NOT NULL,
        status          INTEGER NOT NULL,
        headers         TEXT NOT NULL,
        size            INTEGER NOT NULL,
        base            INTEGER REFERENCES raw_pages(id),
        depth           INTEGER NOT NULL DEFAULT 0,
        body            BLOB,
        dropped_at      TEXT,
        UNIQUE (article_id, version)
    );
    CREATE INDEX raw_pages_fetched ON raw_pages(fetched_at);
    CREATE TABLE archive_submissions (
        id              INTEGER PRIMARY KEY,
        article_id      INTEGER NOT NULL REFERENCES articles(id),
        version         INTEGER NOT NULL,
        url             TEXT NOT NULL,
        status          TEXT NOT NULL DEFAULT 'queued',
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        attempted_at    TEXT,
        last_error      TEXT,
        snapshot        TEXT,
        done_at         TEXT,
        claimed_by      TEXT,
        claimed_until   TEXT,
        UNIQUE (article_id, version)
    );
    CREATE INDEX archive_submissions_queue ON archive_submissions(status, next_attempt_at);
    "#,
    // 10: (issue 11) webhooks in the outbox: each row's channel (`email` or `webhook`,
    // whose `recipient` is then the webhook's name), and a webhook's request as built for
    // its first try (headers as JSON, body bytes), sent again unchanged on every retry.
    r#"
    ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'email';
    ALTER TABLE outbox ADD COLUMN request_headers TEXT;
    ALTER TABLE outbox ADD COLUMN request_body BLOB;
    CREATE INDEX outbox_channel_queue ON outbox(channel, status, next_attempt_at);
    "#,
    // 11: (issue 10) the feeds due for a poll, found by their due time rather than by
    // reading every feed in every cycle; the articles some process has claimed, so the
    // service's "when is the next article due" reads a few rows, not all of them; and a
    // feed's articles, which every fetched feed marks (read by scanning every article,
    // 10,000 feeds took minutes a cycle at 100,000 articles).
    r#"
    CREATE INDEX feeds_due ON feeds(next_due_at);
    CREATE INDEX articles_claimed ON articles(claimed_until) WHERE claimed_until IS NOT NULL;
    CREATE INDEX articles_feed ON articles(feed_id);
    "#,
    // 12: (issue 14) hosts: a host's Retry-After pause (429 or 503), kept in the
    // database so that every process sharing it waits, not only the one that was told.
    r#"
    CREATE TABLE hosts (
        host            TEXT PRIMARY KEY,
        paused_until    TEXT NOT NULL,
        status          INTEGER NOT NULL
    );
    CREATE INDEX hosts_paused ON hosts(paused_until);
    "#,
    // 13: (issue 8) where each paragraph of a version sat on its page (one letter per
    // paragraph: `b` the story's run; `e`, `l`, `t` blocks beside it), so that a change confined
    // to the blocks beside the story is told from an edit; NULL for older versions.
    r#"
    ALTER TABLE versions ADD COLUMN paragraph_places TEXT;
    "#,
    // 14: (issue 14) host slots: one row per request a process has open to a host, at
    // most `[http] per_host` of them per host across every process on the database,
    // each claimed until a lease end like the other claims, so a dead holder's slots
    // lapse after `[state] lease`.
    r#"
    CREATE TABLE host_slots (
        host            TEXT NOT NULL,
        slot            INTEGER NOT NULL,
        claimed_by      TEXT NOT NULL,
        claimed_until   TEXT NOT NULL,
        PRIMARY KEY (host, slot)
    );
    CREATE INDEX host_slots_owner ON host_slots(claimed_by);
    "#,
    // 15: (issue 10) each article's number of versions, kept with the article so that
    // `redline articles` reads it with the row instead of counting every version.
    r#"
    ALTER TABLE articles ADD COLUMN version_count INTEGER NOT NULL DEFAULT 0;
    UPDATE articles SET version_count =
        (SELECT COUNT(*) FROM versions v WHERE v.article_id = articles.id);
    "#,
    // 16: (issue 10) the site template kept as one row per article, its shapes in one
    // value (their keys, one per line), instead of one row per shape: learning a page
    // writes one row, and reading a host's template counts the keys in memory. The
    // shapes carried over keep their text, each line marked by a leading U+0001 (see
    // `templates`).
    r#"
    CREATE TABLE article_templates (
        host    TEXT NOT NULL,
        url     TEXT NOT NULL,
        shapes  TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        PRIMARY KEY (host, url)
    );
    INSERT INTO article_templates (host, url, shapes, seen_at)
        SELECT host, url, group_concat(char(1) || shape, char(10)), MAX(seen_at)
        FROM templates GROUP BY host, url;
    DROP TABLE templates;
    ALTER TABLE article_templates RENAME TO templates;
    "#,
    // 17: (issue 10) the due revisits of articles with a version, apart from the first
    // fetches of new ones, so that a burst of new articles does not hold them back.
    r#"
    CREATE INDEX articles_due_known ON articles(state, next_check_at) WHERE version_count > 0;
    "#,
];

/// How long a connection waits for another process's write lock before giving up. Write
/// transactions last milliseconds; this only runs out when a process hangs holding one.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// What `/metrics` reads from the database.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Articles by state (`active`, `stopped`, `removed`).
    pub articles: Vec<(String, i64)>,
    pub versions: i64,
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
    /// Each feed's name and error streak.
    pub feed_streaks: Vec<(String, i64)>,
}

/// The database.
#[derive(Debug)]
pub struct Store {
    conn: Conn,
    /// Who this process is in the claims it takes: unique among the processes sharing
    /// the database.
    owner: String,
}

/// A name for this process in its claims: its pid and the moment it opened the store,
/// so a later process that reuses the pid is still someone else.
fn owner_name() -> String {
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "pid {} at {}.{:09}",
        std::process::id(),
        started.as_secs(),
        started.subsec_nanos()
    )
}

/// Times are stored as RFC 3339 text in UTC with milliseconds, which sorts as it reads.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses a stored time; a malformed one (never written by redline) reads as the epoch.
pub fn parse_ts(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn opt_ts(s: Option<String>) -> Option<DateTime<Utc>> {
    s.as_deref().map(parse_ts)
}

/// Whether an error is SQLite's "busy"/"locked" (another process holds the lock).
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// Switches the file to WAL. Two processes opening a new file at once both try; the
/// switch can report "locked" without waiting, so it is retried for as long as the busy
/// timeout would have waited.
fn set_wal(conn: &Connection) -> rusqlite::Result<()> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        let mode: rusqlite::Result<String> =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0));
        match mode {
            Err(e) if is_busy(&e) && std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(e),
            Ok(_) => return Ok(()),
        }
    }
}

/// The schema version: SQLite keeps it in `PRAGMA user_version`, PostgreSQL in the
/// table `schema_version`.
fn schema_version(conn: &Conn) -> Result<i64> {
    match conn.sqlite() {
        Some(c) => Ok(c.pragma_query_value(None, "user_version", |r| r.get(0))?),
        None => pg::schema_version(conn),
    }
}

fn set_schema_version(conn: &Conn, version: i64) -> Result<()> {
    match conn.sqlite() {
        Some(c) => Ok(c.pragma_update(None, "user_version", version)?),
        None => {
            conn.execute("UPDATE schema_version SET version = ?1", (version,))?;
            Ok(())
        }
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path`, in WAL mode, migrated to the
    /// current schema.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let mut store = Store {
            conn: Conn::lite(conn),
            owner: owner_name(),
        };
        store.configure(path)?;
        Ok(store)
    }

    /// Connects to the PostgreSQL database at `url` (`password` given apart from the URL,
    /// if at all), migrated to the current schema.
    pub fn open_postgres(url: &str, password: Option<&str>) -> Result<Store> {
        let mut conn = pg::connect(url, password)?;
        pg::migrate(&mut conn, &pg::redact(url), MIGRATIONS.len() as i64)?;
        Ok(Store {
            conn,
            owner: owner_name(),
        })
    }

    /// Opens the store `[state]` names: PostgreSQL when `database` is set, else the
    /// SQLite file in `dir`.
    pub fn open_state(state: &crate::config::StateConfig) -> Result<Store> {
        match state.database_url() {
            Some(url) => {
                let password = state.password().map_err(StoreError::Password)?;
                Store::open_postgres(url, password.as_deref())
            }
            None => Store::open(&state.dir.join("redline.db")),
        }
    }

    /// Whether the store is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.conn.is_postgres()
    }

    /// An in-memory database, for tests.
    pub fn open_in_memory() -> Result<Store> {
        let mut store = Store {
            conn: Conn::lite(Connection::open_in_memory()?),
            owner: owner_name(),
        };
        store.configure(Path::new(":memory:"))?;
        Ok(store)
    }

    fn configure(&mut self, path: &Path) -> Result<()> {
        if let Some(conn) = self.conn.sqlite() {
            // First, so that everything after it waits for another process's lock.
            conn.busy_timeout(BUSY_TIMEOUT)?;
            // WAL lets the CLI read while the daemon writes; NORMAL sync is safe in WAL (a
            // power cut may lose the last transaction, never corrupt the file).
            set_wal(conn).map_err(|source| StoreError::Open {
                path: path.to_path_buf(),
                source,
            })?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
        }
        self.migrate(path)
    }

    /// Applies the missing migrations. Each runs in a write transaction that re-reads the
    /// schema version first, so two processes opening an old file at once apply each
    /// migration once.
    fn migrate(&mut self, path: &Path) -> Result<()> {
        let known = MIGRATIONS.len() as i64;
        loop {
            let version = self.schema_version()?;
            if version > known {
                return Err(StoreError::TooNew {
                    path: path.to_path_buf(),
                    found: version,
                    known,
                });
            }
            if version == known {
                return Ok(());
            }
            let tx = self.write()?;
            if schema_version(&tx)? == version {
                tx.execute_batch(MIGRATIONS[version as usize])?;
                set_schema_version(&tx, version + 1)?;
                tx.commit()?;
                tracing::debug!(version = version + 1, "database migrated");
            }
        }
    }

    /// A write transaction, with the write lock taken up front (`BEGIN IMMEDIATE`): it
    /// waits for another writer instead of failing half-way, and what it reads cannot be
    /// changed by anyone else before it commits.
    fn write(&mut self) -> Result<Tx<'_>> {
        self.conn.write()
    }

    /// This process's name in the claims it takes.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64> {
        schema_version(&self.conn)
    }

    /// `PRAGMA integrity_check` on SQLite: "ok" when the file is sound. PostgreSQL
    /// checks its own pages; there it is "ok" when the server answers.
    pub fn integrity_check(&self) -> Result<String> {
        if self.conn.is_postgres() {
            self.integrity_quick()?;
            return Ok("ok".into());
        }
        self.conn
            .query_row("PRAGMA integrity_check", (), |r| r.get(0))
    }

    /// A cheap check that the database answers (for `/healthz`).
    pub fn integrity_quick(&self) -> Result<()> {
        self.conn
            .query_row("SELECT 1", (), |r| r.get::<_, i64>(0))?;
        Ok(())
    }

    /// Figures for `/metrics`.
    pub fn figures(&self) -> Result<Figures> {
        let articles = self.conn.query_map(
            "SELECT state, COUNT(*) FROM articles GROUP BY state ORDER BY state",
            (),
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let versions = self
            .conn
            .query_row("SELECT COUNT(*) FROM versions", (), |r| r.get(0))?;
        let (queued, sent, failed) = self.outbox_counts()?;
        let feed_streaks = self
            .feeds()?
            .into_iter()
            .map(|f| (f.name, f.error_streak))
            .collect();
        Ok(Figures {
            articles,
            versions,
            queued,
            sent,
            failed,
            feed_streaks,
        })
    }

    /// Looks an article up by the reference a user typed: its id or its URL.
    pub fn resolve_article(&self, reference: &str) -> Result<ArticleRow> {
        let found = match reference.trim().parse::<i64>() {
            Ok(id) => self.article(id)?,
            Err(_) => {
                let canonical = crate::feed::canonical_url(reference, None);
                let url = canonical.as_deref().unwrap_or(reference);
                let id: Option<i64> = match self.conn.query_opt(
                    "SELECT id FROM articles WHERE url = ?1 OR key = ?1 OR url = ?2 ORDER BY id LIMIT 1",
                    (url, reference),
                    |r| r.get(0),
                )? {
                    // A past address or an alias (an AMP copy) names the article too.
                    None => self.article_for(url, url)?,
                    found => found,
                };
                match id {
                    Some(id) => self.article(id)?,
                    None => None,
                }
            }
        };
        found.ok_or_else(|| StoreError::NoArticle(reference.to_string()))
    }
}

/// A handle to the store for async code. The store lives on a thread of its own, which
/// runs the calls one at a time in the order they came: SQLite (and the blocking
/// PostgreSQL client) never runs on an async thread, and a call costs one hand-over to
/// that thread and one back, not a hop to the blocking pool and a lock.
#[derive(Debug, Clone)]
pub struct Db {
    inner: Arc<Worker>,
}

/// A call for the store's thread: it runs the caller's closure and sends the result back.
type Job = Box<dyn FnOnce(&mut Store) + Send>;

/// How many calls may wait for the store's thread before a caller waits to hand its own
/// over.
const QUEUED_CALLS: usize = 64;

/// The store's thread and the channel to it. When the last [`Db`] goes, the channel
/// closes: the thread runs the calls still queued, closes the connection and ends, and
/// the drop waits for that, so a process that exits right after leaves its database
/// closed (SQLite checkpoints the WAL on the last close), as a dropped [`Store`] does.
#[derive(Debug)]
struct Worker {
    jobs: Option<tokio::sync::mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            // A call that held the last handle ends on the store's thread itself, which
            // cannot wait for itself: it ends once that call returns.
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl Db {
    pub fn new(store: Store) -> Db {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Job>(QUEUED_CALLS);
        let thread = std::thread::Builder::new()
            .name("redline-store".into())
            .spawn(move || {
                let mut store = store;
                while let Some(job) = rx.blocking_recv() {
                    job(&mut store);
                }
            });
        let thread = match thread {
            Ok(t) => Some(t),
            Err(e) => {
                // Without a thread of its own (the system refuses one) every call fails
                // with this error: the channel's receiver is gone.
                tracing::error!(error = %e, "cannot start the store's thread");
                None
            }
        };
        Db {
            inner: Arc::new(Worker {
                jobs: Some(tx),
                thread,
            }),
        }
    }

    /// Opens the store `[state]` names ([`Store::open_state`]) on the blocking pool: the
    /// PostgreSQL client blocks, and must never run on an async thread.
    pub async fn open(state: &crate::config::StateConfig) -> Result<Db> {
        let state = state.clone();
        let store = tokio::task::spawn_blocking(move || Store::open_state(&state))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))??;
        Ok(Db::new(store))
    }

    /// A second connection to the same store that takes claims under this one's owner
    /// name, so that they are this process's and renewed with the others. The delivery
    /// loop records a sent message on its own connection (and its own thread), not queued
    /// behind the checks' transactions: the time between the server's acceptance and the
    /// record (when a killed process would send the message again) stays as short as a
    /// write.
    pub async fn open_beside(&self, state: &crate::config::StateConfig) -> Result<Db> {
        let owner = self.call(|s| Ok(s.owner.clone())).await?;
        let state = state.clone();
        let mut store = tokio::task::spawn_blocking(move || Store::open_state(&state))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))??;
        store.owner = owner;
        Ok(Db::new(store))
    }

    /// Runs `f` with the store on the store's thread.
    pub async fn call<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut Store) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |store: &mut Store| {
            // A panic mid-call drops the answer (the caller sees an error); SQLite's own
            // transactions keep the data sound, so the thread carries on with the
            // connection.
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                crate::cpu::measure(crate::cpu::Stage::Store, || f(store))
            }));
            if let Ok(out) = out {
                // The caller may have gone (its future dropped): the result goes with it.
                let _ = tx.send(out);
            }
        });
        let stopped = || StoreError::Task("the store's thread has stopped".into());
        let jobs = self.inner.jobs.as_ref().ok_or_else(stopped)?;
        jobs.send(job).await.map_err(|_| stopped())?;
        rx.await
            .map_err(|_| StoreError::Task("a store call panicked".into()))?
    }
}

/// Store tests run on each backend: SQLite in memory, and a PostgreSQL database of the
/// test's own when [`pg::TEST_ENV`] names a server.
#[cfg(test)]
pub(crate) mod backends {
    use super::Store;
    use super::pg::ScratchDb;

    /// One backend's store for a test; its scratch database goes with it.
    #[derive(Debug)]
    pub struct Backend {
        pub name: &'static str,
        pub store: Store,
        /// A second process's connection to the same database.
        pub other: Store,
        _dir: Option<tempfile::TempDir>,
        _db: Option<ScratchDb>,
    }

    /// Each backend, fresh; two connections (two "processes") to each.
    pub fn each() -> Vec<Backend> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("redline.db");
        let mut out = vec![Backend {
            name: "sqlite",
            store: Store::open(&path).expect("open sqlite"),
            other: Store::open(&path).expect("open sqlite again"),
            _dir: Some(dir),
            _db: None,
        }];
        if let Some(db) = ScratchDb::create() {
            out.push(Backend {
                name: "postgres",
                store: Store::open_postgres(&db.url, None).expect("open postgres"),
                other: Store::open_postgres(&db.url, None).expect("open postgres again"),
                _dir: None,
                _db: Some(db),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_migrates_and_reopens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/redline.db");
        let store = Store::open(&path).expect("open");
        assert_eq!(
            store.schema_version().expect("version"),
            MIGRATIONS.len() as i64
        );
        drop(store);
        let store = Store::open(&path).expect("reopen");
        assert_eq!(store.integrity_check().expect("check"), "ok");
    }

    #[test]
    fn refuses_newer_schema() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("redline.db");
        let store = Store::open(&path).expect("open");
        set_schema_version(&store.conn, 99).expect("set");
        drop(store);
        assert!(matches!(
            Store::open(&path),
            Err(StoreError::TooNew { found: 99, .. })
        ));
    }

    #[test]
    fn every_migration_has_a_postgres_twin() {
        assert_eq!(
            pg::PG_BASE + pg::PG_MIGRATIONS.len() as i64 - 1,
            MIGRATIONS.len() as i64,
            "append the PostgreSQL twin of each new migration to pg::PG_MIGRATIONS"
        );
    }

    #[test]
    fn postgres_migrates_once_and_refuses_a_newer_schema() {
        let Some(db) = pg::ScratchDb::create() else {
            return;
        };
        let a = Store::open_postgres(&db.url, None).expect("open");
        assert!(a.is_postgres());
        assert_eq!(
            a.schema_version().expect("version"),
            MIGRATIONS.len() as i64
        );
        let b = Store::open_postgres(&db.url, None).expect("reopen");
        assert_eq!(b.integrity_check().expect("check"), "ok");
        set_schema_version(&b.conn, 99).expect("set");
        assert!(matches!(
            Store::open_postgres(&db.url, None),
            Err(StoreError::TooNew { found: 99, .. })
        ));
    }

    #[test]
    fn a_bad_postgres_url_or_password_is_a_clear_error() {
        let err = Store::open_postgres("postgres://redline:secret@127.0.0.1:1/none", None)
            .expect_err("nothing listens on port 1");
        let text = err.to_string();
        assert!(text.contains("cannot connect to PostgreSQL"), "{text}");
        assert!(!text.contains("secret"), "the password stays out: {text}");
    }

    #[test]
    fn placeholders_become_dollars_outside_quotes() {
        assert_eq!(
            sql::pg_placeholders("SELECT '?1', ?1 FROM t WHERE a = ?12 AND b = \"?x\""),
            "SELECT '?1', $1 FROM t WHERE a = $12 AND b = \"?x\""
        );
    }

    #[test]
    fn a_cached_statement_is_not_prepared_again_for_new_values() {
        // Without the query planner's stability guarantee, SQLite plans some statements
        // for the values bound (this one among them), and prepares them again each time
        // other values are bound: a statement compiled per check instead of once.
        let store = Store::open_in_memory().expect("open");
        let conn = store.conn.sqlite().expect("sqlite");
        let sql = "SELECT MAX(number) FROM versions WHERE article_id = ?1";
        for id in 1..=3_i64 {
            let _: Option<i64> = store
                .conn
                .query_row(sql, [id], |r| r.get(0))
                .expect("query");
        }
        let stmt = conn.prepare_cached(sql).expect("cached");
        assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
    }

    #[test]
    fn timestamps_round_trip() {
        let t = Utc::now();
        let back = parse_ts(&ts(t));
        assert_eq!(ts(back), ts(t));
    }
}
