//! HTML → plain text for mail bodies.
//!
//! Booking mails are often HTML only, with the booking facts laid out in tables
//! (`<td>Pickup</td><td>14 Mar 2026 10:00</td>`). The extractor works on lines of text, so the
//! converter keeps the visible text in order, puts every table row on one line with its cells
//! separated by a TAB (`Pickup\t14 Mar 2026 10:00`), and turns block elements into line breaks.
//!
//! It is a small hand-written scanner rather than a DOM parser: mail HTML is frequently broken
//! (unclosed tags, stray `<`, mismatched quotes, Outlook conditional comments), and a scanner that
//! never builds a tree can neither panic nor lose the rest of the document on a bad tag. All
//! slicing happens at ASCII delimiters (`<`, `>`, quotes), which are always char boundaries.

use std::borrow::Cow;

/// Converts mail HTML to plain text (see the module docs for the layout rules).
///
/// Never panics, whatever the input; unknown or broken markup degrades to its visible text.
pub fn to_text(html: &str) -> String {
    let bytes = html.as_bytes();
    let mut w = TextWriter::with_capacity(html.len() / 2);
    let mut pre_depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let Some(lt) = find_byte(bytes, i, b'<') else {
            w.text(&html[i..], pre_depth > 0);
            break;
        };
        if lt > i {
            w.text(&html[i..lt], pre_depth > 0);
        }
        i = match scan_markup(html, lt) {
            Markup::Literal => {
                // A `<` that starts no tag (`a < b`, `<3`) is text, as in a browser.
                w.text("<", pre_depth > 0);
                lt + 1
            }
            Markup::Skip(end) => end,
            Markup::Tag { name, closing, end } => {
                let name = name.as_str();
                if !closing {
                    if let Some(after) = skip_raw_text(html, name, end) {
                        i = after;
                        continue;
                    }
                }
                if name == "pre" {
                    pre_depth = if closing {
                        pre_depth.saturating_sub(1)
                    } else {
                        pre_depth + 1
                    };
                }
                apply_tag(&mut w, name, closing);
                end
            }
        };
    }
    w.finish()
}

/// What a `<` at some position starts.
enum Markup {
    /// Not markup: the `<` is text.
    Literal,
    /// A comment, doctype, processing instruction or bogus tag: skip to this offset.
    Skip(usize),
    /// An element tag (lower-cased name, at most [`TagName::CAP`] bytes) ending before `end`.
    Tag {
        name: TagName,
        closing: bool,
        end: usize,
    },
}

/// A lower-cased tag name kept on the stack: tags are scanned once per element, and the names
/// that matter are all short, so a heap allocation per tag would be pure overhead.
struct TagName {
    buf: [u8; TagName::CAP],
    len: usize,
}

impl TagName {
    const CAP: usize = 16;

    /// Lower-cases `raw` (ASCII alphanumerics only); longer names become the empty name, which
    /// matches no known element and is therefore ignored.
    fn new(raw: &[u8]) -> TagName {
        let mut buf = [0u8; TagName::CAP];
        if raw.len() > TagName::CAP {
            return TagName { buf, len: 0 };
        }
        for (dst, src) in buf.iter_mut().zip(raw) {
            *dst = src.to_ascii_lowercase();
        }
        TagName {
            buf,
            len: raw.len(),
        }
    }

