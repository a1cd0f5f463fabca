//! Plain-text tables for listing commands: left-aligned columns sized to their widest
//! cell, two spaces apart, the last column never padded. Widths are display widths, so
//! Chinese and Japanese titles (two columns a character) line up too.

use std::fmt::{Display, Write};

use unicode_width::UnicodeWidthStr;

/// A table with a header row. The cells' text is kept in one buffer (a listing of
/// 100,000 articles is 600,000 cells; one allocation each was most of its cost).
#[derive(Debug, Default)]
pub struct Table {
    text: String,
    /// Each cell: where its text is in `text`, and its display width.
    cells: Vec<(usize, usize, usize)>,
    /// Where each row's cells end in `cells`.
    rows: Vec<usize>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        let mut t = Table::default();
        t.cells(&header.iter().map(|h| h as &dyn Display).collect::<Vec<_>>());
        t
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.cells(&cells.iter().map(|c| c as &dyn Display).collect::<Vec<_>>());
    }

    /// Adds a row of cells written as they display, without a string for each.
    pub fn cells(&mut self, cells: &[&dyn Display]) {
        for cell in cells {
            self.cell(cell);
        }
        self.end_row();
    }

    /// Adds a cell to the row being written, as it displays.
    pub fn cell(&mut self, cell: &dyn Display) {
        let start = self.text.len();
        // Writing to a String cannot fail.
        let _ = write!(self.text, "{cell}");
        self.close_cell(start);
    }

    fn close_cell(&mut self, start: usize) {
        let w = width(&self.text[start..]);
        self.cells.push((start, self.text.len(), w));
    }

    /// Ends the row being written.
    pub fn end_row(&mut self) {
        self.rows.push(self.cells.len());
    }

    /// Each row's cells: (text, display width).
    fn each_row(&self) -> impl Iterator<Item = &[(usize, usize, usize)]> {
        let mut start = 0;
        self.rows.iter().map(move |&end| {
            let row = &self.cells[start..end];
            start = end;
            row
        })
    }
}

/// `s` cut to `max` characters: what to keep, and whether an ellipsis follows it (the
/// ellipsis is the `max`th character when `s` was longer).
pub fn truncate(s: &str, max: usize) -> (&str, bool) {
    // No more bytes than `max` is no more characters either.
    if s.len() <= max || max == 0 {
        return (s, false);
    }
    // Text whose first `max` bytes are ASCII has more than `max` characters, and its
    // `max`th character is its `max`th byte.
    if s.as_bytes()[..max].is_ascii() {
        return (&s[..max - 1], true);
    }
    let mut from_last = s.char_indices().skip(max - 1).map(|(i, _)| i);
    // Where the last character that fits starts, if another follows it.
    match from_last.next().filter(|_| from_last.next().is_some()) {
        Some(at) => (&s[..at], true),
        None => (s, false),
    }
}

/// Appends one table line to `line` as [`Table`] writes it: each cell (text, display
/// width) padded to its column's width and two spaces, the last one not padded, no
/// trailing spaces, a newline.
pub fn push_line(line: &mut String, cells: &[(&str, usize)], widths: &[usize]) {
    let start = line.len();
    for (c, &(text, w)) in cells.iter().enumerate() {
        line.push_str(text);
        if c + 1 < cells.len() {
            let pad = widths[c].saturating_sub(w) + 2;
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
    let end = start + line[start..].trim_end().len();
    line.truncate(end);
    line.push('\n');
}

/// A cell's display width; printable ASCII (most cells: ids, times, URLs) is one column
/// a byte, which is much cheaper to count than looking each character up.
pub fn width(s: &str) -> usize {
    if s.bytes()
        .fold(true, |ok, b| ok & (b.wrapping_sub(0x20) < 0x5f))
    {
        s.len()
    } else {
        s.width()
    }
}

impl Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut widths = Vec::new();
        for row in self.each_row() {
            if widths.len() < row.len() {
                widths.resize(row.len(), 0);
            }
            for (c, &(_, _, w)) in row.iter().enumerate() {
                widths[c] = widths[c].max(w);
            }
        }
        let mut line = String::new();
        let mut cells = Vec::new();
        for row in self.each_row() {
            line.clear();
            cells.clear();
            cells.extend(
                row.iter()
                    .map(|&(start, end, w)| (&self.text[start..end], w)),
            );
            push_line(&mut line, &cells, &widths);
            f.write_str(&line)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_keeps_max_characters_the_last_an_ellipsis() {
        let cut = |s| {
            let (kept, cut) = truncate(s, 5);
            format!("{kept}{}", if cut { "…" } else { "" })
        };
        for (s, want) in [
            ("short", "short"),
            ("exactly5", "exac…"),
            ("éééééé", "éééé…"),
            ("ééééé", "ééééé"),
            ("abcdé", "abcdé"),
            ("abcdéf", "abcd…"),
            ("abcde€", "abcd…"),
            ("", ""),
        ] {
            assert_eq!(cut(s), want, "{s:?}");
        }
    }

    #[test]
    fn push_line_lays_out_as_the_table_does() {
        let mut t = Table::new(&["ID", "TITLE", "URL"]);
        t.row(vec!["1".into(), "Short".into(), "http://a".into()]);
        t.row(vec!["100".into(), "普京".into(), String::new()]);
        let widths = [3, 5, 3];
        let mut out = String::new();
        push_line(&mut out, &[("ID", 2), ("TITLE", 5), ("URL", 3)], &widths);
        push_line(
            &mut out,
            &[("1", 1), ("Short", 5), ("http://a", 8)],
            &widths,
        );
        push_line(&mut out, &[("100", 3), ("普京", 4), ("", 0)], &widths);
        assert_eq!(out, t.to_string());
    }

    #[test]
    fn columns_align() {
        let mut t = Table::new(&["ID", "TITLE"]);
        t.row(vec!["1".into(), "Short".into()]);
        t.row(vec!["100".into(), "Longer one".into()]);
        assert_eq!(t.to_string(), "ID   TITLE\n1    Short\n100  Longer one\n");
    }

    #[test]
    fn ascii_widths_are_counted_as_unicode_counts_them() {
        let printable: String = (0x20u8..0x7f).map(char::from).collect();
        assert_eq!(width(&printable), printable.width());
        for s in ["tab\there", "é", "普京", "a\u{301}", ""] {
            assert_eq!(width(s), s.width(), "{s:?}");
        }
    }

    #[test]
    fn wide_characters_take_two_columns() {
        let mut t = Table::new(&["TITLE", "URL"]);
        t.row(vec!["普京称中俄".into(), "http://a".into()]);
        t.row(vec!["Putin".into(), "http://b".into()]);
        t.row(vec!["プーチン".into(), "http://c".into()]);
        let out = t.to_string();
        // Every URL starts at the same display column.
        let columns: Vec<usize> = out
            .lines()
            .map(|l| {
                let at = l
                    .find("http")
                    .or_else(|| l.find("URL"))
                    .expect("url column");
                l[..at].width()
            })
            .collect();
        assert_eq!(columns, vec![12; 4], "{out}");
    }
}
