//! MIME as mail producers write it: charsets, quoted-printable, base64, RFC 2047 encoded
//! words, multipart bodies. Written from the RFCs so the generator needs no mail crate.

/// Charsets the platform's mailers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Utf8,
    Latin1,
    Windows1252,
}

impl Charset {
    pub fn label(self) -> &'static str {
        match self {
            Charset::Utf8 => "utf-8",
            Charset::Latin1 => "iso-8859-1",
            Charset::Windows1252 => "windows-1252",
        }
    }
    /// Whether the charset can write the euro sign.
    pub fn has_euro(self) -> bool {
        self != Charset::Latin1
    }
}

/// windows-1252 bytes 0x80–0x9F.
fn cp1252(c: char) -> Option<u8> {
    Some(match c {
        '€' => 0x80,
        '‚' => 0x82,
        '„' => 0x84,
        '…' => 0x85,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        'Š' => 0x8A,
        'š' => 0x9A,
        'Œ' => 0x8C,
        'œ' => 0x9C,
        'Ž' => 0x8E,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => return None,
    })
}

/// Text → bytes in `cs`. Characters the charset lacks become what mailers put instead.
pub fn encode(s: &str, cs: Charset) -> std::borrow::Cow<'_, [u8]> {
    if cs == Charset::Utf8 || s.is_ascii() {
        return std::borrow::Cow::Borrowed(s.as_bytes());
    }
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        let u = c as u32;
        if u < 0x80 || (0xA0..=0xFF).contains(&u) {
            out.push(u as u8);
            continue;
        }
        if cs == Charset::Windows1252 {
            if let Some(b) = cp1252(c) {
                out.push(b);
                continue;
            }
        }
        match c {
            '–' | '—' => out.push(b'-'),
            '’' | '‘' => out.push(b'\''),
            '“' | '”' | '„' => out.push(b'"'),
            '…' => out.extend_from_slice(b"..."),
            '€' => out.extend_from_slice(b"EUR"),
            '\u{202f}' => out.push(0xA0),
            '·' => out.push(0xB7),
            _ => out.push(b'?'),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Quoted-printable (RFC 2045): lines ≤ 76, soft breaks `=`, `=XX` for non-printables and
/// for trailing white space. Input lines end with `\n`; output uses `\n` too.
pub fn qp(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len() * 11 / 10);
    qp_into(bytes, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

pub fn qp_into(bytes: &[u8], out: &mut Vec<u8>) {
    for (li, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if li > 0 {
            out.push(b'\n');
        }
        let mut col = 0;
        let n = line.len();
        for (i, &b) in line.iter().enumerate() {
            let last = i + 1 == n;
            let enc = !(b == b'\t' || (b' '..=b'~').contains(&b))
                || b == b'='
                || (last && (b == b' ' || b == b'\t'));
            let piece_len = if enc { 3 } else { 1 };
            // Keep room for the soft break `=` (unless this is the line's last piece).
            let limit = if last { 76 } else { 75 };
            if col + piece_len > limit {
                out.extend_from_slice(b"=\n");
                col = 0;
            }
            if enc {
                out.push(b'=');
                out.push(super::rng::HEX_UPPER[(b >> 4) as usize]);
                out.push(super::rng::HEX_UPPER[(b & 15) as usize]);
            } else {
                out.push(b);
            }
            col += piece_len;
        }
    }
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Plain base64, no line breaks.
pub fn b64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(char::from(B64[(n >> 18) as usize & 63]));
        out.push(char::from(B64[(n >> 12) as usize & 63]));
        out.push(if chunk.len() > 1 {
            char::from(B64[(n >> 6) as usize & 63])
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            char::from(B64[n as usize & 63])
        } else {
            '='
        });
    }
    out
}

/// Base64 body: 76-character lines.
pub fn b64_lines(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len() * 14 / 10 + 4);
    b64_lines_into(bytes, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

pub fn b64_lines_into(bytes: &[u8], out: &mut Vec<u8>) {
    // 57 input bytes make one 76-character line.
    for (i, chunk) in bytes.chunks(57).enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(b64(chunk).as_bytes());
    }
}

/// RFC 2047 encoded words for a header value; plain when ASCII. Long values become several
/// words separated by folding white space (`\n `), split on character boundaries.
///
/// Q-encoding mailers (Outlook, Thunderbird) encode only the span from the first to the last
/// word that needs it (`WG: =?UTF-8?Q?Buchungsbest=C3=A4tigung?= AA-2026-00115`); B-encoding
/// ones encode the whole value.
pub fn header_words(s: &str, cs: Charset, b_enc: bool) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    if !b_enc {
        let words: Vec<&str> = s.split(' ').collect();
        let first = words.iter().position(|w| !w.is_ascii()).unwrap_or(0);
        let last = words
            .iter()
            .rposition(|w| !w.is_ascii())
            .unwrap_or(words.len() - 1);
        let mut parts: Vec<String> = words[..first].iter().map(|w| w.to_string()).collect();
        parts.push(encoded_words(&words[first..=last].join(" "), cs, false));
        parts.extend(words[last + 1..].iter().map(|w| w.to_string()));
        return parts.join(" ");
    }
    encoded_words(s, cs, true)
}

