//! Topic queries. Placeholder until the query parser lands: accepts any query whose
//! parentheses balance and matches case-insensitively on every bare word.

use std::fmt;

#[derive(Debug, Clone)]
pub struct Query(Vec<String>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub column: usize,
    pub message: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for QueryError {}

#[derive(Debug, Clone)]
pub struct MatchText(String);

impl MatchText {
    pub fn new(text: &str) -> MatchText {
        MatchText(text.to_lowercase())
    }
}

impl Query {
    pub fn parse(q: &str) -> Result<Query, QueryError> {
        let mut depth = 0i32;
        for (i, c) in q.chars().enumerate() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
            if depth < 0 {
                return Err(QueryError {
                    column: i + 1,
                    message: "unbalanced ')'".into(),
                });
            }
        }
        if depth != 0 {
            return Err(QueryError {
                column: q.chars().count() + 1,
                message: "missing ')'".into(),
            });
        }
        Ok(Query(
            q.split_whitespace()
                .map(|w| w.trim_matches(['(', ')', '"']).to_lowercase())
                .filter(|w| !["and", "or", "not"].contains(&w.as_str()))
                .collect(),
        ))
    }

    pub fn matches(&self, text: &MatchText) -> bool {
        self.0.iter().any(|w| text.0.contains(w.as_str()))
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.join(" OR "))
    }
}
