//! A streaming reader of Hubble's JSON output.
//!
//! [`FlowReader`] is a push parser: feed it byte chunks of any size (as they
//! come from a file, a socket or a browser upload) and it calls back with
//! one [`FlowEvent`] per flow, borrowed from the chunk. It accepts, in any
//! mix:
//!
//! - `{"flow": {...}, "node_name": ..., "time": ...}` lines (what
//!   `hubble observe -o json` prints); `node_status`, `lost_events`,
//!   `agent_event` and `debug_event` records are counted and skipped;
//! - bare Flow objects, one per line (the legacy output);
//! - concatenated JSON objects: several on one line, or one pretty-printed
//!   over many lines (what `jq .` prints);
//! - a JSON array of either, on one line or pretty-printed over many.
//!
//! An object's end is found by counting braces outside strings, so a record
//! may span lines. A record broken off before its end is reported and reading
//! resumes at the next line that starts with `{` in its first column (inside a
//! pretty-printed object nested values are indented), or at a raw line break
//! inside a string (which JSON does not allow). A record whose flow names no
//! endpoint at all (`{"flow":{}}`) is reported, not read as a flow.
//!
//! Memory is bounded: one record is buffered at most, and a record longer
//! than [`ReaderOptions::max_record_bytes`] is skipped (and reported) without
//! being buffered. Bad records are reported with their line number and
//! counted; reading stops only when more than [`ReaderOptions::max_errors`]
//! records were bad.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::event::{Direction, FlowEvent, L7View, Protocol, Verdict};
use super::skim::Skimmer;
use super::wire::{Enumish, Flow, Record};

/// Limits of a [`FlowReader`].
#[derive(Clone, Debug)]
pub struct ReaderOptions {
    /// Longest record (line, or array element) read; longer ones are
    /// skipped and reported. Default 1 MiB (Hubble records are 1–4 KB).
    pub max_record_bytes: usize,
    /// Bad records tolerated before reading fails. Default 1000.
    pub max_errors: u64,
    /// How many problems are kept with their details (all are counted).
    /// Default 100.
    pub max_reported: usize,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            max_record_bytes: 1 << 20,
            max_errors: 1000,
            max_reported: 100,
        }
    }
}

/// How bad a [`LineProblem`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProblemSeverity {
    /// The record was skipped.
    Error,
    /// The record was used, but part of it was not understood.
    Warning,
}

/// A problem with one input record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineProblem {
    /// 1-based line.
    pub line: u64,
    /// 1-based column, when known.
    pub column: Option<u64>,
    /// Error (record skipped) or warning (record used).
    pub severity: ProblemSeverity,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for LineProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = match self.severity {
            ProblemSeverity::Error => "error",
            ProblemSeverity::Warning => "warning",
        };
        match self.column {
            Some(c) => write!(f, "{}:{}: {sev}: {}", self.line, c, self.message),
            None => write!(f, "{}: {sev}: {}", self.line, self.message),
        }
    }
}

/// What a read saw: counts, and the first problems in detail.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadReport {
    /// Bytes read.
    pub bytes: u64,
    /// Lines read (newlines seen, plus a last unterminated line).
    pub lines: u64,
    /// Flows delivered.
    pub flows: u64,
    /// Non-flow records skipped (`node_status`, `lost_events`, …).
    pub skipped_events: u64,
    /// Records skipped as bad.
    pub errors: u64,
    /// Records used with a warning.
    pub warnings: u64,
    /// The first [`ReaderOptions::max_reported`] problems.
    pub problems: Vec<LineProblem>,
}

/// Reading stopped.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// More bad records than [`ReaderOptions::max_errors`].
    #[error(
        "too many bad records: more than {limit} (last at line {line}: {message}); is this Hubble JSON output?"
    )]
    TooManyErrors {
        /// The configured limit.
        limit: u64,
        /// Line of the record that went over the limit.
        line: u64,
        /// Its problem.
        message: String,
    },
    /// The underlying reader failed (only from [`read_flows`]).
    #[error("read failed after {bytes} bytes: {source}")]
    Io {
        /// Bytes read before the failure.
        bytes: u64,
        /// The failure.
        source: std::io::Error,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Between records: skipping whitespace, deciding line vs array.
    RecordStart,
    /// Inside a line record that is not an object (reported line by line).
    Line,
    /// Inside a JSON object (which may span lines).
    Value,
    /// Inside a JSON array (any nesting of elements tracked by `ArrayScan`).
    Array,
}

#[derive(Clone, Copy, Debug, Default)]
struct ArrayScan {
    /// Nesting depth: 1 inside the array, more inside an element.
    depth: u32,
    in_string: bool,
    escape: bool,
    /// Inside an element (object, or a stray scalar).
    in_element: bool,
    /// The current element is a scalar (ends at `,` `]` or whitespace).
    scalar: bool,
}

