//! Just enough MIME reading to check what the test SMTP server received: headers
//! (unfolded, RFC 2047 encoded-words decoded on request), the parts of a multipart body,
//! and their quoted-printable or base64 content.

/// A parsed message or body part.
#[derive(Debug, Clone)]
pub struct Mime {
    /// Header fields in order, unfolded, values still encoded.
    pub headers: Vec<(String, String)>,
    /// The raw body, after the blank line.
    pub body: Vec<u8>,
}

impl Mime {
    pub fn parse(raw: &[u8]) -> Mime {
        let (head, body) = match find(raw, b"\r\n\r\n") {
            Some(i) => (&raw[..i], raw[i + 4..].to_vec()),
            None => (raw, Vec::new()),
        };
        let head = String::from_utf8_lossy(head);
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some((_, value)) = headers.last_mut() {
                    value.push(' ');
                    value.push_str(line.trim());
                }
            } else if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_string(), value.trim().to_string()));
            }
        }
        Mime { headers, body }
    }

    /// The first header of that name, as sent (encoded-words left alone).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first header of that name with RFC 2047 encoded-words decoded.
    pub fn header_decoded(&self, name: &str) -> Option<String> {
        self.header(name).map(decode_words)
    }

    /// The `boundary` parameter of a multipart `Content-Type`.
    pub fn boundary(&self) -> Option<String> {
        let ct = self.header("Content-Type")?;
        let at = ct.to_ascii_lowercase().find("boundary=")?;
        let value = ct[at + "boundary=".len()..].trim();
        Some(match value.strip_prefix('"') {
            Some(quoted) => quoted.split('"').next().unwrap_or_default().to_string(),
            None => value
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string(),
        })
    }

    /// The parts of a multipart body, in order.
    pub fn parts(&self) -> Vec<Mime> {
        let Some(boundary) = self.boundary() else {
            return Vec::new();
        };
        let body = String::from_utf8_lossy(&self.body);
        let delimiter = format!("--{boundary}");
        let mut parts = Vec::new();
        for chunk in body.split(&delimiter).skip(1) {
            if chunk.starts_with("--") {
                break;
            }
            let chunk = chunk.strip_prefix("\r\n").unwrap_or(chunk);
            let chunk = chunk.strip_suffix("\r\n").unwrap_or(chunk);
            parts.push(Mime::parse(chunk.as_bytes()));
        }
        parts
    }

    /// The first part whose `Content-Type` starts with `mime_type`.
    pub fn part(&self, mime_type: &str) -> Option<Mime> {
        self.parts().into_iter().find(|p| {
            p.header("Content-Type")
                .is_some_and(|ct| ct.to_ascii_lowercase().starts_with(mime_type))
        })
    }

    /// The body, transfer-decoded, as UTF-8 text with `\n` line ends.
    pub fn text(&self) -> String {
        let encoding = self
            .header("Content-Transfer-Encoding")
            .unwrap_or("7bit")
            .to_ascii_lowercase();
        let bytes = match encoding.as_str() {
            "base64" => base64_decode(&String::from_utf8_lossy(&self.body)).expect("valid base64"),
            "quoted-printable" => qp_decode(&self.body),
            _ => self.body.clone(),
        };
        String::from_utf8(bytes)
            .expect("a UTF-8 body")
            .replace("\r\n", "\n")
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Decodes standard base64, ignoring whitespace; `None` on anything else.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            break;
        }
        let value = ALPHABET.iter().position(|&a| a == c)? as u32;
        acc = (acc << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Decodes a quoted-printable body (RFC 2045 6.7).
pub fn qp_decode(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'=' if body[i + 1..].starts_with(b"\r\n") => i += 3,
            b'=' if body[i + 1..].starts_with(b"\n") => i += 2,
            b'=' if i + 2 < body.len() => {
                let hex = std::str::from_utf8(&body[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'=');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Decodes RFC 2047 encoded-words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`); whitespace between
/// two adjacent encoded-words is dropped, as the RFC says.
pub fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut previous_was_word = false;
    for token in value.split(' ') {
        match encoded_word(token) {
            Some(bytes) => {
                if !previous_was_word && !out.is_empty() {
                    out.push(' ');
                }
                pending.extend(bytes);
                previous_was_word = true;
            }
            None => {
                out.push_str(&String::from_utf8_lossy(&pending));
                pending.clear();
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(token);
                previous_was_word = false;
            }
        }
    }
    out.push_str(&String::from_utf8_lossy(&pending));
    out
}

fn encoded_word(token: &str) -> Option<Vec<u8>> {
    let inner = token.strip_prefix("=?")?.strip_suffix("?=")?;
    let mut fields = inner.splitn(3, '?');
    let (_charset, encoding, text) = (fields.next()?, fields.next()?, fields.next()?);
    match encoding {
        "b" | "B" => base64_decode(text),
        "q" | "Q" => Some(qp_decode(text.replace('_', " ").as_bytes())),
        _ => None,
    }
}
