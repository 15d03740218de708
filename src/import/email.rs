//! E-mail importer: mbox files, Maildir folders and `.eml` files → [`RawMail`].
//!
//! Reading and decoding are split on purpose. [`read_path`] only finds message boundaries and
//! streams raw bytes (one message in memory at a time, so a multi-gigabyte mbox is fine), while
//! [`parse`] decodes one message and is pure, so the pipeline can run it in parallel.
//!
//! mbox splitting is done here rather than with `mail_parser::mailbox`, because that reader
//! starts a message at *any* line beginning `From ` — a booking mail whose body has a line like
//! "From 14 March the car is ready" would be cut in two. Here a separator must follow a blank
//! line (or be the first line) *and* be followed by a header line.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{
    Encoding, Header, HeaderName, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders,
    PartType,
};

use super::{html, RawMail};
use crate::error::{Error, Result};
use crate::evidence::{Rejected, Source};

/// One message's raw bytes and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailBlob {
    /// Path of the file the message was read from (the mbox, or the `.eml`/Maildir file).
    pub file: crate::evidence::Shared,
    /// `message N (line L)` inside an mbox; the path relative to the given folder otherwise.
    pub position: String,
    pub bytes: Vec<u8>,
}

/// mbox files are read through a buffer this large: few syscalls, bounded memory.
const READ_BUFFER: usize = 1 << 20;
/// How much of a file is read to decide what it is.
const SNIFF_BYTES: u64 = 64 * 1024;
/// A single message above this size is rejected instead of held in memory: no booking mail is
/// that large, but a corrupt mbox without separators can be.
const MAX_MESSAGE_BYTES: usize = 64 << 20;
/// Folder recursion limit (guards against symlink loops).
const MAX_DIR_DEPTH: usize = 32;
/// How deep attached `message/rfc822` parts are followed for body text.
const MAX_FORWARD_DEPTH: usize = 4;
/// Outlook `.msg` files are OLE compound documents, not MIME.
const OLE_MAGIC: [u8; 4] = [0xD0, 0xCF, 0x11, 0xE0];

/// Headers copied into [`RawMail::flags`]: they mark machine mail (auto-replies, newsletters,
/// bounces) so that the extractor can classify it without guessing from the text.
const FLAG_HEADERS: [&str; 7] = [
    "auto-submitted",
    "precedence",
    "list-unsubscribe",
    "list-id",
    "x-autoreply",
    "x-auto-response-suppress",
    "x-failed-recipients",
];

/// Streams the messages found at `path` to `sink`, one at a time.
///
/// `path` may be an mbox file (mboxo or mboxrd, detected by content: the first non-empty line
/// starts with `From `), a Maildir folder (`cur/`, `new/`, `tmp/`, plus Maildir++ `.Sub`
/// folders), a folder of `.eml` files (recursive), or a single message file. Files inside
/// folders are visited sorted by relative path so runs are reproducible. Unreadable files and
/// oversized messages go to the sink as `Err(Rejected)`; only a `path` that does not exist at all
/// is an error (it is a mistake in the plan, not in the evidence).
pub fn read_path(path: &Path, sink: &mut dyn FnMut(Result<MailBlob, Rejected>)) -> Result<()> {
    let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_dir() {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        read_file(path, &name, true, sink);
        return Ok(());
    }
    let mut entries = Vec::new();
    if is_maildir(path) {
        collect_maildir(path, path, 0, &mut entries, sink);
    } else {
        collect_folder(path, path, 0, &mut entries, sink);
    }
    entries.sort_by(|a, b| a.rel.cmp(&b.rel));
    for entry in &entries {
        read_file(&entry.path, &entry.rel, entry.accept_any, sink);
    }
    Ok(())
}

/// A file found in a folder.
struct Entry {
    path: PathBuf,
    /// Path relative to the folder given to [`read_path`], `/`-separated.
    rel: String,
    /// The file is known to be mail (Maildir entry, mail extension); otherwise it is only read
    /// when its first bytes look like mail, so stray `.json` or `.pdf` files are ignored.
    accept_any: bool,
}

fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() || dir.join("new").is_dir()
}

fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with('.')
}

fn reject_io(root: &Path, path: &Path, what: &str, e: &std::io::Error) -> Rejected {
    Rejected::new(
        Source::Email,
        path.display().to_string(),
        rel_path(root, path),
        format!("cannot {what}: {e}"),
    )
}

/// Lists the directory, sending an unreadable one to the sink.
fn list_dir(
    root: &Path,
    dir: &Path,
    sink: &mut dyn FnMut(Result<MailBlob, Rejected>),
) -> Vec<(PathBuf, std::ffi::OsString)> {
    let reader = match fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) => {
            sink(Err(reject_io(root, dir, "read folder", &e)));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for item in reader {
        match item {
            Ok(item) => out.push((item.path(), item.file_name())),
            Err(e) => sink(Err(reject_io(root, dir, "read folder entry", &e))),
        }
    }
    out
}

/// Every non-hidden file in `cur/`, `new/` and `tmp/` is one message; `.Name` subfolders that
/// are Maildirs themselves (Maildir++) are followed.
fn collect_maildir(
    root: &Path,
    dir: &Path,
    depth: usize,
    out: &mut Vec<Entry>,
    sink: &mut dyn FnMut(Result<MailBlob, Rejected>),
) {
    for sub in ["cur", "new", "tmp"] {
        let subdir = dir.join(sub);
        if !subdir.is_dir() {
            continue;
        }
        for (path, name) in list_dir(root, &subdir, sink) {
            if !is_hidden(&name) && path.is_file() {
                out.push(Entry {
                    rel: rel_path(root, &path),
                    path,
                    accept_any: true,
                });
            }
        }
    }
    if depth >= MAX_DIR_DEPTH {
        return;
    }
    for (path, name) in list_dir(root, dir, sink) {
        if is_hidden(&name) && path.is_dir() && is_maildir(&path) {
            collect_maildir(root, &path, depth + 1, out, sink);
        }
    }
}