fn encoded_words(s: &str, cs: Charset, b_enc: bool) -> String {
    let prefix = format!(
        "=?{}?{}?",
        cs.label().to_ascii_uppercase(),
        if b_enc { "B" } else { "Q" }
    );
    let mut words: Vec<String> = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    let max_payload = if b_enc { 45 } else { 60 };
    let flush = |cur: &mut Vec<u8>, words: &mut Vec<String>| {
        if cur.is_empty() {
            return;
        }
        let body = if b_enc { b64(cur) } else { q_word(cur) };
        words.push(format!("{prefix}{body}?="));
        cur.clear();
    };
    for c in s.chars() {
        let mut buf = [0u8; 4];
        let bytes = encode(c.encode_utf8(&mut buf), cs);
        let cost = if b_enc {
            (cur.len() + bytes.len()).div_ceil(3) * 4
        } else {
            q_word(&cur).len() + q_word(&bytes).len()
        };
        if cost > max_payload {
            flush(&mut cur, &mut words);
        }
        cur.extend_from_slice(&bytes);
    }
    flush(&mut cur, &mut words);
    words.join("\n ")
}

fn q_word(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        match b {
            b' ' => out.push('_'),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'!' | b'*' | b'+' | b'/' => {
                out.push(char::from(b))
            }
            _ => {
                out.push('=');
                out.push(char::from(super::rng::HEX_UPPER[(b >> 4) as usize]));
                out.push(char::from(super::rng::HEX_UPPER[(b & 15) as usize]));
            }
        }
    }
    out
}

/// `Name <addr>` with the name encoded or quoted as needed.
pub fn address(name: &str, addr: &str, cs: Charset) -> String {
    if name.is_empty() {
        return format!("<{addr}>");
    }
    if !name.is_ascii() {
        return format!("{} <{addr}>", header_words(name, cs, false));
    }
    if name.chars().any(|c| ",.;:@()<>\"'".contains(c)) {
        return format!("\"{}\" <{addr}>", name.replace('"', "\\\""));
    }
    format!("{name} <{addr}>")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cte {
    SevenBit,
    EightBit,
    QuotedPrintable,
    Base64,
}

impl Cte {
    fn label(self) -> &'static str {
        match self {
            Cte::SevenBit => "7bit",
            Cte::EightBit => "8bit",
            Cte::QuotedPrintable => "quoted-printable",
            Cte::Base64 => "base64",
        }
    }
}

/// A MIME body.
#[derive(Debug, Clone)]
pub enum Part {
    /// A text part: content is text, charset and transfer encoding applied when rendered.
    Text {
        subtype: &'static str,
        charset: Charset,
        cte: Cte,
        text: String,
    },
    /// A part given verbatim (already encoded): Content-Type value and body bytes.
    Raw { content_type: String, body: Vec<u8> },
    Multi {
        subtype: &'static str,
        /// Extra Content-Type parameters, e.g. `report-type=delivery-status`.
        params: &'static str,
        boundary: String,
        parts: Vec<Part>,
    },
}

/// Headers and body.
#[derive(Debug, Clone)]
pub struct Mail {
    pub headers: Vec<(String, String)>,
    pub body: Part,
}