    fn as_str(&self) -> &str {
        // Only ASCII alphanumerics are ever stored, so this cannot fail.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// Classifies the markup starting at `lt` (which holds a `<`).
fn scan_markup(html: &str, lt: usize) -> Markup {
    let bytes = html.as_bytes();
    let after = lt + 1;
    match bytes.get(after) {
        Some(b'!') => {
            if bytes[after..].starts_with(b"!--") {
                let end = find_sub(bytes, after + 3, b"-->").map_or(bytes.len(), |p| p + 3);
                Markup::Skip(end)
            } else {
                Markup::Skip(find_byte(bytes, after, b'>').map_or(bytes.len(), |p| p + 1))
            }
        }
        Some(b'?') => Markup::Skip(find_byte(bytes, after, b'>').map_or(bytes.len(), |p| p + 1)),
        Some(b'/') => match bytes.get(after + 1) {
            Some(c) if c.is_ascii_alphabetic() => tag_at(bytes, after + 1, true),
            // `</>` or `</ foo>`: a bogus comment in HTML terms.
            _ => Markup::Skip(find_byte(bytes, after, b'>').map_or(bytes.len(), |p| p + 1)),
        },
        Some(c) if c.is_ascii_alphabetic() => tag_at(bytes, after, false),
        _ => Markup::Literal,
    }
}

/// Reads a tag whose name starts at `name_start` and finds its closing `>`.
fn tag_at(bytes: &[u8], name_start: usize, closing: bool) -> Markup {
    let name_end = bytes[name_start..]
        .iter()
        .position(|b| !b.is_ascii_alphanumeric())
        .map_or(bytes.len(), |p| name_start + p);
    let name = TagName::new(&bytes[name_start..name_end]);
    let end = tag_end(bytes, name_end);
    Markup::Tag { name, closing, end }
}

/// Offset just past the `>` that closes a tag, honouring quoted attribute values (which may
/// contain `>`). A tag whose quotes never close would swallow the rest of the mail, so then the
/// first `>` wins; a tag that never closes at all runs to the end (as browsers do).
fn tag_end(bytes: &[u8], from: usize) -> usize {
    let mut quote: Option<u8> = None;
    for (off, &b) in bytes[from..].iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => return from + off + 1,
            None => {}
        }
    }
    find_byte(bytes, from, b'>').map_or(bytes.len(), |p| p + 1)
}

/// For elements whose content is never shown (`<head>`, `<style>`, `<script>`, ...), returns
/// the offset after their end. When the end tag is missing the content is *kept*: leaking some
/// CSS into the text is better than silently dropping the booking details that follow.
fn skip_raw_text(html: &str, name: &str, content_start: usize) -> Option<usize> {
    let bytes = html.as_bytes();
    let close: &[u8] = match name {
        "head" => b"</head",
        "style" => b"</style",
        "script" => b"</script",
        "title" => b"</title",
        "template" => b"</template",
        "xml" => b"</xml",
        _ => return None,
    };
    match find_sub_ci(bytes, content_start, close) {
        Some(p) => Some(tag_end(bytes, p + close.len())),
        // A head that is never closed still ends where the body starts.
        None if name == "head" => find_sub_ci(bytes, content_start, b"<body"),
        None => None,
    }
}

/// Turns an element boundary into the layout it implies.
///
/// Row-level elements (`tr`, `table`, `br`, lists, ...) always break the line. Wrapper blocks
/// (`p`, `div`, headings) break it too, except at the edges of a table cell: templates wrap
/// cell content in `<p>`/`<div>` (`<td><p>Pickup</p></td><td><p>14 Mar</p></td>`), and the
/// row must still come out as `Pickup<TAB>14 Mar`.
fn apply_tag(w: &mut TextWriter, name: &str, closing: bool) {
    match name {
        "br" => w.hard_break(),
        "table" | "hr" | "blockquote" | "ul" | "ol" | "dl" | "pre" => w.block_break(2, true),
        "tr" | "li" | "dt" | "dd" | "caption" | "form" | "fieldset" | "legend" | "option"
        | "body" | "html" => w.block_break(1, true),
        "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "address" | "center" => {
            w.block_break(2, false)
        }
        "div" | "section" | "article" | "header" | "footer" | "nav" | "main" | "aside"
        | "figure" | "figcaption" => w.block_break(1, false),
        "td" | "th" if !closing => w.cell(),
        _ => {}
    }
}

/// Accumulates visible text with HTML whitespace rules: runs of whitespace collapse to one
/// space, line breaks are only emitted before the next visible character (so trailing breaks
/// and blank-line runs never pile up), and a cell separator becomes a TAB only between two
/// non-empty cells of the same line.
struct TextWriter {
    out: String,
    /// Nothing visible written on the current line yet.
    line_empty: bool,
    pending_space: bool,
    pending_tab: bool,
    /// Line breaks owed before the next visible character (0, 1 or 2: at most one blank line).
    pending_breaks: u8,
    /// Some owed break comes from a row-level element, so a following cell may not cancel it.
    pending_hard: bool,
    /// A cell was opened and nothing visible has been written in it yet.
    cell_fresh: bool,
}

