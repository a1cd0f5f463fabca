//! Bytes off the wire → UTF-8 text.
//!
//! News sites still serve pages and feeds in every legacy charset (windows-1251, KOI8-R,
//! GBK, Big5, Shift_JIS, ISO-8859-x …), and everything redline stores is UTF-8. This
//! module owns that one decision: which encoding a body is in. It follows the usual
//! precedence (as browsers do): a byte-order mark, then the HTTP `charset` parameter, then
//! a declaration in the document's first bytes (`<meta charset>`, `<meta http-equiv>`,
//! `<?xml encoding?>`), then statistical sniffing with `chardetng`. Decoding never fails:
//! malformed sequences become U+FFFD.

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252, X_USER_DEFINED};

/// How far into the body a declaration is looked for. The HTML standard says 1024 bytes;
/// real pages often push `<meta charset>` further down behind comments and scripts, so we
/// look a little further, as several browsers effectively do.
const PRESCAN_BYTES: usize = 4096;

/// How much of the body `chardetng` is shown when nothing declares an encoding. Its guess
/// settles long before this, and feeding it a multi-megabyte page costs time for nothing.
const SNIFF_BYTES: usize = 64 * 1024;

/// Decodes `bytes` to UTF-8, choosing the encoding by BOM, then the `charset` parameter of
/// `content_type` (an HTTP `Content-Type` value), then an in-document declaration, then
/// sniffing. Returns the text (without a BOM) and the encoding used.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> (String, &'static Encoding) {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return (decode_with(encoding, &bytes[bom_len..]), encoding);
    }
    let encoding = content_type
        .and_then(charset_param)
        .and_then(|label| Encoding::for_label(label.as_bytes()))
        .or_else(|| prescan(&bytes[..bytes.len().min(PRESCAN_BYTES)]))
        .unwrap_or_else(|| sniff(bytes));
    (decode_with(encoding, bytes), encoding)
}

fn decode_with(encoding: &'static Encoding, bytes: &[u8]) -> String {
    encoding.decode_without_bom_handling(bytes).0.into_owned()
}

/// The `charset` parameter of a media type such as `text/html; charset="koi8-r"`.
fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(|c| c == '"' || c == '\''))
            .filter(|v| !v.is_empty())
    })
}

/// Looks for an encoding declared in the first bytes of a document. Every declaration we
/// honour is ASCII, so the scan works on bytes and never needs to know the encoding.
fn prescan(head: &[u8]) -> Option<&'static Encoding> {
    if let Some(encoding) = xml_declaration(head) {
        return Some(encoding);
    }
    let lower = head.to_ascii_lowercase();
    let mut pos = 0;
    while let Some(off) = find(&lower[pos..], b"<") {
        let start = pos + off;
        let rest = &lower[start..];
        if rest.starts_with(b"<!--") {
            // A commented-out meta tag must not count; an unclosed comment hides the rest.
            match find(&rest[4..], b"-->") {
                Some(end) => pos = start + 4 + end + 3,
                None => break,
            }
            continue;
        }
        pos = start + 1;
        if !rest.starts_with(b"<meta") || !rest.get(5).is_some_and(|c| is_space(*c) || *c == b'/') {
            continue;
        }
        let end = find(rest, b">").unwrap_or(rest.len());
        // Working on the lower-cased copy is harmless: encoding labels are case-insensitive.
        let attrs = attributes(&rest[5..end]);
        let found = meta_encoding(&attrs);
        if let Some(encoding) = found {
            return Some(for_declared(encoding));
        }
        pos = start + end.max(1);
    }
    None
}

/// The encoding a `<meta>` tag's attributes declare, if any.
fn meta_encoding(attrs: &[(&[u8], &[u8])]) -> Option<&'static Encoding> {
    let get = |name: &[u8]| attrs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    if let Some(label) = get(b"charset") {
        return Encoding::for_label(label);
    }
    // Only `http-equiv="content-type"` counts: a description that mentions "charset=" in
    // its `content` declares nothing.
    if get(b"http-equiv")? != b"content-type" {
        return None;
    }
    let content = get(b"content")?;
    let at = find(content, b"charset")?;
    let value = content[at + 7..].trim_ascii_start().strip_prefix(b"=")?;
    let value = value.trim_ascii_start();
    let value = value
        .strip_prefix(b"\"")
        .or_else(|| value.strip_prefix(b"'"))
        .unwrap_or(value);
    let end = value
        .iter()
        .position(|c| is_space(*c) || matches!(c, b';' | b'"' | b'\''))
        .unwrap_or(value.len());
    Encoding::for_label(&value[..end])
}