/// Recursive walk of a plain folder; Maildirs found inside are read as Maildirs.
fn collect_folder(
    root: &Path,
    dir: &Path,
    depth: usize,
    out: &mut Vec<Entry>,
    sink: &mut dyn FnMut(Result<MailBlob, Rejected>),
) {
    for (path, name) in list_dir(root, dir, sink) {
        if is_hidden(&name) {
            continue;
        }
        if path.is_dir() {
            if depth >= MAX_DIR_DEPTH {
                continue;
            }
            if is_maildir(&path) {
                collect_maildir(root, &path, depth + 1, out, sink);
            } else {
                collect_folder(root, &path, depth + 1, out, sink);
            }
        } else if path.is_file() {
            let accept_any = match path.extension() {
                None => true,
                Some(ext) => {
                    let ext = ext.to_string_lossy().to_ascii_lowercase();
                    matches!(ext.as_str(), "eml" | "msg" | "mbox" | "mbx" | "mail")
                }
            };
            out.push(Entry {
                rel: rel_path(root, &path),
                path,
                accept_any,
            });
        }
    }
}

/// What the first bytes of a file say it is.
#[derive(Debug, PartialEq)]
enum Sniff {
    Mbox,
    /// Starts like a message (a header line) or is an Outlook `.msg` (rejected later, by name).
    Message,
    Other,
}

fn sniff(head: &[u8]) -> Sniff {
    if head.starts_with(&OLE_MAGIC) {
        return Sniff::Message;
    }
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = head
        .split(|&b| b == b'\n')
        .map(trim_eol)
        .find(|l| !l.iter().all(u8::is_ascii_whitespace));
    match first {
        Some(line) if line.starts_with(b"From ") => Sniff::Mbox,
        Some(line) if is_header_line(line) => Sniff::Message,
        _ => Sniff::Other,
    }
}

/// `Name: value`. RFC 5322 allows any printable ASCII in a field name, but real headers use
/// letters, digits and `-` only; being strict keeps JSON (`{"a": 1}`) or prose from passing.
fn is_header_line(line: &[u8]) -> bool {
    match line.iter().position(|&b| b == b':') {
        Some(colon) if colon > 0 => {
            line[0].is_ascii_alphabetic()
                && line[..colon]
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
        }
        _ => false,
    }
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Reads one file: an mbox is streamed, anything else is one message.
fn read_file(
    path: &Path,
    rel: &str,
    accept_any: bool,
    sink: &mut dyn FnMut(Result<MailBlob, Rejected>),
) {
    let file_name = path.display().to_string();
    let reject = |reason: String| Rejected::new(Source::Email, file_name.clone(), rel, reason);
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return sink(Err(reject(format!("cannot open: {e}")))),
    };
    let mut head = Vec::with_capacity(8 * 1024);
    if let Err(e) = (&mut file).take(SNIFF_BYTES).read_to_end(&mut head) {
        return sink(Err(reject(format!("cannot read: {e}"))));
    }
    match sniff(&head) {
        Sniff::Mbox => {
            if let Err(e) = file.seek(SeekFrom::Start(0)) {
                return sink(Err(reject(format!("cannot read: {e}"))));
            }
            let reader = BufReader::with_capacity(READ_BUFFER, file);
            split_mbox(reader, &file_name, sink);
        }
        Sniff::Other if !accept_any => {}
        _ => {
            let len = file.metadata().map(|m| m.len()).unwrap_or(0);
            if len > MAX_MESSAGE_BYTES as u64 {
                return sink(Err(reject(format!(
                    "message of {len} bytes is larger than the {MAX_MESSAGE_BYTES} byte limit"
                ))));
            }
            if let Err(e) = file.read_to_end(&mut head) {
                return sink(Err(reject(format!("cannot read: {e}"))));
            }
            sink(Ok(MailBlob {
                file: file_name.as_str().into(),
                position: rel.to_string(),
                bytes: head,
            }));
        }
    }
}

/// The message being collected by [`split_mbox`].
struct MboxMessage {
    number: usize,
    /// Line of its `From ` separator.
    line: u64,
    bytes: Vec<u8>,
    oversize: bool,
}

impl MboxMessage {
    fn append(&mut self, data: &[u8]) {
        if self.oversize {
            return;
        }
        if self.bytes.len() + data.len() > MAX_MESSAGE_BYTES {
            self.oversize = true;
            self.bytes = Vec::new();
            return;
        }
        self.bytes.extend_from_slice(data);
    }

    fn emit(
        mut self,
        file: &crate::evidence::Shared,
        sink: &mut dyn FnMut(Result<MailBlob, Rejected>),
    ) {
        let position = format!("message {} (line {})", self.number, self.line);
        if self.oversize {
            return sink(Err(Rejected::new(
                Source::Email,
                &**file,
                position,
                format!("message is larger than the {MAX_MESSAGE_BYTES} byte limit"),
            )));
        }
        // The blank line before the next separator belongs to the mbox format, not the mail.
        if self.bytes.ends_with(b"\r\n\r\n") {
            self.bytes.truncate(self.bytes.len() - 2);
        } else if self.bytes.ends_with(b"\n\n") {
            self.bytes.truncate(self.bytes.len() - 1);
        }
        sink(Ok(MailBlob {
            file: file.clone(),
            position,
            bytes: self.bytes,
        }));
    }
}

/// Splits an mbox stream into messages (see the module docs for the separator rule).
///
/// `>From ` quoting is undone for both mboxo and mboxrd by removing exactly one `>` from lines
/// matching `^>+From `. Lines are read into one reused buffer: no allocation per line.
pub fn split_mbox<R: BufRead>(
    mut reader: R,
    file: &str,
    sink: &mut dyn FnMut(Result<MailBlob, Rejected>),
) {
    // one allocation for the file name, shared by every message of the mbox
    let file: crate::evidence::Shared = file.into();
    let file = &file;
    let mut line = Vec::with_capacity(512);
    let mut line_no: u64 = 0;
    let mut prev_blank = true;
    let mut count = 0usize;
    let mut current: Option<MboxMessage> = None;
    // A `From ` line after a blank line, waiting for the next line to tell whether it is a
    // separator (next line is a header) or body text.
    let mut held: Option<(u64, Vec<u8>)> = None;
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                sink(Err(Rejected::new(
                    Source::Email,
                    &**file,
                    format!("line {}", line_no + 1),
                    format!("cannot read mbox: {e}"),
                )));
                break;
            }
        }
        line_no += 1;
        let raw: &[u8] = if line_no == 1 {
            line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&line)
        } else {
            &line
        };
        let content = trim_eol(raw);

        if let Some((from_line, from_bytes)) = held.take() {
            if is_header_line(content) {
                if let Some(done) = current.take() {
                    done.emit(file, sink);
                }
                count += 1;
                current = Some(MboxMessage {
                    number: count,
                    line: from_line,
                    bytes: Vec::with_capacity(8 * 1024),
                    oversize: false,
                });
            } else if let Some(msg) = current.as_mut() {
                msg.append(&from_bytes);
            }
        }

        if prev_blank && content.starts_with(b"From ") {
            prev_blank = false;
            if current.is_none() {
                count += 1;
                current = Some(MboxMessage {
                    number: count,
                    line: line_no,
                    bytes: Vec::with_capacity(8 * 1024),
                    oversize: false,
                });
            } else {
                held = Some((line_no, raw.to_vec()));
            }
            continue;
        }
        prev_blank = content.is_empty();
        // Text before the first separator is not part of any message.
        let Some(msg) = current.as_mut() else {
            continue;
        };
        if is_quoted_from(content) {
            msg.append(&raw[1..]);
        } else {
            msg.append(raw);
        }
    }
    if let (Some((_, from_bytes)), Some(msg)) = (held, current.as_mut()) {
        msg.append(&from_bytes);
    }
    if let Some(done) = current {
        done.emit(file, sink);
    }
}

