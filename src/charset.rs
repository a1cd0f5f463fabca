//! Placeholder until the charset module lands: HTTP charset, else UTF-8.

pub fn decode(
    bytes: &[u8],
    content_type: Option<&str>,
) -> (String, &'static encoding_rs::Encoding) {
    let enc = content_type
        .and_then(|ct| {
            ct.split(';')
                .find_map(|p| p.trim().strip_prefix("charset="))
        })
        .and_then(|l| encoding_rs::Encoding::for_label(l.trim_matches('"').as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    let (text, enc, _) = enc.decode(bytes);
    (text.into_owned(), enc)
}