/// A document that declares UTF-16 in ASCII-compatible bytes is not UTF-16 (it would not
/// be readable), and `x-user-defined` in markup means windows-1252: the HTML standard's
/// rules for encodings found by the prescan.
fn for_declared(encoding: &'static Encoding) -> &'static Encoding {
    if encoding == UTF_16LE || encoding == UTF_16BE {
        UTF_8
    } else if encoding == X_USER_DEFINED {
        WINDOWS_1252
    } else {
        encoding
    }
}

/// `<?xml version="1.0" encoding="koi8-r"?>` at the very start (after whitespace).
fn xml_declaration(head: &[u8]) -> Option<&'static Encoding> {
    let head = head.trim_ascii_start();
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let decl = &head[..find(head, b"?>")?];
    let attrs = attributes(&decl[5..]);
    let label = attrs
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(b"encoding"))
        .map(|(_, v)| *v)?;
    Encoding::for_label(label).map(for_declared)
}

/// Splits `name=value name2="value 2" flag` into (name, value) pairs; loose on purpose,
/// since the markup in a page's head is often not well-formed.
fn attributes(mut s: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut out = Vec::new();
    loop {
        s = s.trim_ascii_start();
        while let Some(rest) = s.strip_prefix(b"/") {
            s = rest.trim_ascii_start();
        }
        if s.is_empty() {
            return out;
        }
        let name_end = s
            .iter()
            .position(|c| is_space(*c) || matches!(c, b'=' | b'/'))
            .unwrap_or(s.len());
        let name = &s[..name_end];
        s = s[name_end..].trim_ascii_start();
        let Some(rest) = s.strip_prefix(b"=") else {
            out.push((name, &b""[..]));
            if name_end == 0 {
                // Not an attribute at all: skip one byte so the loop always advances.
                s = s.get(1..).unwrap_or_default();
            }
            continue;
        };
        s = rest.trim_ascii_start();
        let (value, rest) = match s.first() {
            Some(&q) if q == b'"' || q == b'\'' => {
                let body = &s[1..];
                let end = body.iter().position(|c| *c == q).unwrap_or(body.len());
                (&body[..end], body.get(end + 1..).unwrap_or_default())
            }
            _ => {
                let end = s.iter().position(|c| is_space(*c)).unwrap_or(s.len());
                (&s[..end], &s[end..])
            }
        };
        out.push((name, value));
        s = rest;
    }
}

