//! Hosts: the pauses servers asked for, shared by every process on one database.
//!
//! A server that answers 429 or 503 with `Retry-After` is asking redline, not one of its
//! processes, to wait. The fetcher keeps the pause in memory for its own requests
//! ([`crate::fetch::Fetcher`]); the watcher writes each new pause here and reads the live
//! ones back now and then (see `watch::Watcher::sync_hosts`), so another worker that has
//! not been told holds its requests to that host too. A pause is written only when one
//! is met, and read with one indexed query at most once a second per process: a
//! request that meets no pause costs the store nothing.
//!
//! `[http] per_host` holds across processes the same way: a host has `per_host` request
//! slots (rows of `host_slots`, numbered from 0), and a process takes one before it
//! sends a request to the host and gives it back after. A slot is claimed like a feed
//! or an article (its holder and a lease end, renewed with the holder's other claims by
//! [`Store::renew_claims`]), so the slots of a process that died lapse after `[state]
//! lease` and the host is anyone's again. The watcher hands a slot from one of its
//! requests to the next without the store while it has more requests waiting for the
//! host, and keeps an idle slot a moment for the next (see `watch::slots`), so a busy
//! host costs a take and a give-back per burst, not per request.

use chrono::{DateTime, Utc};

use super::{Result, Store, parse_ts, ts};

/// What [`Store::take_host_slot`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostSlot {
    /// This process holds the slot with this number.
    Taken(i64),
    /// Every slot is held; the first runs out at `lapses` unless its holder renews it.
    Full { lapses: Option<DateTime<Utc>> },
}

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

    /// Takes one of `host`'s `per_host` request slots for this process until `until`:
    /// the first one nobody holds at `now` (a slot whose claim ran out is nobody's).
    /// When all are held, says when the first of them runs out unless renewed.
    pub fn take_host_slot(
        &mut self,
        host: &str,
        per_host: usize,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<HostSlot> {
        let owner = self.owner.clone();
        let tx = self.conn.claim()?;
        for slot in 0..per_host as i64 {
            // On PostgreSQL a row another worker is taking at this moment is waited for
            // (the conflict locks it): milliseconds, and then its claim is seen.
            let taken = tx.execute(
                "INSERT INTO host_slots (host, slot, claimed_by, claimed_until)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (host, slot) DO UPDATE SET
                     claimed_by = excluded.claimed_by, claimed_until = excluded.claimed_until
                 WHERE host_slots.claimed_until <= ?5",
                (host, slot, &owner, ts(until), ts(now)),
            )?;
            if taken == 1 {
                tx.commit()?;
                return Ok(HostSlot::Taken(slot));
            }
        }
        let lapses: Option<String> = tx.query_row(
            "SELECT MIN(claimed_until) FROM host_slots WHERE host = ?1 AND slot < ?2",
            (host, per_host as i64),
            |r| r.get(0),
        )?;
        tx.commit()?;
        Ok(HostSlot::Full {
            lapses: lapses.map(|t| parse_ts(&t)),
        })
    }

    /// Gives back slots this process took with [`Store::take_host_slot`], in one
    /// transaction (a slot it no longer holds, because its claim ran out and another
    /// took it, is left alone).
    ///
    /// The rows are deleted in the order [`Store::take_host_slot`] locks them (by host,
    /// then slot): on PostgreSQL a give-back of slots 1 and 0 beside a take that holds
    /// slot 0 and waits for slot 1 would otherwise deadlock, and the server would cancel
    /// one of the two.
    pub fn release_host_slots(&mut self, slots: &[(String, i64)]) -> Result<()> {
        let owner = self.owner.clone();
        let mut slots = slots.to_vec();
        slots.sort();
        let tx = self.conn.claim()?;
        for (host, slot) in &slots {
            tx.execute(
                "DELETE FROM host_slots WHERE host = ?1 AND slot = ?2 AND claimed_by = ?3",
                (host, slot, &owner),
            )?;
        }
        tx.commit()?;
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

    #[test]
    fn host_slots_are_disjoint_across_processes_and_lapse_after_the_lease() {
        for backend in crate::store::backends::each() {
            eprintln!("backend: {}", backend.name);
            let (mut a, mut b) = (backend.store, backend.other);
            let now = Utc::now();
            let until = now + Duration::seconds(60);
            let take = |s: &mut Store, host: &str, at: DateTime<Utc>| {
                s.take_host_slot(host, 2, at, at + Duration::seconds(60))
                    .expect("take")
            };
            assert_eq!(take(&mut a, "news.example", now), HostSlot::Taken(0));
            assert_eq!(take(&mut b, "news.example", now), HostSlot::Taken(1));
            // Both slots are held: a third request waits, and is told when one lapses.
            let full = HostSlot::Full {
                lapses: Some(parse_ts(&ts(until))),
            };
            assert_eq!(take(&mut a, "news.example", now), full);
            assert_eq!(take(&mut b, "news.example", now), full);
            // Another host has slots of its own.
            assert_eq!(take(&mut b, "other.example", now), HostSlot::Taken(0));
            // a gives its slot back: b may take it.
            let slot = [("news.example".to_string(), 0)];
            a.release_host_slots(&slot).expect("release");
            assert_eq!(take(&mut b, "news.example", now), HostSlot::Taken(0));
            // a giving back a slot b holds changes nothing.
            a.release_host_slots(&slot).expect("release");
            assert_eq!(take(&mut a, "news.example", now), full);
            // b renews its claims at 50 s: past the first lease its slots still hold.
            let renewed = now + Duration::seconds(50);
            b.renew_claims(renewed + Duration::seconds(60))
                .expect("renew");
            let t = until + Duration::seconds(1);
            assert!(matches!(
                take(&mut a, "news.example", t),
                HostSlot::Full { .. }
            ));
            // b dies: once its renewed lease has run out, a takes its slots.
            let t = renewed + Duration::seconds(61);
            assert_eq!(take(&mut a, "news.example", t), HostSlot::Taken(0));
            assert_eq!(take(&mut a, "news.example", t), HostSlot::Taken(1));
            // per_host = 1 counts only the first slot.
            assert!(matches!(
                b.take_host_slot("news.example", 1, t, t + Duration::seconds(60))
                    .expect("take"),
                HostSlot::Full { .. }
            ));
        }
    }
}
