//! The query parser: characters → lexemes → [`Node`] tree, with the column of every
//! mistake.
//!
//! ```text
//! or    = and { "OR" and }
//! and   = unary { ["AND"] unary }        adjacent terms mean AND
//! unary = "NOT" unary | "(" or ")" | term
//! term  = word | word* | "phrase"
//! ```

use super::fold::{fold, is_word_char, tokenize};
use super::{Node, Piece, QueryError, Term};

/// Nesting beyond this is refused, so that parsing, matching and dropping a query (all
/// recursive) cannot overflow the stack on a hostile or broken config.
const MAX_DEPTH: usize = 100;

#[derive(Debug)]
enum Lex {
    Open,
    Close,
    And,
    Or,
    Not,
    Term(Term),
}

#[derive(Debug)]
struct Item {
    lex: Lex,
    /// 1-based character column where the lexeme starts.
    col: usize,
}

fn err(column: usize, message: impl Into<String>) -> QueryError {
    QueryError {
        column,
        message: message.into(),
    }
}

/// Curly quotes count as quotes: they are what a query pasted from a document holds.
fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '„')
}

pub(super) fn parse(q: &str) -> Result<Node, QueryError> {
    let chars: Vec<char> = q.chars().collect();
    let items = lex(&chars)?;
    if items.is_empty() {
        return Err(err(1, "empty query: write at least one word"));
    }
    let mut parser = Parser {
        items,
        pos: 0,
        end_col: chars.len() + 1,
        depth: 0,
    };
    let node = parser.or()?;
    match parser.items.get(parser.pos) {
        // `or` stops only at the end or at a `)` it cannot use.
        Some(item) => Err(err(item.col, "')' has no matching '('")),
        None => Ok(node),
    }
}

fn lex(chars: &[char]) -> Result<Vec<Item>, QueryError> {
    let mut items = Vec::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let lex = match c {
            '(' => {
                i += 1;
                Lex::Open
            }
            ')' => {
                i += 1;
                Lex::Close
            }
            _ if is_quote(c) => {
                let Some(len) = chars[i + 1..].iter().position(|&c| is_quote(c)) else {
                    return Err(err(col, "this quote is never closed"));
                };
                let body = &chars[i + 1..i + 1 + len];
                i += len + 2;
                Lex::Term(phrase(body, col)?)
            }
            _ => {
                let len = chars[i..]
                    .iter()
                    .position(|&c| c.is_whitespace() || c == '(' || c == ')' || is_quote(c))
                    .unwrap_or(chars.len() - i);
                let word = &chars[i..i + len];
                i += len;
                match word {
                    ['A', 'N', 'D'] => Lex::And,
                    ['O', 'R'] => Lex::Or,
                    ['N', 'O', 'T'] => Lex::Not,
                    _ => {
                        let pieces = pieces(word, col)?;
                        if pieces.is_empty() {
                            let word: String = word.iter().collect();
                            return Err(err(
                                col,
                                format!(
                                    "'{word}' has no letters or digits to match (to exclude a word, use NOT)"
                                ),
                            ));
                        }
                        Lex::Term(Term { pieces })
                    }
                }
            }
        };
        items.push(Item { lex, col });
    }
    Ok(items)
}

/// The body of a quoted phrase, whose opening quote is at `quote_col`.
fn phrase(body: &[char], quote_col: usize) -> Result<Term, QueryError> {
    let mut all = Vec::new();
    let mut i = 0;
    while i < body.len() {
        if body[i].is_whitespace() {
            i += 1;
            continue;
        }
        let len = body[i..]
            .iter()
            .position(|c| c.is_whitespace())
            .unwrap_or(body.len() - i);
        // Punctuation-only pieces (`build - up`) simply vanish, as they do in documents.
        all.extend(pieces(&body[i..i + len], quote_col + 1 + i)?);
        i += len;
    }
    if all.is_empty() {
        return Err(err(quote_col, "empty phrase: put words between the quotes"));
    }
    Ok(Term { pieces: all })
}