fn render_part(p: &Part, out: &mut Vec<u8>, with_headers: bool) {
    match p {
        Part::Text {
            subtype,
            charset,
            cte,
            text,
        } => {
            if with_headers {
                out.extend_from_slice(
                    format!(
                        "Content-Type: text/{subtype}; charset=\"{}\"\nContent-Transfer-Encoding: {}\n\n",
                        charset.label(),
                        cte.label()
                    )
                    .as_bytes(),
                );
            }
            let bytes = encode(text, *charset);
            match cte {
                Cte::SevenBit | Cte::EightBit => out.extend_from_slice(&bytes),
                Cte::QuotedPrintable => qp_into(&bytes, out),
                Cte::Base64 => b64_lines_into(&bytes, out),
            }
            if !out.ends_with(b"\n") {
                out.push(b'\n');
            }
        }
        Part::Raw { content_type, body } => {
            if with_headers {
                out.extend_from_slice(format!("Content-Type: {content_type}\n\n").as_bytes());
            }
            out.extend_from_slice(body);
            if !out.ends_with(b"\n") {
                out.push(b'\n');
            }
        }
        Part::Multi {
            subtype,
            params,
            boundary,
            parts,
        } => {
            if with_headers {
                out.extend_from_slice(content_type_multi(subtype, params, boundary).as_bytes());
                out.extend_from_slice(b"\n\n");
            }
            out.extend_from_slice(b"This is a multi-part message in MIME format.\n");
            for sub in parts {
                out.extend_from_slice(format!("\n--{boundary}\n").as_bytes());
                render_part(sub, out, true);
            }
            out.extend_from_slice(format!("\n--{boundary}--\n").as_bytes());
        }
    }
}

fn content_type_multi(subtype: &str, params: &str, boundary: &str) -> String {
    if params.is_empty() {
        format!("Content-Type: multipart/{subtype};\n boundary=\"{boundary}\"")
    } else {
        format!("Content-Type: multipart/{subtype}; {params};\n boundary=\"{boundary}\"")
    }
}

/// The message as bytes with `\n` line ends.
pub fn render(mail: &Mail) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    render_into(mail, &mut out);
    out
}

/// Appends the message to `out`.
pub fn render_into(mail: &Mail, out: &mut Vec<u8>) {
    for (k, v) in &mail.headers {
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(b"MIME-Version: 1.0\n");
    render_part(&mail.body, out, true);
}

/// `\n` → `\r\n` (for .eml files saved by Windows clients).
pub fn crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 40);
    for &b in bytes {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qp_encodes_and_wraps() {
        let s = qp("Grüße = 100 € ".as_bytes());
        assert_eq!(s, "Gr=C3=BC=C3=9Fe =3D 100 =E2=82=AC=20");
        let long = "a".repeat(200);
        for line in qp(long.as_bytes()).lines() {
            assert!(line.len() <= 76, "{line}");
        }
    }

    #[test]
    fn base64_known_values() {
        assert_eq!(b64(b"Man"), "TWFu");
        assert_eq!(b64(b"Ma"), "TWE=");
        assert_eq!(b64(b"M"), "TQ==");
    }

    #[test]
    fn encoded_words() {
        assert_eq!(
            header_words("Buchungsbestätigung", Charset::Utf8, false),
            "=?UTF-8?Q?Buchungsbest=C3=A4tigung?="
        );
        assert_eq!(
            header_words("Réservation", Charset::Latin1, false),
            "=?ISO-8859-1?Q?R=E9servation?="
        );
        assert_eq!(header_words("plain", Charset::Utf8, true), "plain");
        assert_eq!(
            header_words("WG: Buchungsbestätigung AA-1", Charset::Utf8, false),
            "WG: =?UTF-8?Q?Buchungsbest=C3=A4tigung?= AA-1"
        );
        assert_eq!(
            &encode("1 234,50 €", Charset::Windows1252)[..],
            b"1 234,50 \x80"
        );
        assert_eq!(&encode("€ – é", Charset::Latin1)[..], b"EUR - \xe9");
        let long = vec![b'x'; 200];
        let lines = b64_lines(&long);
        assert!(lines.lines().all(|l| l.len() <= 76));
        assert_eq!(lines.replace('\n', ""), b64(&long));
    }
}