/// Where a top-level object scan is.
#[derive(Clone, Copy, Debug, Default)]
struct ValueScan {
    /// Brace/bracket depth: 0 before the opening brace.
    depth: u32,
    in_string: bool,
    escape: bool,
    /// The previous byte was a line break.
    line_start: bool,
}

/// Where [`FlowReader::whole_line`] looked for line breaks in the chunk
/// being fed.
#[derive(Default)]
struct LineCursor {
    /// The next line break at or after the last position searched from
    /// (`usize::MAX`: none in the chunk); valid while not before the
    /// position tried.
    next_break: Option<usize>,
    /// Positions before this were tried (or have no line break after them).
    tried_until: usize,
}

/// A push parser for Hubble output. See the module docs.
pub struct FlowReader {
    opts: ReaderOptions,
    mode: Mode,
    /// The current record's bytes when it spans chunks.
    buf: Vec<u8>,
    /// The current record is longer than the limit: skip it.
    oversized: bool,
    /// Bytes of the current record seen so far (also when oversized).
    record_len: usize,
    /// 1-based current line.
    line: u64,
    /// Line where the current record started.
    record_line: u64,
    array: ArrayScan,
    value: ValueScan,
    at_start: bool,
    /// Bytes seen on the current (unterminated) line.
    line_has_bytes: bool,
    report: ReadReport,
    failed: Option<ReadError>,
    /// The fast path for whole JSON lines.
    skimmer: Skimmer,
}

impl FlowReader {
    /// A reader with these limits.
    pub fn new(opts: ReaderOptions) -> Self {
        FlowReader {
            opts,
            mode: Mode::RecordStart,
            buf: Vec::new(),
            oversized: false,
            record_len: 0,
            line: 1,
            record_line: 1,
            array: ArrayScan::default(),
            value: ValueScan::default(),
            at_start: true,
            line_has_bytes: false,
            report: ReadReport::default(),
            failed: None,
            skimmer: Skimmer::default(),
        }
    }

    /// The report so far.
    pub fn report(&self) -> &ReadReport {
        &self.report
    }

