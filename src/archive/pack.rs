//! Compression of kept response bytes: zstd, against the article's previous page.
//!
//! Two fetches of one article differ mostly in furniture (a ticker, a counter, a
//! timestamp) and not at all in the rest, so each page is compressed with the previous
//! kept page of the same article as a raw-content dictionary: what both share costs a
//! few bytes of reference instead of a second copy. A page that has no previous one, or
//! whose chain of references is already [`CHAIN_MAX`] long, is compressed on its own, so
//! reading a page never decompresses more than that many others. The store keeps the
//! chain resolvable when old pages are dropped (see `Store::drop_raw_before`).

/// The zstd level: a good ratio at a few milliseconds per page (see `benches/raw.rs`).
pub const LEVEL: i32 = 12;
/// The longest chain of pages compressed against one another; the next one starts anew.
pub const CHAIN_MAX: i64 = 16;

/// Why kept bytes could not be packed or unpacked.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error(
        "cannot compress the page: {0} (turn [archive] raw off to keep only the text meanwhile)"
    )]
    Compress(std::io::Error),
    #[error("the kept page is damaged and cannot be decompressed: {0} (its text is unaffected)")]
    Decompress(std::io::Error),
}

/// Compresses `bytes`, against `base` (the previous page's bytes) when given.
pub fn compress(bytes: &[u8], base: Option<&[u8]>) -> Result<Vec<u8>, PackError> {
    let mut c = match base {
        Some(dict) => zstd::bulk::Compressor::with_dictionary(LEVEL, dict),
        None => zstd::bulk::Compressor::new(LEVEL),
    }
    .map_err(PackError::Compress)?;
    c.compress(bytes).map_err(PackError::Compress)
}

/// Decompresses what [`compress`] made of `size` bytes, with the same `base`.
pub fn decompress(blob: &[u8], base: Option<&[u8]>, size: usize) -> Result<Vec<u8>, PackError> {
    let mut d = match base {
        Some(dict) => zstd::bulk::Decompressor::with_dictionary(dict),
        None => zstd::bulk::Decompressor::new(),
    }
    .map_err(PackError::Decompress)?;
    d.decompress(blob, size).map_err(PackError::Decompress)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_like_the_last_costs_little_and_round_trips() {
        let article: String = (0..400)
            .map(|i| format!("<p>Paragraph {i} of the story, with its own words.</p>\n"))
            .collect();
        let old = format!("<html><div>ticker 10:41</div>{article}</html>");
        let new = format!("<html><div>ticker 10:52</div>{article}</html>");
        let alone = compress(new.as_bytes(), None).expect("compress");
        let against = compress(new.as_bytes(), Some(old.as_bytes())).expect("compress");
        assert!(
            against.len() * 10 < alone.len(),
            "{} against the last page, {} alone",
            against.len(),
            alone.len()
        );
        let back = decompress(&against, Some(old.as_bytes()), new.len()).expect("decompress");
        assert_eq!(back, new.as_bytes());
        let back = decompress(&alone, None, new.len()).expect("decompress");
        assert_eq!(back, new.as_bytes());
        // The wrong base never passes for the right one.
        assert!(
            decompress(&against, Some(b"something else"), new.len())
                .map_or(true, |b| b != new.as_bytes())
        );
    }
}
