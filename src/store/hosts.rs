//! Hosts: the pauses servers asked for, shared by every process on one database.
//!
//! A server that answers 429 or 503 with `Retry-After` is asking redline, not one of its
//! processes, to wait. The fetcher keeps the pause in memory for its own requests
//! ([`crate::fetch::Fetcher`]); the watcher writes each new pause here and reads the live
//! ones back now and then (see `watch::Watcher::sync_hosts`), so another worker that has
//! not been told holds its requests to that host too. A pause is written only when one
//! is met, and read with one indexed query at most once a second per process: a
//! request that meets no pause costs the store nothing.

use chrono::{DateTime, Utc};

use super::{Result, Store, parse_ts, ts};

impl Store {
    /// Records that `host` answered `status` and asked for a pause until `until`; a
    /// longer pause already recorded stands. One statement, atomic on both backends.
    pub fn pause_host(&mut self, host: &str, until: DateTime<Utc>, status: u16) -> Result<()> {
        self.conn.execute(
            "INSERT INTO hosts (host, paused_until, status) VALUES (?1, ?2, ?3)
             ON CONFLICT (host) DO UPDATE SET
                 paused_until = excluded.paused_until, status = excluded.status
             WHERE hosts.paused_until < excluded.paused_until",
            (host, ts(until), status),
        )?;
        Ok(())
    }

    /// The hosts paused past `now`, with the end of each pause.
    pub fn host_pauses(&self, now: DateTime<Utc>) -> Result<Vec<(String, DateTime<Utc>)>> {
        self.conn.query_map(
            "SELECT host, paused_until FROM hosts WHERE paused_until > ?1 ORDER BY host",
            [ts(now)],
            |r| Ok((r.get(0)?, parse_ts(&r.get::<_, String>(1)?))),
        )
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn a_pause_is_seen_by_the_other_process_and_only_grows() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let (mut a, mut b) = (backend.store, backend.other);
            let now = Utc::now();
            let later = now + Duration::seconds(120);
            assert!(b.host_pauses(now).expect("read").is_empty());
            a.pause_host("news.example", later, 429).expect("pause");
            let seen = b.host_pauses(now).expect("read");
            assert_eq!(seen.len(), 1);
            assert_eq!(seen[0].0, "news.example");
            assert_eq!(ts(seen[0].1), ts(later));
            // A shorter pause met by b does not cut a's short.
            b.pause_host("news.example", now + Duration::seconds(5), 503)
                .expect("pause");
            assert_eq!(ts(a.host_pauses(now).expect("read")[0].1), ts(later));
            // A longer one extends it; once it is over, nobody is paused.
            let longest = now + Duration::seconds(600);
            b.pause_host("news.example", longest, 503).expect("pause");
            assert_eq!(ts(a.host_pauses(now).expect("read")[0].1), ts(longest));
            assert!(a.host_pauses(longest).expect("read").is_empty());
        }
    }
}