    /// Bytes currently allocated for buffering a record that spans chunks
    /// (never more than about [`ReaderOptions::max_record_bytes`]).
    pub fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Feeds the next chunk. `on_flow` is called for each complete flow.
    /// Fails once more than `max_errors` records were bad; the reader is
    /// then finished and ignores further input.
    pub fn feed<F>(&mut self, chunk: &[u8], on_flow: &mut F) -> Result<(), ReadError>
    where
        F: for<'a> FnMut(&FlowEvent<'a>),
    {
        if let Some(e) = self.failed.take() {
            let copy = clone_error(&e);
            self.failed = Some(e);
            return Err(copy);
        }
        self.report.bytes += chunk.len() as u64;
        let mut chunk = chunk;
        if self.at_start && !chunk.is_empty() {
            // A UTF-8 byte order mark (editors on Windows write one).
            if chunk.starts_with(b"\xEF\xBB\xBF") {
                chunk = &chunk[3..];
            }
            self.at_start = false;
        }
        let mut pos = 0;
        let mut lines = LineCursor::default();
        while pos < chunk.len() && self.failed.is_none() {
            match self.mode {
                Mode::RecordStart => {
                    let b = chunk[pos];
                    match b {
                        b'\n' => {
                            self.newline();
                            pos += 1;
                        }
                        b' ' | b'\t' | b'\r' => {
                            self.line_has_bytes = true;
                            pos += 1;
                        }
                        b'[' => {
                            self.mode = Mode::Array;
                            self.array = ArrayScan::default();
                        }
                        b'{' => {
                            self.start_record();
                            if let Some(next) = self.whole_line(chunk, pos, &mut lines, on_flow) {
                                pos = next;
                                continue;
                            }
                            self.mode = Mode::Value;
                            self.value = ValueScan::default();
                        }
                        _ => {
                            self.mode = Mode::Line;
                            self.start_record();
                        }
                    }
                }
                Mode::Line => {
                    let rest = &chunk[pos..];
                    match memchr::memchr(b'\n', rest) {
                        Some(i) => {
                            let end = pos + i;
                            self.record_len += i;
                            if self.oversized {
                                self.report_oversized();
                            } else if self.buf.is_empty() {
                                self.check_len();
                                if !self.oversized {
                                    self.process(&chunk[pos..end], on_flow);
                                } else {
                                    self.report_oversized();
                                }
                            } else {
                                self.append(&chunk[pos..end]);
                                if self.oversized {
                                    self.report_oversized();
                                } else {
                                    let buf = std::mem::take(&mut self.buf);
                                    self.process(&buf, on_flow);
                                    self.buf = buf;
                                }
                            }
                            self.end_record();
                            self.newline();
                            self.mode = Mode::RecordStart;
                            pos = end + 1;
                        }
                        None => {
                            self.record_len += rest.len();
                            self.line_has_bytes = true;
                            self.append(rest);
                            pos = chunk.len();
                        }
                    }
                }
                Mode::Array => {
                    pos = self.scan_array(chunk, pos, on_flow);
                }
                Mode::Value => {
                    pos = self.scan_value(chunk, pos, on_flow);
                }
            }
        }
        match &self.failed {
            Some(e) => Err(clone_error(e)),
            None => Ok(()),
        }
    }

    /// Ends the input: a last unterminated record is read (and reported when
    /// truncated). Returns the report.
    pub fn finish<F>(mut self, on_flow: &mut F) -> Result<ReadReport, ReadError>
    where
        F: for<'a> FnMut(&FlowEvent<'a>),
    {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        if self.line_has_bytes {
            self.report.lines += 1;
        }
        match self.mode {
            Mode::RecordStart => {}
            Mode::Line | Mode::Value => {
                if self.oversized {
                    self.report_oversized();
                } else {
                    let buf = std::mem::take(&mut self.buf);
                    self.process(&buf, on_flow);
                }
            }
            Mode::Array => {
                let line = if self.array.in_element {
                    self.record_line
                } else {
                    self.line
                };
                if self.array.in_element && !self.oversized {
                    let buf = std::mem::take(&mut self.buf);
                    self.process(&buf, on_flow);
                } else if self.array.in_element {
                    self.report_oversized();
                }
                self.problem(
                    line,
                    None,
                    ProblemSeverity::Error,
                    "JSON array not closed: the input ends inside it (truncated?)".into(),
                );
            }
        }
        match self.failed.take() {
            Some(e) => Err(e),
            None => Ok(self.report),
        }
    }

    fn newline(&mut self) {
        self.line += 1;
        self.report.lines += 1;
        self.line_has_bytes = false;
    }

    fn start_record(&mut self) {
        self.record_line = self.line;
        self.record_len = 0;
        self.oversized = false;
        self.buf.clear();
    }

    fn end_record(&mut self) {
        self.buf.clear();
        self.record_len = 0;
        self.oversized = false;
    }

    fn check_len(&mut self) {
        if self.record_len > self.opts.max_record_bytes {
            self.oversized = true;
            self.buf = Vec::new();
        }
    }

    /// Buffers part of the current record, unless it is over the limit.
    fn append(&mut self, bytes: &[u8]) {
        if self.oversized {
            return;
        }
        if self.buf.len() + bytes.len() > self.opts.max_record_bytes {
            self.oversized = true;
            // Give the memory back: the record will not be parsed.
            self.buf = Vec::new();
            return;
        }
        self.buf.extend_from_slice(bytes);
    }

    fn report_oversized(&mut self) {
        let msg = format!(
            "record longer than {} bytes ({} bytes or more): skipped",
            self.opts.max_record_bytes,
            self.record_len.max(self.opts.max_record_bytes + 1)
        );
        self.problem(self.record_line, None, ProblemSeverity::Error, msg);
    }

    /// Ends the current record with `piece` (its bytes in this chunk) and
    /// processes it.
    fn complete<F>(&mut self, piece: &[u8], on_flow: &mut F)
    where
        F: for<'a> FnMut(&FlowEvent<'a>),
    {
        self.record_len += piece.len();
        if self.buf.is_empty() && !self.oversized {
            self.check_len();
            if self.oversized {
                self.report_oversized();
            } else {
                self.process(piece, on_flow);
            }
        } else {
            self.append(piece);
            if self.oversized {
                self.report_oversized();
            } else {
                let buf = std::mem::take(&mut self.buf);
                self.process(&buf, on_flow);
                self.buf = buf;
            }
        }
        self.end_record();
    }

    /// Scans a top-level object from `pos`; returns where it stopped (the
    /// end of the chunk, or where the next record starts).
    fn scan_value<F>(&mut self, chunk: &[u8], mut pos: usize, on_flow: &mut F) -> usize
    where
        F: for<'a> FnMut(&FlowEvent<'a>),
    {
        let mut start = pos;
        while pos < chunk.len() {
            let s = &mut self.value;
            if s.in_string {
                if s.escape {
                    s.escape = false;
                    pos += 1;
                    continue;
                }
                match memchr::memchr3(b'"', b'\\', b'\n', &chunk[pos..]) {
                    None => {
                        pos = chunk.len();
                        break;
                    }
                    Some(i) => {
                        pos += i;
                        match chunk[pos] {
                            b'\\' => s.escape = true,
                            b'"' => s.in_string = false,
                            _ => {
                                // A raw line break inside a string: the record
                                // was cut off. Report it; the next line starts anew.
                                self.complete(&chunk[start..pos], on_flow);
                                self.newline();
                                self.mode = Mode::RecordStart;
                                return pos + 1;
                            }
                        }
                        pos += 1;
                        continue;
                    }
                }
            }
            let b = chunk[pos];
            let line_start = std::mem::replace(&mut s.line_start, b == b'\n');
            match b {
                b'"' => s.in_string = true,
                b'{' if line_start && s.depth > 0 => {
                    // A new record at the start of a line while this one is
                    // still open: this one was cut off.
                    self.complete(&chunk[start..pos], on_flow);
                    if self.failed.is_some() {
                        return chunk.len();
                    }
                    self.start_record();
                    self.value = ValueScan::default();
                    start = pos;
                    continue;
                }
                b'{' | b'[' => s.depth += 1,
                b'}' | b']' => {
                    s.depth = s.depth.saturating_sub(1);
                    if s.depth == 0 {
                        self.line_has_bytes = true;
                        self.complete(&chunk[start..pos + 1], on_flow);
                        self.mode = Mode::RecordStart;
                        return pos + 1;
                    }
                }
                b'\n' => {
                    self.line += 1;
                    self.report.lines += 1;
                    self.line_has_bytes = false;
                    pos += 1;
                    continue;
                }
                _ => {}
            }
            self.line_has_bytes = true;
            pos += 1;
        }
        let piece = &chunk[start..];
        self.record_len += piece.len();
        self.append(piece);
        pos
    }

    /// Scans array syntax from `pos`; returns where it stopped (the end of
    /// the chunk, or just after the array's closing bracket).
    fn scan_array<F>(&mut self, chunk: &[u8], mut pos: usize, on_flow: &mut F) -> usize
    where
        F: for<'a> FnMut(&FlowEvent<'a>),
    {
        // Start of the current element within this chunk.
        let mut elem_start = if self.array.in_element {
            Some(pos)
        } else {
            None
        };
        while pos < chunk.len() {
            let b = chunk[pos];
            let s = &mut self.array;
            if s.in_string {
                if s.escape {
                    // The byte right after a backslash is escaped.
                    s.escape = false;
                    pos += 1;
                    continue;
                }
                // Jump to the next quote or backslash.
                match memchr::memchr2(b'"', b'\\', &chunk[pos..]) {
                    None => {
                        pos = chunk.len();
                        break;
                    }
                    Some(i) => {
                        pos += i;
                        let c = chunk[pos];
                        if c == b'\\' {
                            s.escape = true;
                        } else {
                            s.in_string = false;
                        }
                        pos += 1;
                        continue;
                    }
                }
            }
            if !s.in_element {
                match b {
                    b'\n' => {
                        self.newline();
                        pos += 1;
                    }
                    b' ' | b'\t' | b'\r' | b',' => {
                        self.line_has_bytes = true;
                        pos += 1;
                    }
                    b'[' if s.depth == 0 => {
                        s.depth = 1;
                        self.line_has_bytes = true;
                        pos += 1;
                    }
                    b']' if s.depth == 1 => {
                        s.depth = 0;
                        self.line_has_bytes = true;
                        self.mode = Mode::RecordStart;
                        return pos + 1;
                    }
                    _ => {
                        s.in_element = true;
                        s.scalar = !matches!(b, b'{' | b'[');
                        self.start_record();
                        elem_start = Some(pos);
                        // Re-examine this byte inside the element.
                    }
                }
                continue;
            }
            // Inside an element.
            let mut end_here = None;
            match b {
                b'"' => s.in_string = true,
                b'{' | b'[' if !s.scalar => s.depth += 1,
                b'}' | b']' if !s.scalar => {
                    s.depth -= 1;
                    if s.depth == 1 {
                        end_here = Some(pos + 1);
                    }
                }
                b',' | b']' | b' ' | b'\t' | b'\r' | b'\n' if s.scalar => end_here = Some(pos),
                b'\n' => {
                    self.line += 1;
                    self.report.lines += 1;
                }
                _ => {}
            }
            if let Some(end) = end_here {
                let start = elem_start.unwrap_or(pos);
                s.in_element = false;
                // The element's last byte is on the current line.
                self.line_has_bytes = true;
                self.complete(&chunk[start..end], on_flow);
                elem_start = None;
                pos = end;
                if self.failed.is_some() {
                    return chunk.len();
                }
                continue;
            }
            pos += 1;
        }
        if self.array.in_element {
            let start = elem_start.unwrap_or(chunk.len());
            let piece = &chunk[start..];
            self.record_len += piece.len();
            // Whether the current line has bytes depends only on the last
            // byte read, whatever the chunking.
            if let Some(&last) = piece.last() {
                self.line_has_bytes = last != b'\n';
            }
            self.append(piece);
        }
        pos
    }

    fn problem(
        &mut self,
        line: u64,
        column: Option<u64>,
        severity: ProblemSeverity,
        message: String,
    ) {
        match severity {
            ProblemSeverity::Error => self.report.errors += 1,
            ProblemSeverity::Warning => self.report.warnings += 1,
        }
        if severity == ProblemSeverity::Error
            && self.report.errors > self.opts.max_errors
            && self.failed.is_none()
        {
            self.failed = Some(ReadError::TooManyErrors {
                limit: self.opts.max_errors,
                line,
                message: message.clone(),
            });
        }
        if self.report.problems.len() < self.opts.max_reported {
            self.report.problems.push(LineProblem {
                line,
                column,
                severity,
                message,
            });
        }
    }

    /// JSON lines' fast path, for a record starting at `chunk[pos]` (a
    /// `{` at the start of a record): when the rest of the line, up to a
    /// line break in this chunk, is exactly one JSON object (and
    /// whitespace), it is processed as [`FlowReader::scan_value`] and
    /// [`FlowReader::complete`] would, without scanning it byte by byte;
    /// returns the position after the line break. `None`, having changed
    /// nothing, sends the record to the scanner: a line that is not one
    /// whole object (pretty-printed or concatenated records, a record cut
    /// off, an error to report), or one over the size limit. Each line is
    /// tried once, so the search for line breaks stays linear in the chunk.
    fn whole_line<F>(
        &mut self,
        chunk: &[u8],
        pos: usize,
        lines: &mut LineCursor,
        on_flow: &mut F,
    ) -> Option<usize>
    where
        F: for<'a> FnMut(&FlowEvent<'a>),
    {
        if lines.tried_until > pos {
            return None;
        }
        let end = match lines.next_break {
            Some(b) if b >= pos => b,
            _ => {
                let b = memchr::memchr(b'\n', &chunk[pos..]).map_or(usize::MAX, |i| pos + i);
                lines.next_break = Some(b);
                b
            }
        };
        if end == usize::MAX {
            lines.tried_until = chunk.len();
            return None;
        }
        lines.tried_until = end;
        let line = &chunk[pos..end];
        let body_len = line.len()
            - line
                .iter()
                .rev()
                .take_while(|b| matches!(b, b' ' | b'\t' | b'\r'))
                .count();
        let body = &line[..body_len];
        if body.len() > self.opts.max_record_bytes || body.last() != Some(&b'}') {
            return None;
        }
        // Valid UTF-8 is checked once for the whole line (a fast scan),
        // then parsed as text, so that serde_json does not check every
        // string again; a line that is not UTF-8 goes to the scanner, which
        // reports where.
        let text = simdutf8::basic::from_utf8(body).ok()?;
        let mut rec = Record::default();
        if self.skimmer.read(text, &mut rec).is_none() {
            rec = serde_json::from_str(text).ok()?;
        }
        self.record_len += body.len();
        self.line_has_bytes = true;
        self.deliver(&mut rec, on_flow);
        self.end_record();
        self.newline();
        Some(end + 1)
    }

    /// Parses one record and delivers its flow.
    fn process<F>(&mut self, bytes: &[u8], on_flow: &mut F)
    where
        F: for<'a> FnMut(&FlowEvent<'a>),
    {
        let line = self.record_line;
        // As in `whole_line`: the skimmer, then serde_json on the text,
        // when the record is UTF-8 (the same result, faster); the byte
        // parser places the error otherwise. Records cut by a chunk's end
        // come here, one per chunk of a large file.
        let parsed = match simdutf8::basic::from_utf8(bytes) {
            Ok(text) => {
                let mut rec = Record::default();
                match self.skimmer.read(text, &mut rec) {
                    Some(()) => Ok(rec),
                    None => serde_json::from_str(text),
                }
            }
            Err(_) => serde_json::from_slice(bytes),
        };
        let mut rec: Record<'_> = match parsed {
            Ok(r) => r,
            Err(e) => {
                let (l, c) = (e.line() as u64, e.column() as u64);
                // A record cut off is reported where it starts; other
                // errors where they are (a record may span lines).
                let abs_line = if e.is_eof() {
                    line
                } else {
                    line + l.saturating_sub(1)
                };
                let what = if e.is_eof() {
                    "truncated record (the JSON ends early)".to_string()
                } else if e.to_string().starts_with("invalid unicode code point") {
                    "invalid UTF-8 (or unicode escape) in a string".to_string()
                } else {
                    format!("invalid JSON: {}", strip_position(&e.to_string()))
                };
                let what = if bytes.first().is_some_and(|b| *b != b'{' && *b != b'[') {
                    format!("not a JSON object: {what}")
                } else {
                    what
                };
                let column = (c > 0 && !e.is_eof()).then_some(c);
                self.problem(abs_line, column, ProblemSeverity::Error, what);
                return;
            }
        };
        self.deliver(&mut rec, on_flow);
    }

    /// Delivers the flow of a parsed record (or reports why there is none).
    fn deliver<F>(&mut self, rec: &mut Record<'_>, on_flow: &mut F)
    where
        F: for<'a> FnMut(&FlowEvent<'a>),
    {
        let line = self.record_line;
        let is_other = rec.is_other_event();
        let has_fields = rec.has_flow_fields();
        // The flow is read in place: records are large to move.
        let flow = match rec.flow {
            // The wrapper's `time` stands in when the exporter masked the flow's.
            Some(ref mut f) => {
                if f.time.is_none() {
                    f.time = rec.time.take();
                }
                f
            }
            None if is_other => {
                self.report.skipped_events += 1;
                return;
            }
            None if has_fields => rec.flow.insert(Flow {
                time: rec.time.take(),
                verdict: rec.verdict.take(),
                ip: rec.ip.take(),
                l4: rec.l4.take(),
                source: rec.source.take(),
                destination: rec.destination.take(),
                flow_type: rec.flow_type.take(),
                l7: rec.l7.take(),
                traffic_direction: rec.traffic_direction.take(),
                is_reply: rec.is_reply.take(),
                reply: rec.reply.take(),
                destination_names: rec.destination_names.take(),
            }),
            None => {
                self.problem(
                    line,
                    None,
                    ProblemSeverity::Error,
                    "record has no `flow` and no Flow fields (`IP`, `source`, `l4`, `verdict`, …)"
                        .into(),
                );
                return;
            }
        };
        let no_endpoint = flow.source.is_none()
            && flow.destination.is_none()
            && flow
                .ip
                .as_ref()
                .is_none_or(|ip| ip.source.is_none() && ip.destination.is_none());
        if no_endpoint {
            self.problem(
                line,
                None,
                ProblemSeverity::Error,
                "flow names no endpoint: it has neither `source`/`destination` nor `IP` addresses"
                    .into(),
            );
            return;
        }
        let event = self.decode(flow, line);
        self.report.flows += 1;
        on_flow(&event);
    }

    fn decode<'a>(&mut self, f: &mut Flow<'a>, line: u64) -> FlowEvent<'a> {
        let verdict = match &f.verdict {
            None => Verdict::Unknown,
            Some(v) => match enum_value(v, Verdict::parse_name, Verdict::from_number) {
                Ok(v) => v,
                Err(shown) => {
                    self.problem(
                        line,
                        None,
                        ProblemSeverity::Warning,
                        format!("unknown verdict {shown}"),
                    );
                    Verdict::Unknown
                }
            },
        };
        let direction = match &f.traffic_direction {
            None => Direction::Unknown,
            Some(v) => match enum_value(v, parse_direction, direction_from_number) {
                Ok(d) => d,
                Err(shown) => {
                    self.problem(
                        line,
                        None,
                        ProblemSeverity::Warning,
                        format!("unknown traffic_direction {shown}"),
                    );
                    Direction::Unknown
                }
            },
        };
        if let Some(t) = &f.flow_type {
            let known = match t {
                Enumish::Name(n) => matches!(&**n, "UNKNOWN_TYPE" | "L3_L4" | "L7" | "SOCK"),
                Enumish::Number(n) => (0..=3).contains(n),
            };
            if !known {
                let shown = show_enum(t);
                self.problem(
                    line,
                    None,
                    ProblemSeverity::Warning,
                    format!("unknown flow Type {shown}"),
                );
            }
        }
        let (protocol, raw_port, raw_source_port) = match &f.l4 {
            None => (Protocol::None, None, None),
            Some(l4) => {
                if let Some(p) = &l4.tcp {
                    (Protocol::Tcp, p.destination_port, p.source_port)
                } else if let Some(p) = &l4.udp {
                    (Protocol::Udp, p.destination_port, p.source_port)
                } else if let Some(p) = &l4.sctp {
                    (Protocol::Sctp, p.destination_port, p.source_port)
                } else if let Some(i) = &l4.icmpv4 {
                    // Protobuf's JSON leaves out zero values: `"ICMPv4":{}`
                    // is type 0, an echo reply.
                    (Protocol::Icmp, Some(i.icmp_type.unwrap_or(0)), None)
                } else if let Some(i) = &l4.icmpv6 {
                    (Protocol::IcmpV6, Some(i.icmp_type.unwrap_or(0)), None)
                } else {
                    (Protocol::None, None, None)
                }
            }
        };
        let source_port = raw_source_port.and_then(|p| u16::try_from(p).ok());
        let port = match raw_port {
            Some(p) if p <= u16::MAX as u32 => Some(p as u16),
            Some(p) => {
                self.problem(
                    line,
                    None,
                    ProblemSeverity::Warning,
                    format!("port {p} out of range"),
                );
                None
            }
            None => None,
        };
        let (l7, l7_response) = match f.l7.take() {
            None => (L7View::None, false),
            Some(l7) => {
                let response = match &l7.l7_type {
                    Some(Enumish::Name(n)) => n == "RESPONSE",
                    Some(Enumish::Number(n)) => *n == 2,
                    None => false,
                };
                let view = if let Some(h) = l7.http {
                    L7View::Http {
                        method: h.method.unwrap_or(Cow::Borrowed("")),
                        url: h.url.unwrap_or(Cow::Borrowed("")),
                    }
                } else if let Some(d) = l7.dns {
                    L7View::Dns {
                        query: d.query.unwrap_or(Cow::Borrowed("")),
                        ips: d.ips.unwrap_or_default(),
                    }
                } else {
                    L7View::None
                };
                (view, response)
            }
        };
        let (source_ip, destination_ip) = match f.ip.take() {
            Some(ip) => (ip.source, ip.destination),
            None => (None, None),
        };
        FlowEvent {
            line,
            time: f.time.take(),
            verdict,
            direction,
            is_reply: f.is_reply.or(f.reply),
            protocol,
            port,
            source_port,
            source_ip,
            destination_ip,
            source: f.source.map(|r| r.0),
            source_token: f.source.and_then(|r| r.1),
            destination: f.destination.map(|r| r.0),
            destination_token: f.destination.and_then(|r| r.1),
            l7,
            l7_response,
            destination_names: f.destination_names.map(|r| r.0),
        }
    }
}