impl TextWriter {
    fn with_capacity(cap: usize) -> TextWriter {
        TextWriter {
            out: String::with_capacity(cap),
            line_empty: true,
            pending_space: false,
            pending_tab: false,
            pending_breaks: 0,
            pending_hard: false,
            cell_fresh: false,
        }
    }

    /// Writes a run of raw text (entities not yet decoded).
    fn text(&mut self, raw: &str, pre: bool) {
        let decoded: Cow<'_, str> = if raw.contains('&') {
            html_escape::decode_html_entities(raw)
        } else {
            Cow::Borrowed(raw)
        };
        for c in decoded.chars() {
            match c {
                '\n' if pre => self.hard_break(),
                '\r' => {}
                c if c.is_whitespace() => {
                    if pre {
                        self.push(' ');
                    } else {
                        self.pending_space = true;
                    }
                }
                // Invisible characters used by mail templates (preheader padding, soft
                // hyphens) would only break words for the extractor.
                '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => {}
                c => self.push(map_c1(c)),
            }
        }
    }

    fn push(&mut self, c: char) {
        if self.pending_breaks > 0 {
            if !self.out.is_empty() {
                for _ in 0..self.pending_breaks {
                    self.out.push('\n');
                }
            }
            self.pending_breaks = 0;
            self.pending_hard = false;
            self.line_empty = true;
        } else if !self.line_empty {
            if self.pending_tab {
                self.out.push('\t');
            } else if self.pending_space && c != ' ' {
                self.out.push(' ');
            }
        }
        self.pending_space = false;
        self.pending_tab = false;
        if c == ' ' && self.line_empty {
            return;
        }
        self.out.push(c);
        self.line_empty = false;
        self.cell_fresh = false;
    }

    /// A block boundary owing `breaks` line breaks (2 = paragraph). Soft (wrapper) boundaries
    /// at the start of a cell are ignored; see [`apply_tag`].
    fn block_break(&mut self, breaks: u8, hard: bool) {
        if !hard && self.cell_fresh {
            return;
        }
        self.pending_breaks = self.pending_breaks.max(breaks);
        self.pending_hard |= hard;
    }

    /// `<br>`: each one counts, so `<br><br>` leaves a blank line.
    fn hard_break(&mut self) {
        if self.line_empty && self.pending_breaks == 0 && self.out.is_empty() {
            return;
        }
        self.pending_breaks = (self.pending_breaks + 1).min(2);
        self.pending_hard = true;
    }

    /// A new `td`/`th`: breaks owed only to the previous cell's wrappers are dropped, so the
    /// cell continues the row's line.
    fn cell(&mut self) {
        if !self.pending_hard {
            self.pending_breaks = 0;
        }
        self.pending_tab = true;
        self.cell_fresh = true;
    }

    fn finish(mut self) -> String {
        let trimmed = self.out.trim_end().len();
        self.out.truncate(trimmed);
        self.out
    }
}

/// Numeric references `&#128;`..`&#159;` mean windows-1252 characters in practice (browsers
/// map them so); without this a `&#128;` price would come out as an invisible control char.
fn map_c1(c: char) -> char {
    if ('\u{80}'..='\u{9F}').contains(&c) {
        crate::import::email::cp1252_char(c as u32 as u8)
    } else {
        c
    }
}

fn find_byte(bytes: &[u8], from: usize, needle: u8) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&b| b == needle)
        .map(|p| from + p)
}