/// The tokens of one whitespace-free piece of a query starting at column `col`, the
/// last one marked as a prefix when the piece ends in `*`.
fn pieces(word: &[char], col: usize) -> Result<Vec<Piece>, QueryError> {
    let (body, star) = match word {
        [body @ .., '*'] => (body, true),
        _ => (word, false),
    };
    if let Some(k) = body.iter().position(|&c| c == '*') {
        return Err(err(
            col + k,
            "'*' can only end a word, as in sanction* (a prefix)",
        ));
    }
    if star && !body.last().is_some_and(|&c| is_word_char(c)) {
        return Err(err(
            col + body.len(),
            "'*' must follow a letter or digit, as in sanction*",
        ));
    }
    let folded = fold(&body.iter().collect::<String>());
    let mut out = Vec::new();
    tokenize(&folded, |kind, text| {
        out.push(Piece {
            kind,
            text: text.to_owned(),
            prefix: false,
        });
    });
    if let Some(last) = out.last_mut() {
        last.prefix = star;
    }
    Ok(out)
}

struct Parser {
    items: Vec<Item>,
    pos: usize,
    /// The column just past the query, where a missing `)` belongs.
    end_col: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Lex> {
        self.items.get(self.pos).map(|item| &item.lex)
    }

    fn or(&mut self) -> Result<Node, QueryError> {
        let mut parts = vec![self.and()?];
        while let Some(Lex::Or) = self.peek() {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(Node::or(parts))
    }

    fn and(&mut self) -> Result<Node, QueryError> {
        let mut parts = vec![self.unary()?];
        loop {
            match self.peek() {
                Some(Lex::And) => self.pos += 1,
                Some(Lex::Term(_) | Lex::Open | Lex::Not) => {}
                _ => break,
            }
            parts.push(self.unary()?);
        }
        Ok(Node::and(parts))
    }

    fn unary(&mut self) -> Result<Node, QueryError> {
        let col = self
            .items
            .get(self.pos)
            .map_or(self.end_col, |item| item.col);
        match self.items.get_mut(self.pos).map(|item| &mut item.lex) {
            Some(Lex::Not) => {
                self.pos += 1;
                self.deeper(col)?;
                let node = self.unary()?;
                self.depth -= 1;
                Ok(Node::Not(Box::new(node)))
            }
            Some(Lex::Open) => {
                self.pos += 1;
                self.deeper(col)?;
                let node = self.or()?;
                self.depth -= 1;
                match self.peek() {
                    Some(Lex::Close) => {
                        self.pos += 1;
                        Ok(node)
                    }
                    _ => Err(err(
                        self.end_col,
                        format!("missing ')' to close the '(' at column {col}"),
                    )),
                }
            }
            Some(Lex::Term(term)) => {
                // Each lexeme is used once, so the term can be moved out.
                let term = std::mem::take(term);
                self.pos += 1;
                Ok(Node::Term(term))
            }
            _ => Err(self.missing_operand()),
        }
    }

    fn deeper(&mut self, col: usize) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(err(
                col,
                format!("query nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        Ok(())
    }

    /// The error for a place where a word, phrase, `NOT` or `(` was needed but the
    /// query ended or held an operator or `)`: blame whichever lexeme is at fault. Only
    /// the start of the query, `(` and the operators are ever followed by that place.
    fn missing_operand(&self) -> QueryError {
        let prev = self.pos.checked_sub(1).and_then(|i| self.items.get(i));
        let cur = self.items.get(self.pos);
        let cur_op = cur.and_then(|c| op_name(&c.lex));
        if let Some(p) = prev {
            if let Some(op) = op_name(&p.lex) {
                return match (cur, cur_op) {
                    (Some(c), Some(next)) => err(
                        c.col,
                        format!(
                            "'{next}' right after '{op}': put a word, phrase or group between them"
                        ),
                    ),
                    _ => err(p.col, format!("'{op}' has nothing after it")),
                };
            }
            if matches!(p.lex, Lex::Open) && cur.is_none() {
                return err(
                    self.end_col,
                    format!("missing ')' to close the '(' at column {}", p.col),
                );
            }
            if matches!(p.lex, Lex::Open) && cur.is_some_and(|c| matches!(c.lex, Lex::Close)) {
                return err(p.col, "empty parentheses");
            }
        }
        match (cur, cur_op) {
            (Some(c), Some(op)) => err(c.col, format!("'{op}' has nothing before it")),
            (Some(c), None) => err(c.col, "')' has no matching '('"),
            (None, _) => err(self.end_col, "expected a word, phrase or '('"),
        }
    }
}

fn op_name(lex: &Lex) -> Option<&'static str> {
    match lex {
        Lex::And => Some("AND"),
        Lex::Or => Some("OR"),
        Lex::Not => Some("NOT"),
        _ => None,
    }
}
