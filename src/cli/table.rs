//! Plain-text tables for listing commands: left-aligned columns sized to their widest
//! cell, two spaces apart, the last column never padded. Widths are display widths, so
//! Chinese and Japanese titles (two columns a character) line up too.

use unicode_width::UnicodeWidthStr;

/// A table with a header row.
#[derive(Debug, Default)]
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table {
            rows: vec![header.iter().map(|h| h.to_string()).collect()],
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// True when only the header is there.
    pub fn is_empty(&self) -> bool {
        self.rows.len() <= 1
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cols = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..cols)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|s| s.width())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in &self.rows {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    let pad = widths[c].saturating_sub(cell.width()) + 2;
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align() {
        let mut t = Table::new(&["ID", "TITLE"]);
        t.row(vec!["1".into(), "Short".into()]);
        t.row(vec!["100".into(), "Longer one".into()]);
        assert_eq!(t.to_string(), "ID   TITLE\n1    Short\n100  Longer one\n");
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