fn parse_direction(s: &str) -> Option<Direction> {
    Some(match s {
        "INGRESS" => Direction::Ingress,
        "EGRESS" => Direction::Egress,
        "TRAFFIC_DIRECTION_UNKNOWN" => Direction::Unknown,
        _ => return None,
    })
}

fn direction_from_number(n: i64) -> Option<Direction> {
    Some(match n {
        0 => Direction::Unknown,
        1 => Direction::Ingress,
        2 => Direction::Egress,
        _ => return None,
    })
}

fn enum_value<T>(
    v: &Enumish<'_>,
    by_name: fn(&str) -> Option<T>,
    by_number: fn(i64) -> Option<T>,
) -> Result<T, String> {
    match v {
        Enumish::Name(n) => by_name(n).ok_or_else(|| show_enum(v)),
        Enumish::Number(n) => by_number(*n).ok_or_else(|| show_enum(v)),
    }
}

fn show_enum(v: &Enumish<'_>) -> String {
    match v {
        Enumish::Name(n) => {
            let shown: String = n.chars().take(64).collect();
            format!("{shown:?}")
        }
        Enumish::Number(n) => n.to_string(),
    }
}

/// serde_json's messages end with ` at line L column C`; we print positions
/// ourselves.
fn strip_position(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    }
}