/// Guesses the encoding of undeclared bytes. UTF-8 is allowed as an answer: a page whose
/// bytes are valid UTF-8 and not plain ASCII is almost certainly UTF-8.
fn sniff(bytes: &[u8]) -> &'static Encoding {
    // Most undeclared pages are UTF-8, and checking that is far cheaper than sniffing. It
    // is also the detector's own answer for them: valid non-ASCII UTF-8 is UTF-8, and
    // plain ASCII reads the same in every encoding it could pick, except 7-bit
    // ISO-2022-JP, whose escapes start with ESC.
    if !bytes.contains(&0x1b) && std::str::from_utf8(bytes).is_ok() {
        return UTF_8;
    }
    let sample = &bytes[..bytes.len().min(SNIFF_BYTES)];
    // ISO-2022-JP is allowed: browsers refuse it only because of script injection, and we
    // run no scripts.
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Allow);
    // `last` tells the detector whether the sample ends the stream; when we cut a UTF-8
    // page mid-character it must not hold the cut against UTF-8.
    detector.feed(sample, sample.len() == bytes.len());
    detector.guess(None, chardetng::Utf8Detection::Allow)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUSSIAN: &str = "Президент России Владимир Путин заявил, что Москва и Пекин \
        совместно разрабатывают высокотехнологичное оружие. Об этом он сказал на ежегодной \
        пресс-конференции, которая транслировалась по национальному телевидению.";

    fn encode(encoding: &'static Encoding, text: &str) -> Vec<u8> {
        let (bytes, _, unmappable) = encoding.encode(text);
        assert!(
            !unmappable,
            "test text must be representable in {}",
            encoding.name()
        );
        bytes.into_owned()
    }

    #[test]
    fn utf8_with_bom() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice("<p>Привет</p>".as_bytes());
        // The BOM wins even over a contradicting header.
        let (text, enc) = decode(&bytes, Some("text/html; charset=windows-1251"));
        assert_eq!(enc, UTF_8);
        assert_eq!(text, "<p>Привет</p>");
    }

    #[test]
    fn utf16le_with_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "<p>北京 Москва</p>".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let (text, enc) = decode(&bytes, None);
        assert_eq!(enc, UTF_16LE);
        assert_eq!(text, "<p>北京 Москва</p>");
    }

    #[test]
    fn windows_1251_from_http_header() {
        let html = format!("<html><body><p>{RUSSIAN}</p></body></html>");
        let bytes = encode(encoding_rs::WINDOWS_1251, &html);
        let (text, enc) = decode(&bytes, Some("text/html; Charset=\"windows-1251\""));
        assert_eq!(enc, encoding_rs::WINDOWS_1251);
        assert_eq!(text, html);
    }

    #[test]
    fn header_beats_meta() {
        let html = format!("<meta charset=koi8-r><p>{RUSSIAN}</p>");
        let bytes = encode(encoding_rs::WINDOWS_1251, &html);
        let (_, enc) = decode(&bytes, Some("text/html;charset=cp1251"));
        assert_eq!(enc, encoding_rs::WINDOWS_1251);
    }

    #[test]
    fn koi8r_from_meta_charset() {
        let html = format!(
            "<!DOCTYPE html><html><head><META CHARSET=\"KOI8-R\"><title>Новости</title></head>\
             <body><p>{RUSSIAN}</p></body></html>"
        );
        let bytes = encode(encoding_rs::KOI8_R, &html);
        let (text, enc) = decode(&bytes, Some("text/html"));
        assert_eq!(enc, encoding_rs::KOI8_R);
        assert_eq!(text, html);
    }

    #[test]
    fn gbk_from_meta() {
        let html = "<html><head><meta charset='gb2312'></head><body><p>俄罗斯总统普京表示，\
                    俄中两国正在共同研发高科技武器。</p></body></html>";
        let bytes = encode(encoding_rs::GBK, html);
        let (text, enc) = decode(&bytes, None);
        assert_eq!(enc, encoding_rs::GBK);
        assert_eq!(text, html);
    }

    #[test]
    fn shift_jis_from_http_equiv() {
        let html = "<html><head>\n<meta http-equiv=\"Content-Type\" \
                    content=\"text/html; charset=Shift_JIS\">\n</head>\
                    <body><p>プーチン大統領は、ロシアと中国が共同で兵器を開発していると述べた。</p></body></html>";
        let bytes = encode(encoding_rs::SHIFT_JIS, html);
        let (text, enc) = decode(&bytes, None);
        assert_eq!(enc, encoding_rs::SHIFT_JIS);
        assert_eq!(text, html);
    }

    #[test]
    fn xml_declaration_encoding() {
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"windows-1251\"?>\n<rss><channel><title>{RUSSIAN}\
             </title></channel></rss>"
        );
        let bytes = encode(encoding_rs::WINDOWS_1251, &xml);
        let (text, enc) = decode(&bytes, Some("application/rss+xml"));
        assert_eq!(enc, encoding_rs::WINDOWS_1251);
        assert_eq!(text, xml);
    }

    #[test]
    fn sniffs_undeclared_cyrillic() {
        let html = format!("<html><body><p>{RUSSIAN}</p><p>{RUSSIAN}</p></body></html>");
        let bytes = encode(encoding_rs::WINDOWS_1251, &html);
        let (text, enc) = decode(&bytes, None);
        assert_eq!(enc, encoding_rs::WINDOWS_1251);
        assert_eq!(text, html);
    }

    #[test]
    fn undeclared_utf8_and_ascii() {
        let (text, enc) = decode("<p>Grüße aus Köln</p>".as_bytes(), None);
        assert_eq!(enc, UTF_8);
        assert_eq!(text, "<p>Grüße aus Köln</p>");
        let (text, _) = decode(b"", None);
        assert_eq!(text, "");
    }

    #[test]
    fn undeclared_seven_bit_iso_2022_jp_is_still_sniffed() {
        // Valid UTF-8 bytes (all 7-bit), yet not UTF-8: the shortcut must not take them.
        let html = "<html><body><p>東京で記者会見が開かれ、首相は新しい経済政策について説明した。</p></body></html>";
        let bytes = encode(encoding_rs::ISO_2022_JP, html);
        assert!(std::str::from_utf8(&bytes).is_ok());
        let (text, enc) = decode(&bytes, None);
        assert_eq!(enc, encoding_rs::ISO_2022_JP);
        assert_eq!(text, html);
    }

    #[test]
    fn commented_meta_and_utf16_meta_are_not_trusted() {
        let bytes = b"<!-- <meta charset=koi8-r> --><meta charset=utf-16><p>hi</p>";
        let (_, enc) = decode(bytes, None);
        assert_eq!(enc, UTF_8);
    }

    #[test]
    fn garbage_never_panics() {
        for bytes in [
            &b"<meta"[..],
            b"<meta charset=",
            b"<meta content=\"charset",
            b"<meta http-equiv=content-type content='text/html; charset=",
            b"<?xml encoding=",
            b"<?xml",
            b"\xff\xfe\x00",
            b"<!--",
            b"<!-- <meta charset=koi8-r>",
            b"<!---->",
            b"<meta ==== / / =\"",
        ] {
            let _ = decode(bytes, Some("text/html; charset"));
            let _ = decode(bytes, Some(";;=;charset=\"\""));
        }
    }
}