/// `^>+From `: a body line that the mbox writer quoted.
fn is_quoted_from(content: &[u8]) -> bool {
    let unquoted = content
        .iter()
        .position(|&b| b != b'>')
        .unwrap_or(content.len());
    unquoted > 0 && content[unquoted..].starts_with(b"From ")
}

/// Decodes one message. Never panics.
///
/// Rejects an Outlook `.msg` binary, empty input, and input that has no mail headers and no
/// text. Everything else becomes a [`RawMail`], however incomplete: a mail without Message-ID
/// gets a stable synthetic one, a mail without a date gets `None`.
pub fn parse(blob: &MailBlob) -> std::result::Result<RawMail, Rejected> {
    let reject = |reason: &str| Rejected::new(Source::Email, &*blob.file, &blob.position, reason);
    if blob.bytes.starts_with(&OLE_MAGIC) {
        return Err(reject(
            "Outlook .msg file (OLE binary), not a MIME message: export it as .eml or mbox",
        ));
    }
    if blob.bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(reject("empty message"));
    }
    // mail-parser is lenient and fuzzed, but a decoder bug on one hostile mail must cost that
    // mail only, not the whole run.
    match catch_unwind(AssertUnwindSafe(|| decode(blob))) {
        Ok(Some(mail)) => Ok(mail),
        Ok(None) => Err(reject(
            "no mail headers or text found: not an e-mail message",
        )),
        Err(_) => Err(reject("mail decoder failed on malformed input")),
    }
}

