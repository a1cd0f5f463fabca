//! The states and kinds the store keeps as words: an article's state, an alert's kind, a
//! delivery's status, why a check made no version, and a version's change labels.
//!
//! Each is an enum that converts to and from SQL (`ToSql`/`FromSql`) and JSON (serde)
//! here, once, so a typo is a compile error instead of a wrong mail. The stored words are
//! the ones earlier versions of redline wrote, so old databases read unchanged.

use std::fmt;
use std::str::FromStr;

use super::sql::{FromColumn, ToValue, Value};

use crate::diff::Labels;

/// A stored word that names no known state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?} in the database (written by a newer redline? upgrade redline)")]
pub struct UnknownWord {
    pub what: &'static str,
    pub value: String,
}

macro_rules! word_enum {
    (
        $(#[$meta:meta])*
        $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $word:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $word)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored (and JSON) word.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $word ),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownWord;

            fn from_str(s: &str) -> Result<$name, UnknownWord> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| UnknownWord { what: $what, value: s.to_string() })
            }
        }

        impl ToValue for $name {
            fn to_value(&self) -> Value<'_> {
                Value::Text(self.as_str().into())
            }
        }

        impl FromColumn for $name {
            fn from_value(value: Value<'_>) -> Result<$name, String> {
                String::from_value(value)?
                    .parse()
                    .map_err(|e: UnknownWord| e.to_string())
            }
        }
    };
}

word_enum! {
    /// Where an article is in its life.
    ArticleState ("article state") {
        /// Being revisited on the ladder.
        Active = "active",
        /// Past `stop_after`: no longer revisited.
        Stopped = "stopped",
        /// The page is gone (404/410, confirmed).
        Removed = "removed",
        /// A copy joined to another article after it had versions.
        Joined = "joined",
    }
}

word_enum! {
    /// What happened to an article, as an alert reports it.
    AlertKind ("alert kind") {
        /// A new version changed the wording.
        Reworded = "reworded",
        /// The article disappeared from its link.
        Removed = "removed",
        /// A "like this article" topic matched a new article: it is set against the copy.
        Coverage = "coverage",
    }
}

impl AlertKind {
    /// The word used in subjects: `reworded`, `removed` or `coverage`.
    pub fn verb(self) -> &'static str {
        self.as_str()
    }
}

word_enum! {
    /// Where one recipient's copy of an alert is.
    DeliveryStatus ("delivery status") {
        /// Waiting to be sent (first try or a retry).
        Queued = "queued",
        /// Accepted by the transport.
        Sent = "sent",
        /// Refused for good; never tried again.
        Failed = "failed",
    }
}

word_enum! {
    /// How one copy of an alert leaves: by email to an address, or POSTed to a webhook.
    Channel ("delivery channel") {
        /// The outbox row's recipient is an email address.
        Email = "email",
        /// The outbox row's recipient is the name of a `[[webhook]]`.
        Webhook = "webhook",
    }
}

word_enum! {
    /// Why a check of a page that changed made no version. (Checks that made a version
    /// without an alert say why in the version's note.)
    Quiet ("check outcome") {
        /// Only text the feed's `ignore` patterns match changed.
        FurnitureOnly = "furniture only",
        /// Only whitespace or invisible characters changed.
        Cosmetic = "cosmetic",
        /// Most of the text vanished at once: held back as a suspected paywall, error or
        /// consent page.
        Shrink = "shrink",
    }
}

impl ToValue for Labels {
    fn to_value(&self) -> Value<'_> {
        Value::Text(self.to_storage().into())
    }
}

impl FromColumn for Labels {
    fn from_value(value: Value<'_>) -> Result<Labels, String> {
        Ok(Labels::from_storage(&String::from_value(value)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::Label;

    #[test]
    fn words_round_trip_through_sql_and_json() {
        let conn =
            super::super::sql::Conn::lite(rusqlite::Connection::open_in_memory().expect("open"));
        for s in ArticleState::ALL {
            let back: ArticleState = conn
                .query_row("SELECT ?1", [s], |r| r.get(0))
                .expect("round trip");
            assert_eq!(back, *s);
            assert_eq!(
                serde_json::to_string(s).ok(),
                Some(format!("\"{}\"", s.as_str()))
            );
        }
        for s in Channel::ALL {
            let back: Channel = conn
                .query_row("SELECT ?1", [s], |r| r.get(0))
                .expect("round trip");
            assert_eq!(back, *s);
        }
        for s in DeliveryStatus::ALL {
            let back: DeliveryStatus = conn
                .query_row("SELECT ?1", [s], |r| r.get(0))
                .expect("round trip");
            assert_eq!(back, *s);
        }
        assert_eq!(AlertKind::Reworded.verb(), "reworded");
        let bad: super::super::Result<AlertKind> =
            conn.query_row("SELECT 'renamed'", (), |r| r.get(0));
        let err = bad.expect_err("an unknown word is an error");
        assert!(err.to_string().contains("unknown alert kind"), "{err}");
        let labels: Labels = [Label::Names, Label::Headline].into_iter().collect();
        let back: Labels = conn
            .query_row("SELECT ?1", [&labels], |r| r.get(0))
            .expect("round trip");
        assert_eq!(back, labels);
        assert_eq!(Quiet::FurnitureOnly.to_string(), "furniture only");
    }
}