fn find_sub(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// Case-insensitive search for an ASCII `needle` given in lower case.
fn find_sub_ci(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::to_text;

    #[test]
    fn table_rows_become_tab_separated_lines() {
        let html = r#"<html><head><title>Your booking</title>
<style>td { color: red; } .x > .y {}</style></head>
<body><h1>Booking confirmed</h1>
<table border="0" cellpadding="4">
  <tr><td> Pickup </td><td>14 Mar 2026
      10:00</td></tr>
  <tr><th>Return</th><td>17&nbsp;Mar&nbsp;2026 09:00</td></tr>
  <tr><td>Total</td><td></td><td>&euro;&nbsp;349.00</td></tr>
</table>
<p>Thank you, Ren&eacute;e &amp; Jos&#233; &#x2013; see you!</p></body></html>"#;
        let text = to_text(html);
        assert_eq!(
            text,
            "Booking confirmed\n\nPickup\t14 Mar 2026 10:00\nReturn\t17 Mar 2026 09:00\n\
             Total\t€ 349.00\n\nThank you, Renée & José – see you!"
        );
    }

    #[test]
    fn drops_comments_scripts_and_conditional_blocks() {
        let html =
            "<!DOCTYPE html><!--[if mso]><table><tr><td>mso only</td></tr></table><![endif]-->\
                    <script>var a = '<td>no</td>';</script>Hello<!-- hidden -->World";
        assert_eq!(to_text(html), "HelloWorld");
    }

    #[test]
    fn block_elements_and_breaks() {
        let html = "<div>Line one</div><div>Line two<br>Line three<br><br><br><br>Line four</div>\
                    <ul><li>a</li><li>b</li></ul><hr>end";
        assert_eq!(
            to_text(html),
            "Line one\nLine two\nLine three\n\nLine four\n\na\nb\n\nend"
        );
    }

    #[test]
    fn broken_html_keeps_text_and_never_panics() {
        assert_eq!(to_text("a < b and 3<4 <b>bold"), "a < b and 3<4 bold");
        assert_eq!(to_text("<p>unclosed <b>tags<i> here"), "unclosed tags here");
        // A runaway quote must not swallow the rest of the mail.
        assert_eq!(
            to_text(r#"<a href="x>Booking</a> ABC123"#),
            "Booking ABC123"
        );
        // A never-closed <style> keeps its content rather than dropping everything after it.
        assert!(to_text("<style>p{}<p>Pickup 10:00").contains("Pickup 10:00"));
        for s in [
            "<",
            "<!",
            "<!--",
            "</",
            "<a",
            "<a href='",
            "&",
            "&#",
            "&#x",
            "&#99999999;",
            "<<>>",
            "é<ü>ñ",
            "<p>€<",
            "</é>",
            "<é>",
            "<td>",
            "<tr><td>x",
            "<pre>\n a\n",
        ] {
            let _ = to_text(s);
        }
    }

    #[test]
    fn head_without_close_stops_at_body() {
        assert_eq!(
            to_text("<head><title>t</title><meta charset=utf-8><BODY>Hi there"),
            "Hi there"
        );
    }

    #[test]
    fn pre_keeps_layout_and_c1_references_map_to_cp1252() {
        assert_eq!(
            to_text("<pre>Car:   VW Golf\nRef:   AB-12</pre>x"),
            "Car:   VW Golf\nRef:   AB-12\n\nx"
        );
        assert_eq!(to_text("Total &#128;12 &#x80;3"), "Total €12 €3");
    }

    #[test]
    fn wrapped_cell_content_stays_on_the_row() {
        let html = "<table><tr><td><p style='m:0'>Pickup</p></td>\
                    <td><div><span>14 Mar 2026</span> 10:00</div></td></tr>\
                    <tr><td><h3>Driver</h3></td><td><p>Ana</p><p>Silva</p></td></tr></table>\
                    <div>Footer</div>";
        assert_eq!(
            to_text(html),
            "Pickup\t14 Mar 2026 10:00\nDriver\tAna\n\nSilva\n\nFooter"
        );
    }

    #[test]
    fn nested_layout_tables_keep_rows_apart() {
        let html = "<table><tr><td><table><tr><td>Vehicle</td><td>VW Polo</td></tr>\
                    <tr><td>Ref</td><td>BK-7781</td></tr></table></td></tr></table>";
        assert_eq!(to_text(html), "Vehicle\tVW Polo\nRef\tBK-7781");
    }
}