/// mail-parser's own choice of parser per header, except that `Received` is skipped: nothing
/// here reads it, a real mail carries five to ten of them, and their tokenizer is the dearest
/// header parser (2% of a whole run with only one per mail).
static PARSER: LazyLock<MessageParser> = LazyLock::new(|| {
    use HeaderName as H;
    type Add = fn(MessageParser, H<'static>) -> MessageParser;
    let groups: [(Add, &[H<'static>]); 6] = [
        (
            |p, h| p.header_text(h),
            &[
                H::Subject,
                H::Comments,
                H::ContentDescription,
                H::ContentLocation,
                H::ContentTransferEncoding,
            ],
        ),
        (
            |p, h| p.header_address(h),
            &[
                H::From,
                H::To,
                H::Cc,
                H::Bcc,
                H::ReplyTo,
                H::Sender,
                H::ResentTo,
                H::ResentFrom,
                H::ResentBcc,
                H::ResentCc,
                H::ResentSender,
                H::ListArchive,
                H::ListHelp,
                H::ListId,
                H::ListOwner,
                H::ListPost,
                H::ListSubscribe,
                H::ListUnsubscribe,
            ],
        ),
        (
            |p, h| p.header_id(h),
            &[
                H::MessageId,
                H::References,
                H::InReplyTo,
                H::ReturnPath,
                H::ContentId,
                H::ResentMessageId,
            ],
        ),
        (|p, h| p.header_date(h), &[H::Date, H::ResentDate]),
        (
            |p, h| p.header_comma_separated(h),
            &[H::Keywords, H::ContentLanguage],
        ),
        (
            |p, h| p.header_content_type(h),
            &[H::ContentType, H::ContentDisposition],
        ),
    ];
    let mut parser = MessageParser::new().default_header_raw();
    for (add, names) in groups {
        for h in names {
            parser = add(parser, h.clone());
        }
    }
    parser.ignore_header(H::Received)
});

fn decode(blob: &MailBlob) -> Option<RawMail> {
    let msg = PARSER.parse(&blob.bytes[..])?;
    let subject = subject(&msg);
    let mut text = body_text(&msg, 0);
    // Cheap test first: most mails quote nothing, and `is_forward` lower-cases the whole text.
    let quotes = text.lines().any(|l| l.trim_start().starts_with('>'));
    if quotes && is_forward(&subject, &text) {
        append_dequoted(&mut text);
    }
    let from = from_address(&msg);
    let message_id = message_id(&msg);
    let date = msg
        .date()
        .filter(|d| d.is_valid())
        .map(|d| d.to_timestamp());
    let to: Vec<String> = msg
        .all_to()
        .flat_map(|a| a.iter())
        .filter_map(|a| a.address())
        .map(|a| a.trim().to_lowercase())
        .filter(|a| !a.is_empty())
        .collect();
    let to_name = msg
        .all_to()
        .flat_map(|a| a.iter())
        .find_map(|a| a.name())
        .map(|n| n.trim().trim_matches('"').to_string())
        .filter(|n| !n.is_empty());
    let has_headers = from.is_some()
        || message_id.is_some()
        || date.is_some()
        || !to.is_empty()
        || !subject.is_empty();
    if !has_headers && text.trim().is_empty() {
        return None;
    }
    let flags = flags(&msg, from.as_ref());
    Some(RawMail {
        file: blob.file.clone(),
        position: blob.position.clone(),
        message_id: message_id.unwrap_or_else(|| synthetic_id(blob)),
        date,
        from,
        reply_to: msg
            .reply_to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(|a| a.trim().to_lowercase())
            .filter(|a| !a.is_empty()),
        to,
        to_name,
        subject,
        text,
        flags,
    })
}

/// `missing-<16 hex>@gapfill`: stable across runs (FNV-1a over file, position and bytes), and
/// distinct for two id-less mails in the same file.
fn synthetic_id(blob: &MailBlob) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let parts: [&[u8]; 5] = [
        blob.file.as_bytes(),
        &[0xFF],
        blob.position.as_bytes(),
        &[0xFF],
        &blob.bytes,
    ];
    for byte in parts.iter().flat_map(|p| p.iter()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("missing-{hash:016x}@gapfill")
}

/// Message-ID without angle brackets, or `None` when absent or blank.
fn message_id(msg: &Message<'_>) -> Option<String> {
    let header = root_header(msg, &HeaderName::MessageId)?;
    let parsed = match header.value() {
        HeaderValue::Text(id) => Some(id.trim().to_string()),
        // Several ids (broken client): the first one is the message's own.
        HeaderValue::TextList(ids) => ids.first().map(|id| id.trim().to_string()),
        _ => None,
    };
    let id = match parsed {
        Some(id) if !id.is_empty() => id,
        _ => raw_header(msg, header)
            .split_whitespace()
            .next()?
            .to_string(),
    };
    let id = id.trim_start_matches('<').trim_end_matches('>').trim();
    (!id.is_empty()).then(|| id.to_string())
}

fn root_header<'a, 'x>(msg: &'a Message<'x>, name: &HeaderName<'_>) -> Option<&'a Header<'x>> {
    msg.parts.first()?.headers.iter().find(|h| &h.name == name)
}

/// A header's raw value, unfolded and trimmed. Undeclared 8-bit bytes (not valid UTF-8) are
/// read as windows-1252, what such mail almost always is.
fn raw_header(msg: &Message<'_>, header: &Header<'_>) -> String {
    let start = header.offset_start as usize;
    let end = header.offset_end as usize;
    let bytes = msg.raw_message.get(start..end).unwrap_or_default();
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(decode_cp1252(bytes)),
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Decoded Subject (RFC 2047 words decoded by mail-parser), on one line.
fn subject(msg: &Message<'_>) -> String {
    let decoded = msg.subject().unwrap_or_default();
    if decoded.contains('\u{FFFD}') {
        // Raw 8-bit subject with no encoded-word: re-read the bytes as windows-1252.
        if let Some(h) = root_header(msg, &HeaderName::Subject) {
            let raw = raw_header(msg, h);
            if !raw.contains("=?") {
                return raw;
            }
        }
    }
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// (display name, lower-cased address) of the first From address.
fn from_address(msg: &Message<'_>) -> Option<(String, String)> {
    let addr = msg.from()?.first()?;
    let address = addr.address().unwrap_or_default().trim().to_lowercase();
    let name = addr
        .name()
        .unwrap_or_default()
        .trim()
        .trim_matches('"')
        .trim()
        .to_string();
    if address.is_empty() && name.is_empty() {
        return None;
    }
    Some((name, address))
}

/// Machine-mail markers: the [`FLAG_HEADERS`], a `multipart/report` content type (delivery
/// reports) and `from-mailer-daemon` for bounces sent by MAILER-DAEMON or postmaster.
fn flags(msg: &Message<'_>, from: Option<&(String, String)>) -> BTreeMap<String, String> {
    let mut flags = BTreeMap::new();
    let headers = msg.parts.first().map_or(&[][..], |p| &p.headers[..]);
    for header in headers {
        // compared before anything is allocated: a mail has a dozen headers, rarely a flag
        let name = header.name();
        if let Some(&name) = FLAG_HEADERS.iter().find(|f| f.eq_ignore_ascii_case(name)) {
            let name = name.to_string();
            let value = raw_header(msg, header);
            flags
                .entry(name)
                .and_modify(|v: &mut String| {
                    v.push_str(", ");
                    v.push_str(&value);
                })
                .or_insert(value);
        } else if name.eq_ignore_ascii_case("content-type") {
            let is_report = header.value().as_content_type().is_some_and(|ct| {
                ct.ctype().eq_ignore_ascii_case("multipart")
                    && ct
                        .subtype()
                        .is_some_and(|s| s.eq_ignore_ascii_case("report"))
            });
            if is_report {
                flags.insert("content-type".to_string(), raw_header(msg, header));
            }
        }
    }
    if let Some((name, address)) = from {
        let local = address.split('@').next().unwrap_or_default();
        let name = name.to_ascii_lowercase();
        let daemon = |s: &str| s == "mailer-daemon" || s == "postmaster";
        if daemon(local) || daemon(&name) {
            flags.insert("from-mailer-daemon".to_string(), "yes".to_string());
        }
    }
    flags
}

/// Body text: the inline text/plain parts; when they are empty or absent, the HTML parts
/// converted with [`html::to_text`]; then the text of every attached `message/rfc822`, so a
/// forwarded booking mail still shows the original. Attachments (calendar files, PDFs) are left
/// out.
fn body_text(msg: &Message<'_>, depth: usize) -> String {
    let mut plain = String::new();
    for part in msg
        .text_body
        .iter()
        .filter_map(|&id| msg.parts.get(id as usize))
    {
        if let PartType::Text(text) = &part.body {
            append_block(&mut plain, &part_text(msg, part, text));
        }
    }
    let mut text = if plain.trim().is_empty() {
        let mut from_html = String::new();
        let html_ids = msg.html_body.iter().chain(msg.text_body.iter());
        let mut seen = Vec::new();
        for &id in html_ids {
            if seen.contains(&id) {
                continue;
            }
            seen.push(id);
            if let Some(PartType::Html(h)) = msg.parts.get(id as usize).map(|p| &p.body) {
                append_block(&mut from_html, &html::to_text(h));
            }
        }
        from_html
    } else {
        plain
    };
    if depth < MAX_FORWARD_DEPTH {
        for part in &msg.parts {
            if let PartType::Message(inner) = &part.body {
                append_block(&mut text, &attached_message_text(inner, depth + 1));
            }
        }
    }
    text
}

/// An attached message laid out like an inline forward, headers first, so the extractor sees
/// the same shape whichever way the mail client forwarded.
fn attached_message_text(inner: &Message<'_>, depth: usize) -> String {
    let mut out = String::from("---------- Forwarded message ----------\n");
    if let Some(addr) = inner.from().and_then(|a| a.first()) {
        let name = addr.name().unwrap_or_default().trim();
        let address = addr.address().unwrap_or_default().trim();
        out.push_str(&format!("From: {name} <{address}>\n"));
    }
    if let Some(date) = inner.date().filter(|d| d.is_valid()) {
        out.push_str(&format!("Date: {}\n", date.to_rfc822()));
    }
    out.push_str(&format!("Subject: {}\n", subject(inner)));
    let to: Vec<&str> = inner
        .all_to()
        .flat_map(|a| a.iter())
        .filter_map(|a| a.address())
        .collect();
    if !to.is_empty() {
        out.push_str(&format!("To: {}\n", to.join(", ")));
    }
    out.push('\n');
    out.push_str(&body_text(inner, depth));
    out
}

/// A decoded text part with line endings normalised to `\n`. A part that declares no charset
/// and is not UTF-8 comes back from mail-parser with replacement characters; it is re-read as
/// windows-1252 (a superset of iso-8859-1 for printable text), which is what such mail is.
fn part_text(msg: &Message<'_>, part: &MessagePart<'_>, text: &str) -> String {
    let declared = part
        .content_type()
        .is_some_and(|ct| ct.attribute("charset").is_some());
    let text: Cow<'_, str> = if text.contains('\u{FFFD}') && !declared {
        undeclared_8bit(msg, part).map_or(Cow::Borrowed(text), Cow::Owned)
    } else {
        Cow::Borrowed(text)
    };
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.into_owned()
    }
}

fn undeclared_8bit(msg: &Message<'_>, part: &MessagePart<'_>) -> Option<String> {
    let raw = msg
        .raw_message
        .get(part.offset_body as usize..part.offset_end as usize)?;
    let bytes: Cow<'_, [u8]> = match part.encoding {
        Encoding::None => Cow::Borrowed(raw),
        Encoding::QuotedPrintable => Cow::Owned(quoted_printable_decode(raw)?),
        Encoding::Base64 => Cow::Owned(base64_decode(raw)?),
    };
    match std::str::from_utf8(&bytes) {
        Ok(_) => None,
        Err(_) => Some(decode_cp1252(&bytes)),
    }
}

/// Appends `block` after a blank line (nothing when the block is blank).
fn append_block(out: &mut String, block: &str) {
    let block = block.trim_end();
    if block.trim().is_empty() {
        return;
    }
    if !out.is_empty() {
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push_str("\n\n");
    }
    out.push_str(block);
}

/// A forward: `Fwd:`-style subject (in the languages our tenants write) or a forward marker in
/// the text.
fn is_forward(subject: &str, text: &str) -> bool {
    let s = subject.trim_start().to_lowercase();
    let s = s.strip_prefix('[').unwrap_or(&s);
    const PREFIXES: [&str; 8] = ["fwd:", "fw:", "wg:", "tr:", "rv:", "enc:", "doorst:", "vs:"];
    if PREFIXES.iter().any(|p| s.starts_with(p)) {
        return true;
    }
    let t = text.to_lowercase();
    const MARKERS: [&str; 6] = [
        "forwarded message",
        "original message",
        "begin forwarded message",
        "weitergeleitete nachricht",
        "ursprüngliche nachricht",
        "message transféré",
    ];
    MARKERS.iter().any(|m| t.contains(m))
}

/// Appends the `>`-quoted lines of a forward without their quote marks, so that the
/// extractor's line patterns (`Pickup: ...`) match the original booking text too.
fn append_dequoted(text: &mut String) {
    let mut dequoted = String::new();
    let mut any = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if !trimmed.starts_with('>') {
            continue;
        }
        any = true;
        let mut rest = trimmed;
        while let Some(r) = rest.strip_prefix('>') {
            rest = r.strip_prefix(' ').unwrap_or(r);
        }
        dequoted.push_str(rest);
        dequoted.push('\n');
    }
    if any {
        append_block(text, &dequoted);
    }
}

/// windows-1252 bytes → text. iso-8859-1 text is decoded the same way: the two differ only in
/// 0x80–0x9F, which are control characters in iso-8859-1 and never appear in real text.
fn decode_cp1252(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| cp1252_char(b)).collect()
}