fn clone_error(e: &ReadError) -> ReadError {
    match e {
        ReadError::TooManyErrors {
            limit,
            line,
            message,
        } => ReadError::TooManyErrors {
            limit: *limit,
            line: *line,
            message: message.clone(),
        },
        ReadError::Io { bytes, source } => ReadError::Io {
            bytes: *bytes,
            source: std::io::Error::new(source.kind(), source.to_string()),
        },
    }
}

/// Reads everything from `input` (any [`std::io::BufRead`]: a file, stdin,
/// a byte slice) through a [`FlowReader`].
pub fn read_flows<R, F>(
    mut input: R,
    opts: ReaderOptions,
    on_flow: &mut F,
) -> Result<ReadReport, ReadError>
where
    R: std::io::BufRead,
    F: for<'a> FnMut(&FlowEvent<'a>),
{
    let mut reader = FlowReader::new(opts);
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(source) => {
                return Err(ReadError::Io {
                    bytes: reader.report.bytes,
                    source,
                });
            }
        };
        if chunk.is_empty() {
            break;
        }
        let n = chunk.len();
        reader.feed(chunk, on_flow)?;
        input.consume(n);
    }
    reader.finish(on_flow)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use crate::flows::event::TextToken;

    use super::*;

    /// Every line of the repository's flow samples.
    fn sample_lines() -> Vec<String> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
        let mut lines = Vec::new();
        for sub in ["hubble", "flows"] {
            let mut paths: Vec<_> = std::fs::read_dir(format!("{dir}/{sub}"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| {
                    p.extension()
                        .is_some_and(|e| e == "json" || e == "jsonl" || e == "log")
                })
                .collect();
            paths.sort();
            for path in paths {
                let text = std::fs::read_to_string(&path).unwrap();
                lines.extend(
                    text.lines()
                        .filter(|l| l.starts_with('{'))
                        .map(String::from),
                );
            }
        }
        lines
    }

    /// The flow a record gives, and the problems it raises, as the reader
    /// delivers them.
    /// Tokens are the fast path's alone: the flow is compared without
    /// them, and they are returned with the texts they name.
    fn delivered(mut rec: Record<'_>) -> (Vec<String>, String, Vec<(TextToken, String)>) {
        let mut reader = FlowReader::new(ReaderOptions::default());
        let mut flows = Vec::new();
        let mut tokens = Vec::new();
        reader.deliver(&mut rec, &mut |ev| {
            for (token, text) in [
                (ev.source_token, ev.source),
                (ev.destination_token, ev.destination),
            ] {
                if let Some(token) = token {
                    tokens.push((token, text.expect("a token names a text").to_owned()));
                }
            }
            let ev = FlowEvent {
                source_token: None,
                destination_token: None,
                ..ev.clone()
            };
            flows.push(format!("{ev:?}"))
        });
        (flows, format!("{:?}", reader.report), tokens)
    }

    /// The fast path either declines a line or reads it exactly as
    /// serde_json does; each token it gives names one text throughout.
    /// `Some(true)` when it read it.
    fn agree(
        skimmer: &mut Skimmer,
        named: &mut HashMap<TextToken, String>,
        line: &str,
    ) -> Option<bool> {
        let fast = skimmer.record(line)?;
        let slow: Record<'_> = match serde_json::from_str(line) {
            Ok(r) => r,
            Err(e) => panic!("the fast path read a line serde_json refuses ({e}): {line}"),
        };
        let (flows, report, tokens) = delivered(fast);
        let (slow_flows, slow_report, slow_tokens) = delivered(slow);
        assert_eq!((flows, report), (slow_flows, slow_report), "{line}");
        assert!(slow_tokens.is_empty());
        for (token, text) in tokens {
            assert_eq!(named.entry(token).or_insert_with(|| text.clone()), &text);
        }
        Some(true)
    }

    #[test]
    fn the_fast_path_reads_the_samples_as_serde_json_does() {
        let lines = sample_lines();
        let mut skimmer = Skimmer::default();
        let mut named = HashMap::new();
        let fast = lines
            .iter()
            .filter(|l| agree(&mut skimmer, &mut named, l).is_some())
            .count();
        assert!(lines.len() > 800, "{}", lines.len());
        // Lines with escapes are left to serde_json; the rest is fast.
        let escaped = lines.iter().filter(|l| l.contains('\\')).count();
        assert!(
            fast + escaped >= lines.len(),
            "only {fast} of {} lines ({escaped} with escapes) took the fast path",
            lines.len()
        );
    }

    /// Edits that reach the fast path's refusals and its corners: escapes,
    /// nulls, numbers in strings' places, duplicate keys, aliases, nesting.
    const PIECES: &[&str] = &[
        "\"",
        "\\",
        "\\n",
        "\\u00e9",
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        " ",
        "\t",
        "null",
        "true",
        "false",
        "0",
        "-1",
        "1.5",
        "1e3",
        "4294967296",
        "9223372036854775808",
        "\"l7\":{}",
        "\"IP\":null,",
        "\"isReply\":true,",
        "\"is_reply\":false,",
        "\"type\":\"L7\",",
        "\"Type\":3,",
        "\"verdict\":2,",
        "\"trafficDirection\":\"EGRESS\",",
        "\"flow\":{},",
        "\"l7\":{\"type\":\"RESPONSE\",\"dns\":{\"ips\":[\"10.0.0.1\"]}},",
        "\"http\":{\"method\":\"GET\",\"url\":\"/x\"},",
        "\"ips\":[],",
        "\"node_status\":{},",
        "\"nodeStatus\":null,",
        "\"sourcePort\":7,",
        "\"destination_port\":80,",
        "\"ICMPv4\":{\"type\":8},",
        "\"source\":null,",
        "\"destination_names\":[\"a.example\"],",
        "é",
        "\u{1f600}",
        "\x01",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Sample lines, edited at random: whatever the fast path accepts,
        /// serde_json reads to the same flow.
        #[test]
        fn the_fast_path_agrees_with_serde_json_on_edited_lines(
            line in 0usize..10_000,
            edits in proptest::collection::vec(
                (0usize..100_000, 0usize..3, 0..PIECES.len(), 0usize..16),
                1..4,
            ),
        ) {
            thread_local! {
                static LINES: Vec<String> = sample_lines();
            }
            let mut text = LINES.with(|l| l[line % l.len()].clone());
            for (at, how, piece, cut) in edits {
                let mut at = at % (text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                match how {
                    0 => text.insert_str(at, PIECES[piece]),
                    1 => {
                        let mut end = (at + cut).min(text.len());
                        while !text.is_char_boundary(end) {
                            end -= 1;
                        }
                        text.replace_range(at..end, "");
                    }
                    _ => {
                        let mut end = (at + cut).min(text.len());
                        while !text.is_char_boundary(end) {
                            end -= 1;
                        }
                        text.replace_range(at..end, PIECES[piece]);
                    }
                }
            }
            let mut skimmer = Skimmer::default();
            let mut named = HashMap::new();
            // Twice: the second time, endpoints come from the cache.
            agree(&mut skimmer, &mut named, &text);
            agree(&mut skimmer, &mut named, &text);
        }
    }
}