/// One windows-1252 byte as a char (also used by [`html`] for `&#128;`-style references).
pub(crate) fn cp1252_char(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/email")
            .join(name)
    }

    fn read_all(path: &Path) -> (Vec<MailBlob>, Vec<Rejected>) {
        let mut ok = Vec::new();
        let mut bad = Vec::new();
        read_path(path, &mut |r| match r {
            Ok(b) => ok.push(b),
            Err(e) => bad.push(e),
        })
        .expect("path exists");
        (ok, bad)
    }

    fn parse_fixture(name: &str) -> RawMail {
        let (blobs, rejected) = read_all(&fixture(name));
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(blobs.len(), 1);
        parse(&blobs[0]).expect("parses")
    }

    fn blob(bytes: &[u8]) -> MailBlob {
        MailBlob {
            file: "inbox.mbox".into(),
            position: "message 1 (line 1)".into(),
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn received_headers_are_skipped_and_everything_read_still_parses() {
        let mail = b"Received: from mx1.example (mx1.example [192.0.2.1])\r\n\tby mx2.example with ESMTPS id 4Xk; Sat, 14 Mar 2026 09:00:01 +0000\r\n\
Received: from app.example by mx1.example; Sat, 14 Mar 2026 09:00:00 +0000\r\n\
Message-ID: <bk-1001@app.example>\r\n\
Date: Sat, 14 Mar 2026 10:00:00 +0100\r\n\
From: =?utf-8?q?Alpen_Autos_M=C3=BCnchen?= <bookings@alpen-autos.example>\r\n\
Reply-To: help@alpen-autos.example\r\n\
To: \"Anna Berg\" <anna@example.com>\r\n\
Subject: =?iso-8859-1?q?Best=E4tigung?= BK-1001\r\n\
List-Unsubscribe: <mailto:unsub@alpen-autos.example>\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Abholung: 14.03.2026 10:00 M=C3=BCnchen\r\n";
        let m = parse(&blob(mail)).expect("parses");
        assert_eq!(m.message_id, "bk-1001@app.example");
        assert_eq!(m.date, Some(1_773_478_800));
        assert_eq!(
            m.from,
            Some((
                "Alpen Autos München".to_string(),
                "bookings@alpen-autos.example".to_string()
            ))
        );
        assert_eq!(m.reply_to.as_deref(), Some("help@alpen-autos.example"));
        assert_eq!(m.to, vec!["anna@example.com".to_string()]);
        assert_eq!(m.to_name.as_deref(), Some("Anna Berg"));
        assert_eq!(m.subject, "Bestätigung BK-1001");
        assert!(
            m.text.contains("Abholung: 14.03.2026 10:00 München"),
            "{}",
            m.text
        );
        assert!(m.flags.contains_key("list-unsubscribe"), "{:?}", m.flags);
        let msg = PARSER.parse(&mail[..]).expect("parses");
        let received: Vec<&HeaderValue> = msg.parts[0]
            .headers
            .iter()
            .filter(|h| h.name == HeaderName::Received)
            .map(|h| &h.value)
            .collect();
        assert_eq!(received.len(), 2);
        assert!(received.iter().all(|v| matches!(v, HeaderValue::Empty)));
    }

    fn split(bytes: &[u8]) -> Vec<MailBlob> {
        let mut out = Vec::new();
        split_mbox(Cursor::new(bytes), "test.mbox", &mut |r| {
            out.push(r.expect("no rejection"))
        });
        out
    }

    fn ts(rfc2822: &str) -> i64 {
        chrono::DateTime::parse_from_rfc2822(rfc2822)
            .expect("valid date")
            .timestamp()
    }

    #[test]
    fn mboxrd_unquotes_one_level_and_keeps_body_from_lines() {
        let (blobs, rejected) = read_all(&fixture("mboxrd.mbox"));
        assert!(rejected.is_empty());
        assert_eq!(blobs.len(), 2);
        assert_eq!(blobs[0].position, "message 1 (line 1)");
        assert_eq!(blobs[1].position, "message 2 (line 15)");
        assert!(blobs[0].file.ends_with("mboxrd.mbox"));
        let first = parse(&blobs[0]).expect("parses");
        assert_eq!(first.message_id, "mbox-1@rentacar.example");
        assert_eq!(
            first.text,
            "Hello\nFrom the airport we drive you to town.\n>From quoted once by the sender.\n\
             Your car:\nFrom 14 March the car is ready.\n\n\
             From 15 March too, after a blank line.\nBring your licence."
        );
        let second = parse(&blobs[1]).expect("parses");
        assert_eq!(second.subject, "Second");
        assert_eq!(second.text, "Second body");
        // The separator's blank line is not part of the message.
        assert!(blobs[0].bytes.ends_with(b"Bring your licence.\n"));
        assert!(blobs[1].bytes.ends_with(b"Second body\n"));
    }

    #[test]
    fn mboxo_with_leading_blank_line_and_missing_message_id() {
        let (blobs, _) = read_all(&fixture("mboxo.mbox"));
        assert_eq!(blobs.len(), 2);
        assert_eq!(blobs[0].position, "message 1 (line 2)");
        assert_eq!(blobs[1].position, "message 2 (line 10)");
        let first = parse(&blobs[0]).expect("parses");
        assert_eq!(first.text, "From the airport.\nFrom here you walk.");
        let second = parse(&blobs[1]).expect("parses");
        assert!(second.message_id.starts_with("missing-"));
        assert!(second.message_id.ends_with("@gapfill"));
        assert_eq!(
            second.message_id.len(),
            "missing-".len() + 16 + "@gapfill".len()
        );
        // Stable across runs, distinct per position.
        let again = parse(&read_all(&fixture("mboxo.mbox")).0[1]).expect("parses");
        assert_eq!(second.message_id, again.message_id);
        let mut moved = blobs[1].clone();
        moved.position = "message 3 (line 40)".into();
        assert_ne!(parse(&moved).expect("parses").message_id, second.message_id);
    }

    #[test]
    fn crlf_mbox() {
        let (blobs, _) = read_all(&fixture("crlf.mbox"));
        assert_eq!(blobs.len(), 2);
        assert_eq!(blobs[1].position, "message 2 (line 9)");
        assert!(blobs[0].bytes.ends_with(b"From quoted\r\n"));
        let first = parse(&blobs[0]).expect("parses");
        assert_eq!(first.text, "Line one\nFrom quoted");
        assert_eq!(first.from, Some(("A".into(), "a@example.com".into())));
        let second = parse(&blobs[1]).expect("parses");
        assert_eq!(second.message_id, "crlf-2@example.com");
        assert_eq!(second.text, "Line two");
    }

    #[test]
    fn from_line_without_blank_line_or_header_stays_in_body() {
        let mbox = b"From x@example.com Mon Mar  2 10:00:00 2026\nSubject: a\n\nline\n\
                     From the car park, turn left.\n\nFrom Monday on we are open.\nSee you\n\n\
                     From y@example.com Mon Mar  2 11:00:00 2026\nSubject: b\n\nbody b\n\n\
                     From the end";
        let blobs = split(mbox);
        assert_eq!(blobs.len(), 2);
        assert_eq!(
            blobs[0].bytes,
            b"Subject: a\n\nline\nFrom the car park, turn left.\n\nFrom Monday on we are open.\nSee you\n"
        );
        // A `From ` line at the very end after a blank line is body text, not a new message.
        assert_eq!(blobs[1].bytes, b"Subject: b\n\nbody b\n\nFrom the end");
    }

    #[test]
    fn maildir_cur_new_tmp_and_subfolders_sorted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for sub in ["cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Sent/tmp"] {
            fs::create_dir_all(root.join(sub)).expect("mkdir");
        }
        let mail =
            |id: &str| format!("From: a@example.com\nMessage-ID: <{id}>\nSubject: s\n\nbody\n");
        fs::write(root.join("cur/1700000002.M2P1.host:2,S"), mail("c2")).expect("write");
        fs::write(root.join("cur/1700000001.M1P1.host:2,S"), mail("c1")).expect("write");
        fs::write(root.join("new/1700000003.M3P1.host"), mail("n3")).expect("write");
        fs::write(root.join(".Sent/cur/1700000004.M4P1.host:2,S"), mail("s4")).expect("write");
        fs::write(root.join("dovecot-uidlist"), "3 V1 N5\n").expect("write");
        let (blobs, rejected) = read_all(root);
        assert!(rejected.is_empty());
        let positions: Vec<&str> = blobs.iter().map(|b| b.position.as_str()).collect();
        assert_eq!(
            positions,
            [
                ".Sent/cur/1700000004.M4P1.host:2,S",
                "cur/1700000001.M1P1.host:2,S",
                "cur/1700000002.M2P1.host:2,S",
                "new/1700000003.M3P1.host",
            ]
        );
        let ids: Vec<String> = blobs
            .iter()
            .map(|b| parse(b).expect("parses").message_id)
            .collect();
        assert_eq!(ids, ["s4", "c1", "c2", "n3"]);
    }

    #[test]
    fn folder_of_eml_recursive_with_mbox_and_msg() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        fs::create_dir_all(root.join("a/b")).expect("mkdir");
        let mail = |id: &str| format!("From: a@example.com\nMessage-ID: <{id}>\n\nbody {id}\n");
        fs::write(root.join("a/b/1.eml"), mail("ab1")).expect("write");
        fs::write(root.join("a/2.EML"), mail("a2")).expect("write");
        fs::write(root.join("0.eml"), mail("r0")).expect("write");
        fs::write(root.join("notes.json"), "{\"not\": \"mail\"}").expect("write");
        fs::write(root.join("saved.txt"), mail("txt")).expect("write");
        fs::write(root.join(".DS_Store"), "junk").expect("write");
        fs::copy(fixture("outlook.msg"), root.join("outlook.msg")).expect("copy");
        fs::copy(fixture("mboxrd.mbox"), root.join("Inbox")).expect("copy");
        let (blobs, rejected) = read_all(root);
        assert!(rejected.is_empty());
        let positions: Vec<&str> = blobs.iter().map(|b| b.position.as_str()).collect();
        assert_eq!(
            positions,
            [
                "0.eml",
                "message 1 (line 1)",
                "message 2 (line 15)",
                "a/2.EML",
                "a/b/1.eml",
                "outlook.msg",
                "saved.txt",
            ]
        );
        assert!(blobs[1].file.ends_with("Inbox"));
        assert!(blobs[3].file.ends_with("2.EML"));
        let msg = parse(&blobs[5]).expect_err("msg is rejected");
        assert!(msg.reason.contains("Outlook .msg"), "{}", msg.reason);
        assert_eq!(msg.position, "outlook.msg");
    }

    #[test]
    fn missing_path_is_an_error_and_single_file_position_is_its_name() {
        let err = read_path(Path::new("/nonexistent/gapfill/mail"), &mut |_| {});
        assert!(err.is_err());
        let (blobs, _) = read_all(&fixture("alternative.eml"));
        assert_eq!(blobs[0].position, "alternative.eml");
    }

    #[test]
    fn multipart_alternative_prefers_plain_and_reads_headers() {
        let mail = parse_fixture("alternative.eml");
        assert_eq!(mail.message_id, "bk1001@rentacar.example");
        assert_eq!(mail.subject, "Booking confirmation BK-1001");
        assert_eq!(
            mail.from,
            Some(("Rent A Car".into(), "bookings@rentacar.example".into()))
        );
        assert_eq!(mail.reply_to.as_deref(), Some("help@rentacar.example"));
        assert_eq!(mail.to, ["jane.doe@example.com", "ops@rentacar.example"]);
        assert_eq!(mail.date, Some(ts("Tue, 10 Mar 2026 09:30:00 +0100")));
        assert_eq!(
            mail.text,
            "Booking BK-1001\nPickup: 14 Mar 2026 10:00\nTotal: € 349.00 (incl. VAT)"
        );
        assert!(mail.flags.is_empty());
    }

    #[test]
    fn empty_plain_part_falls_back_to_html_and_attachments_are_not_text() {
        let mail = parse_fixture("html_table_base64.eml");
        assert_eq!(
            mail.text,
            "Your booking BK-2002\n\nPickup\t14 Mar 2026 10:00\nReturn\t16 Mar 2026 18:00\n\
             Vehicle\tVW Golf – automatic\nTotal\t€ 219.50\n\nMünchen Hbf, see you soon!"
        );
        assert!(!mail.text.contains("CALENDAR-ATTACHMENT-TEXT"));
        assert!(!mail.text.contains("PDF"));
        assert_eq!(mail.date, Some(ts("Wed, 11 Mar 2026 14:05:09 +0000")));
    }

    #[test]
    fn html_only_quoted_printable_with_table_and_utf8_b_subject() {
        let mail = parse_fixture("html_only.eml");
        assert_eq!(mail.subject, "Reservierung bürgerlich € ñ");
        assert_eq!(
            mail.text,
            "Pickup\t14 Mar 2026 10:00\nStation\tZürich Flughafen"
        );
        assert_eq!(
            mail.from,
            Some((String::new(), "noreply@rentacar.example".into()))
        );
        assert_eq!(mail.date, Some(ts("Thu, 12 Mar 2026 08:00:00 -0500")));
    }

    #[test]
    fn iso_8859_1_body_and_q_encoded_headers() {
        let mail = parse_fixture("latin1.eml");
        assert_eq!(mail.subject, "Buchung ändern für José");
        assert_eq!(
            mail.from,
            Some(("Jürgen Müller".into(), "juergen@example.de".into()))
        );
        assert_eq!(mail.text, "Grüße aus Köln, José Muñoz, café.");
    }

    #[test]
    fn windows_1252_body_8bit_and_quoted_printable() {
        let mail = parse_fixture("cp1252.eml");
        assert_eq!(mail.text, "Total: 120 € – niño “Ñandú” Müller é");
        let qp = parse_fixture("cp1252_qp.eml");
        assert_eq!(qp.text, "Depósito: 50 €, niño, Müller, café");
    }

    #[test]
    fn undeclared_8bit_is_read_as_windows_1252() {
        let mail = parse_fixture("undeclared_8bit.eml");
        assert_eq!(mail.subject, "Réservation");
        assert_eq!(mail.text, "Prêt à partir de 10:00, total 99 €.");
    }

    #[test]
    fn base64_plain_body() {
        let raw = b"From: a@example.com\nMessage-ID: <b64@example.com>\nContent-Type: text/plain; charset=utf-8\n\
                    Content-Transfer-Encoding: base64\n\nQm9va2luZyBCSy05OTkKVG90YWw6IDQ1IOKCrAo=\n";
        let mail = parse(&blob(raw)).expect("parses");
        assert_eq!(mail.text, "Booking BK-999\nTotal: 45 €");
    }

    #[test]
    fn duplicated_message_ids_are_kept_apart() {
        let mbox = b"From a Mon Mar  2 10:00:00 2026\nMessage-ID: <same@example.com>\nSubject: one\n\nfirst\n\n\
                     From a Mon Mar  2 10:05:00 2026\nMessage-ID: <same@example.com>\nSubject: two\n\nsecond\n";
        let mails: Vec<RawMail> = split(mbox)
            .iter()
            .map(|b| parse(b).expect("parses"))
            .collect();
        assert_eq!(mails.len(), 2);
        assert_eq!(mails[0].message_id, "same@example.com");
        assert_eq!(mails[1].message_id, "same@example.com");
        assert_eq!(mails[0].text, "first");
        assert_eq!(mails[1].text, "second");
        assert_ne!(mails[0].position, mails[1].position);
    }

    #[test]
    fn inline_forward_keeps_quote_and_adds_dequoted_copy() {
        let mail = parse_fixture("forward_inline.eml");
        assert_eq!(mail.subject, "Fwd: Booking confirmation BK-3003");
        assert!(mail.text.contains("> Pickup: 20 Mar 2026 09:00"));
        assert!(mail
            .text
            .ends_with("\n\nBooking BK-3003\nPickup: 20 Mar 2026 09:00\nCustomer: Ana Silva"));
    }

    #[test]
    fn attached_rfc822_original_is_appended() {
        let mail = parse_fixture("forward_rfc822.eml");
        assert_eq!(mail.message_id, "fwd-attached@rentacar.example");
        assert!(mail.text.starts_with("See the attached original.\n\n"));
        assert!(mail
            .text
            .contains("Subject: Booking confirmation BK-4004\n"));
        assert!(mail
            .text
            .ends_with("Booking BK-4004\nPickup: 21 Mar 2026 09:00\nCustomer: João Conceição"));
        assert_eq!(mail.text.matches("Booking BK-4004").count(), 1);
    }

    #[test]
    fn bounce_and_newsletter_flags() {
        let bounce = parse_fixture("bounce.eml");
        assert_eq!(
            bounce.flags.get("auto-submitted").map(String::as_str),
            Some("auto-replied")
        );
        assert_eq!(
            bounce.flags.get("x-failed-recipients").map(String::as_str),
            Some("nobody@example.invalid")
        );
        assert_eq!(
            bounce.flags.get("content-type").map(String::as_str),
            Some("multipart/report; report-type=delivery-status; boundary=\"rep\"")
        );
        assert_eq!(
            bounce.flags.get("from-mailer-daemon").map(String::as_str),
            Some("yes")
        );
        assert!(bounce.text.starts_with("This is the mail system"));

        let news = parse_fixture("newsletter.eml");
        let keys: Vec<&str> = news.flags.keys().map(String::as_str).collect();
        assert_eq!(keys, ["list-id", "list-unsubscribe", "precedence"]);
        assert_eq!(news.flags["precedence"], "bulk");
        assert_eq!(
            news.flags["list-unsubscribe"],
            "<mailto:unsub@rentacar.example>, <https://rentacar.example/unsub?u=1>"
        );
        assert!(!news.flags.contains_key("content-type"));
    }

    #[test]
    fn rejects_msg_empty_and_headerless_input() {
        let msg =
            parse(&blob(&fs::read(fixture("outlook.msg")).expect("read"))).expect_err("rejected");
        assert!(msg.reason.contains("Outlook .msg"));
        assert_eq!(msg.file, "inbox.mbox");
        assert_eq!(msg.position, "message 1 (line 1)");
        assert_eq!(
            parse(&blob(b"")).expect_err("empty").reason,
            "empty message"
        );
        assert_eq!(
            parse(&blob(b" \r\n\n")).expect_err("blank").reason,
            "empty message"
        );
        assert!(parse(&blob(b"just some words\n")).is_err());
    }

    #[test]
    fn garbage_and_truncated_input_never_panics() {
        let full = fs::read(fixture("html_table_base64.eml")).expect("read");
        for cut in (0..full.len()).step_by(7) {
            let _ = parse(&blob(&full[..cut]));
        }
        let fwd = fs::read(fixture("forward_rfc822.eml")).expect("read");
        for cut in (0..fwd.len()).step_by(5) {
            let _ = parse(&blob(&fwd[..cut]));
        }
        // Deterministic pseudo-random bytes (LCG), biased towards mail syntax.
        let alphabet = b"ab:\n\r-=?<>\"; \t=QB\x80\xff\xc3boundary--Content-Type: multipart/mixed;";
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for len in [1usize, 2, 5, 17, 64, 300, 2048] {
            for _ in 0..20 {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        state = state
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1_442_695_040_888_963_407);
                        let r = (state >> 33) as usize;
                        if r.is_multiple_of(3) {
                            (r >> 8) as u8
                        } else {
                            alphabet[r % alphabet.len()]
                        }
                    })
                    .collect();
                let _ = parse(&blob(&bytes));
                let _ = split(&bytes);
            }
        }
        for s in [
            &b"From: \n\n"[..],
            b"Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: message/rfc822\n\n--x",
            b"Subject: =?UTF-8?B?////?= =?ISO-8859-1?Q?=ZZ?=\n\n\xff\xfe",
            b"Date: Mon, 99 Foo 20260 99:99:99 +9999\nFrom: <>\n\nx",
            b"Message-ID: <>\nFrom: \"unterminated <a@b\n\nx",
        ] {
            let _ = parse(&blob(s));
        }
    }

    #[test]
    fn large_mbox_is_streamed_message_by_message() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big.mbox");
        let mut data = Vec::new();
        for i in 0..5000 {
            data.extend_from_slice(
                format!(
                    "From sender{i}@example.com Mon Mar  2 10:00:00 2026\n\
                     From: Sender <sender{i}@example.com>\nMessage-ID: <m{i}@example.com>\n\
                     Subject: Booking {i}\n\nBooking BK-{i}\n>From the desk.\n\n"
                )
                .as_bytes(),
            );
        }
        fs::write(&path, &data).expect("write");
        let mut count = 0usize;
        let mut last_position = String::new();
        let mut max_len = 0usize;
        read_path(&path, &mut |r| {
            let blob = r.expect("no rejection");
            count += 1;
            max_len = max_len.max(blob.bytes.len());
            last_position = blob.position;
        })
        .expect("reads");
        assert_eq!(count, 5000);
        assert_eq!(last_position, "message 5000 (line 39993)");
        assert!(max_len < 200, "one message at a time, got {max_len} bytes");
        let (blobs, _) = read_all(&path);
        let mail = parse(&blobs[4321]).expect("parses");
        assert_eq!(mail.message_id, "m4321@example.com");
        assert_eq!(mail.text, "Booking BK-4321\nFrom the desk.");
    }

    #[test]
    fn cp1252_table_matches_known_points() {
        assert_eq!(decode_cp1252(b"\x80\x8a\x9f\xe9\xf1\xfc"), "€ŠŸéñü");
    }
}
