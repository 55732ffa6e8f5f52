//! The flow reader's fast path for one JSON line.
//!
//! `hubble observe -o json` writes one record per line, and most of each
//! record is two endpoint objects (`source`, `destination`) that repeat
//! from line to line. [`Skimmer::read`] reads such a line into the same
//! [`Record`] serde_json would give, in one pass without serde's visitor
//! machinery, and skips an endpoint it has seen before by comparing bytes:
//! if the input at a value's start begins with the text of a complete JSON
//! value read earlier, that value is exactly this text (a JSON value ends
//! where its own bytes say), so its bytes need not be scanned again.
//!
//! It handles a strict subset of JSON and of the wire format: strings
//! without escapes, the field types [`super::wire`] declares, no
//! duplicate fields. Anything else (an escape, a number where a string is
//! expected, a struct given as an array, deep nesting, an error) makes it
//! return `None`, and the reader parses the line with serde_json, which
//! gives the same answer or reports the error where it is. The flow_chunks
//! fuzz target and the reader's tests hold the two paths to the same
//! events, field by field.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use super::event::TextToken;
use super::fast_hash::FoldState;
use super::wire::{
    Dns, Enumish, Flow, FlowFieldsMut, Http, Icmp, Ip, Layer4, Layer7, Ports, RawJson, Record,
};

/// Bytes of a value's start that key the cache of values seen; shorter
/// values are not cached (they are quick to read).
const PREFIX: usize = 64;
/// Values this long or longer are not cached.
const MAX_CACHED_VALUE: usize = 4096;
/// The cache is emptied when its texts pass this many bytes.
const MAX_CACHE_BYTES: usize = 4 << 20;
/// Texts kept per prefix (pods of one workload differ only at the end).
const CANDIDATES: usize = 8;
/// Nesting beyond this goes to serde_json (which allows 128).
const MAX_DEPTH: u32 = 64;

/// A text seen, and its serial.
type SeenText = (Box<str>, u32);

/// Skimmers made so far in this process: each one's tokens carry its
/// number, so that two skimmers' tokens never meet as equal.
static SKIMMERS: AtomicU32 = AtomicU32::new(0);

/// Reads JSON lines into [`Record`]s; remembers object values (endpoints)
/// to skip them when they come again.
pub(super) struct Skimmer {
    /// Texts seen, by their first bytes.
    seen: HashMap<[u8; PREFIX], Vec<SeenText>, FoldState>,
    seen_bytes: usize,
    /// This skimmer's number, the high half of its tokens.
    id: u32,
    /// The next text's serial, the low half; never reused, so a token
    /// names one text for the skimmer's life.
    next_serial: u32,
}

impl Default for Skimmer {
    fn default() -> Self {
        Skimmer {
            seen: HashMap::default(),
            seen_bytes: 0,
            id: SKIMMERS.fetch_add(1, Ordering::Relaxed),
            next_serial: 0,
        }
    }
}

impl Skimmer {
    /// Reads the record on this line (a whole line: one JSON object and
    /// whitespace) into `rec`, a default record. `None` to let serde_json
    /// read it (`rec` is then to be thrown away).
    pub(super) fn read<'a>(&mut self, line: &'a str, rec: &mut Record<'a>) -> Option<()> {
        let mut c = Cursor {
            text: line,
            pos: 0,
            seen: self,
        };
        c.ws();
        c.record(rec)?;
        c.ws();
        (c.pos == line.len()).then_some(())
    }

    /// The record on this line, read by [`Skimmer::read`].
    #[cfg(test)]
    pub(super) fn record<'a>(&mut self, line: &'a str) -> Option<Record<'a>> {
        let mut rec = Record::default();
        self.read(line, &mut rec).map(|()| rec)
    }

    /// A text seen before that the input starts with, if any: its length
    /// and token.
    fn recall(&self, rest: &str) -> Option<(usize, TextToken)> {
        let key: &[u8; PREFIX] = rest.as_bytes().first_chunk()?;
        self.seen
            .get(key)?
            .iter()
            .find(|(t, _)| rest.starts_with(&**t))
            .map(|(t, serial)| (t.len(), self.token(*serial)))
    }

    fn token(&self, serial: u32) -> TextToken {
        TextToken::new(u64::from(self.id) << 32 | u64::from(serial))
    }

    /// Keeps `value` to recall; its token when kept.
    fn remember(&mut self, value: &str) -> Option<TextToken> {
        let key = value.as_bytes().first_chunk::<PREFIX>()?;
        if value.len() >= MAX_CACHED_VALUE {
            return None;
        }
        let serial = self.next_serial;
        self.next_serial = serial.checked_add(1)?;
        if self.seen_bytes + value.len() > MAX_CACHE_BYTES {
            self.seen.clear();
            self.seen_bytes = 0;
        }
        let texts = self.seen.entry(*key).or_default();
        if texts.len() >= CANDIDATES {
            let (old, _) = texts.remove(0);
            self.seen_bytes -= old.len();
        }
        texts.push((value.into(), serial));
        self.seen_bytes += value.len();
        Some(self.token(serial))
    }
}

/// A position in one line.
struct Cursor<'a, 's> {
    text: &'a str,
    pos: usize,
    seen: &'s mut Skimmer,
}

/// One bit per field of a struct, to refuse a field given twice (serde
/// refuses it; the fallback reports it).
struct Seen(u32);

impl Seen {
    fn first(&mut self, bit: u32) -> Option<()> {
        let mask = 1 << bit;
        if self.0 & mask != 0 {
            return None;
        }
        self.0 |= mask;
        Some(())
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit set in each byte of `word` that ends a plain string: a
/// quote, a backslash or a control character. Bits above the lowest may be
/// wrong (borrows), the lowest is exact.
#[inline]
fn string_stops(word: u64) -> u64 {
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x;
    let quote = zero_byte(word ^ (ONES * u64::from(b'"')));
    let backslash = zero_byte(word ^ (ONES * u64::from(b'\\')));
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    (quote | backslash | control) & HIGH
}

/// Where the plain string whose text starts at `from` ends (its closing
/// quote); `None` when it has an escape or a control character, or no end.
fn plain_string_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    // Most strings (keys, enum names, addresses) are short: eight bytes at
    // a time.
    for _ in 0..4 {
        let Some(word) = bytes.get(i..i + 8) else {
            break;
        };
        let stops = string_stops(u64::from_le_bytes(word.try_into().ok()?));
        if stops != 0 {
            i += (stops.trailing_zeros() / 8) as usize;
            return (bytes[i] == b'"').then_some(i);
        }
        i += 8;
    }
    let stop = if i + 8 <= bytes.len() {
        // A long string: a vector search, and the control characters
        // before what it found (folded, so that it runs on whole vectors).
        let at = i + memchr::memchr2(b'"', b'\\', &bytes[i..])?;
        if bytes[i..at]
            .iter()
            .fold(false, |found, &b| found | (b < 0x20))
        {
            return None;
        }
        at
    } else {
        // The line's last bytes.
        i + bytes[i..]
            .iter()
            .position(|&b| matches!(b, b'"' | b'\\' | 0..0x20))?
    };
    (bytes[stop] == b'"').then_some(stop)
}

impl<'a> Cursor<'a, '_> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.pos += 1)
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        self.text[self.pos..].starts_with(word).then(|| {
            self.pos += word.len();
        })
    }

    /// A string without escapes or control characters.
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.pos;
        let end = plain_string_end(self.bytes(), start)?;
        self.pos = end + 1;
        Some(&self.text[start..end])
    }

    /// A JSON number's text.
    fn number(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let bytes = self.bytes();
        let digits = |i: &mut usize| {
            let from = *i;
            while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > from
        };
        let mut i = start;
        if bytes.get(i) == Some(&b'-') {
            i += 1;
        }
        match bytes.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => {
                digits(&mut i);
            }
            _ => return None,
        }
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                return None;
            }
        }
        if let Some(b'e' | b'E') = bytes.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = bytes.get(i) {
                i += 1;
            }
            if !digits(&mut i) {
                return None;
            }
        }
        self.pos = i;
        Some(&self.text[start..i])
    }

    /// An unsigned integer as serde reads one into `u32` (no sign, no
    /// fraction or exponent).
    fn u32(&mut self) -> Option<u32> {
        let n = self.number()?;
        n.bytes().all(|b| b.is_ascii_digit()).then_some(())?;
        n.parse().ok()
    }

    fn bool(&mut self) -> Option<bool> {
        match self.peek()? {
            b't' => self.literal("true").map(|()| true),
            b'f' => self.literal("false").map(|()| false),
            _ => None,
        }
    }

    fn enumish(&mut self) -> Option<Enumish<'a>> {
        match self.peek()? {
            b'"' => self.string().map(|s| Enumish::Name(Cow::Borrowed(s))),
            b'0'..=b'9' => {
                let n = self.number()?;
                n.bytes().all(|b| b.is_ascii_digit()).then_some(())?;
                n.parse().ok().map(Enumish::Number)
            }
            _ => None,
        }
    }

    fn cow(&mut self) -> Option<Cow<'a, str>> {
        self.string().map(Cow::Borrowed)
    }

    /// `null` as `None`, else the value `read` reads.
    fn opt<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        if self.peek()? == b'n' {
            self.literal("null").map(|()| None)
        } else {
            read(self).map(Some)
        }
    }

    /// An object, calling `field` with each key, the cursor at its value.
    fn object(
        &mut self,
        depth: u32,
        mut field: impl FnMut(&mut Self, &'a str) -> Option<()>,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.eat(b'{')?;
        self.ws();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            let key = self.string()?;
            self.ws();
            self.eat(b':')?;
            self.ws();
            field(self, key)?;
            self.ws();
            match self.peek()? {
                b',' => {
                    self.pos += 1;
                    self.ws();
                }
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Any value, checked and skipped.
    fn skip(&mut self, depth: u32) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => self.object(depth + 1, |c, _| c.skip(depth + 1)),
            b'[' => {
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.pos += 1;
                self.ws();
                if self.eat(b']').is_some() {
                    return Some(());
                }
                loop {
                    self.skip(depth + 1)?;
                    self.ws();
                    match self.peek()? {
                        b',' => {
                            self.pos += 1;
                            self.ws();
                        }
                        b']' => {
                            self.pos += 1;
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            _ => self.number().map(drop),
        }
    }

    /// A value's text, as serde_json's `RawValue` borrows it. Objects
    /// seen before are recognised by their bytes; objects remembered carry
    /// their token.
    fn raw(&mut self, depth: u32) -> Option<RawJson<'a>> {
        let start = self.pos;
        if let Some((len, token)) = self.seen.recall(&self.text[start..]) {
            self.pos += len;
            return Some(RawJson(&self.text[start..self.pos], Some(token)));
        }
        self.skip(depth)?;
        let text = &self.text[start..self.pos];
        let token = if text.starts_with('{') {
            self.seen.remember(text)
        } else {
            None
        };
        Some(RawJson(text, token))
    }

    fn record(&mut self, rec: &mut Record<'a>) -> Option<()> {
        let mut seen = Seen(0);
        self.object(1, |c, key| {
            if c.flow_field(&mut rec.fields_mut(), &mut seen, key)? {
                return Some(());
            }
            let event = match key {
                "flow" => {
                    seen.first(20)?;
                    // Read in place: a Flow is large to move.
                    if c.peek()? == b'n' {
                        return c.literal("null");
                    }
                    let flow = rec.flow.insert(Flow::default());
                    let mut seen = Seen(0);
                    return c.object(2, |c, key| {
                        if !c.flow_field(&mut flow.fields_mut(), &mut seen, key)? {
                            c.skip(2)?;
                        }
                        Some(())
                    });
                }
                "node_status" | "nodeStatus" => (21, &mut rec.node_status),
                "lost_events" | "lostEvents" => (22, &mut rec.lost_events),
                "agent_event" | "agentEvent" => (23, &mut rec.agent_event),
                "debug_event" | "debugEvent" => (24, &mut rec.debug_event),
                _ => return c.skip(1),
            };
            seen.first(event.0)?;
            *event.1 = c.opt(|c| c.skip(2).map(|()| serde::de::IgnoredAny))?;
            Some(())
        })
    }

    /// Reads the value of a Flow field into `f`: `Some(false)` when `key`
    /// is no Flow field, `None` when the value is outside the fast path.
    fn flow_field(
        &mut self,
        f: &mut FlowFieldsMut<'_, 'a>,
        seen: &mut Seen,
        key: &str,
    ) -> Option<bool> {
        let depth = 3;
        match key {
            "time" => {
                seen.first(0)?;
                *f.time = self.opt(Self::cow)?;
            }
            "verdict" => {
                seen.first(1)?;
                *f.verdict = self.opt(Self::enumish)?;
            }
            "IP" => {
                seen.first(2)?;
                *f.ip = self.opt(|c| c.ip(depth))?;
            }
            "l4" => {
                seen.first(3)?;
                *f.l4 = self.opt(|c| c.l4(depth))?;
            }
            "source" => {
                seen.first(4)?;
                *f.source = self.opt(|c| c.raw(depth))?;
            }
            "destination" => {
                seen.first(5)?;
                *f.destination = self.opt(|c| c.raw(depth))?;
            }
            "Type" | "type" => {
                seen.first(6)?;
                *f.flow_type = self.opt(Self::enumish)?;
            }
            "l7" => {
                seen.first(7)?;
                *f.l7 = self.opt(|c| c.l7(depth))?;
            }
            "traffic_direction" | "trafficDirection" => {
                seen.first(8)?;
                *f.traffic_direction = self.opt(Self::enumish)?;
            }
            "is_reply" | "isReply" => {
                seen.first(9)?;
                *f.is_reply = self.opt(Self::bool)?;
            }
            "reply" => {
                seen.first(10)?;
                *f.reply = self.opt(Self::bool)?;
            }
            "destination_names" | "destinationNames" => {
                seen.first(11)?;
                *f.destination_names = self.opt(|c| c.raw(depth))?;
            }
            _ => return Some(false),
        }
        Some(true)
    }

    fn l7(&mut self, depth: u32) -> Option<Layer7<'a>> {
        let mut l7 = Layer7::default();
        let mut seen = Seen(0);
        let inner = depth + 1;
        self.object(depth, |c, key| {
            match key {
                "type" => {
                    seen.first(0)?;
                    l7.l7_type = c.opt(Self::enumish)?;
                }
                "http" => {
                    seen.first(1)?;
                    l7.http = c.opt(|c| c.http(inner))?;
                }
                "dns" => {
                    seen.first(2)?;
                    l7.dns = c.opt(|c| c.dns(inner))?;
                }
                _ => c.skip(depth)?,
            }
            Some(())
        })?;
        Some(l7)
    }

    fn http(&mut self, depth: u32) -> Option<Http<'a>> {
        let mut http = Http::default();
        let mut seen = Seen(0);
        self.object(depth, |c, key| {
            match key {
                "method" => {
                    seen.first(0)?;
                    http.method = c.opt(Self::cow)?;
                }
                "url" => {
                    seen.first(1)?;
                    http.url = c.opt(Self::cow)?;
                }
                _ => c.skip(depth)?,
            }
            Some(())
        })?;
        Some(http)
    }

    fn dns(&mut self, depth: u32) -> Option<Dns<'a>> {
        let mut dns = Dns::default();
        let mut seen = Seen(0);
        self.object(depth, |c, key| {
            match key {
                "query" => {
                    seen.first(0)?;
                    dns.query = c.opt(Self::cow)?;
                }
                "ips" => {
                    seen.first(1)?;
                    dns.ips = c.opt(Self::strings)?;
                }
                _ => c.skip(depth)?,
            }
            Some(())
        })?;
        Some(dns)
    }

    /// An array of strings.
    fn strings(&mut self) -> Option<Vec<Cow<'a, str>>> {
        self.eat(b'[')?;
        self.ws();
        let mut out = Vec::new();
        if self.eat(b']').is_some() {
            return Some(out);
        }
        loop {
            out.push(self.cow()?);
            self.ws();
            match self.peek()? {
                b',' => {
                    self.pos += 1;
                    self.ws();
                }
                b']' => {
                    self.pos += 1;
                    return Some(out);
                }
                _ => return None,
            }
        }
    }

    fn ip(&mut self, depth: u32) -> Option<Ip<'a>> {
        let mut ip = Ip::default();
        let mut seen = Seen(0);
        self.object(depth, |c, key| {
            match key {
                "source" => {
                    seen.first(0)?;
                    ip.source = c.opt(Self::cow)?;
                }
                "destination" => {
                    seen.first(1)?;
                    ip.destination = c.opt(Self::cow)?;
                }
                _ => c.skip(depth)?,
            }
            Some(())
        })?;
        Some(ip)
    }

    fn l4(&mut self, depth: u32) -> Option<Layer4> {
        let mut l4 = Layer4::default();
        let mut seen = Seen(0);
        let inner = depth + 1;
        self.object(depth, |c, key| {
            match key {
                "TCP" => {
                    seen.first(0)?;
                    l4.tcp = c.opt(|c| c.ports(inner))?;
                }
                "UDP" => {
                    seen.first(1)?;
                    l4.udp = c.opt(|c| c.ports(inner))?;
                }
                "SCTP" => {
                    seen.first(2)?;
                    l4.sctp = c.opt(|c| c.ports(inner))?;
                }
                "ICMPv4" => {
                    seen.first(3)?;
                    l4.icmpv4 = c.opt(|c| c.icmp(inner))?;
                }
                "ICMPv6" => {
                    seen.first(4)?;
                    l4.icmpv6 = c.opt(|c| c.icmp(inner))?;
                }
                _ => c.skip(depth)?,
            }
            Some(())
        })?;
        Some(l4)
    }

    fn ports(&mut self, depth: u32) -> Option<Ports> {
        let mut ports = Ports::default();
        let mut seen = Seen(0);
        self.object(depth, |c, key| {
            match key {
                "source_port" | "sourcePort" => {
                    seen.first(0)?;
                    ports.source_port = c.opt(Self::u32)?;
                }
                "destination_port" | "destinationPort" => {
                    seen.first(1)?;
                    ports.destination_port = c.opt(Self::u32)?;
                }
                _ => c.skip(depth)?,
            }
            Some(())
        })?;
        Some(ports)
    }

    fn icmp(&mut self, depth: u32) -> Option<Icmp> {
        let mut icmp = Icmp::default();
        let mut seen = Seen(0);
        self.object(depth, |c, key| {
            if key == "type" {
                seen.first(0)?;
                icmp.icmp_type = c.opt(Self::u32)?;
            } else {
                c.skip(depth)?;
            }
            Some(())
        })?;
        Some(icmp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_stops_find_the_first_quote_backslash_or_control_byte() {
        for (text, at) in [
            (*b"abcdefgh", None),
            (*b"abc\"efgh", Some(3)),
            (*b"\\bcdefgh", Some(0)),
            (*b"abcdefg\n", Some(7)),
            (*b"a\x1f\"defgh", Some(1)),
            (*b"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", None),
            (*b"  \x7f\xff \"  ", Some(5)),
            (*b"\x00\"\\\x1f    ", Some(0)),
        ] {
            let stops = string_stops(u64::from_le_bytes(text));
            let found = (stops != 0).then(|| stops.trailing_zeros() as usize / 8);
            assert_eq!(found, at, "{text:?}");
        }
    }

    /// Every length around the word and vector boundaries, with the end,
    /// an escape or a control character at every place.
    #[test]
    fn plain_string_ends_agree_with_a_byte_loop() {
        let slow = |bytes: &[u8], from: usize| {
            let i = from
                + bytes[from..]
                    .iter()
                    .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
            (bytes[i] == b'"').then_some(i)
        };
        for len in 0..80 {
            for stop in [b'"', b'\\', b'\n', 0x1f] {
                for at in 0..=len {
                    let mut text: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                    if at < len {
                        text[at] = stop;
                    }
                    text.extend_from_slice(b"\"tail");
                    assert_eq!(
                        plain_string_end(&text, 0),
                        slow(&text, 0),
                        "{:?}",
                        String::from_utf8_lossy(&text)
                    );
                    // A string running to the end of the text has no end.
                    assert_eq!(plain_string_end(&text[..len], 0), slow(&text[..len], 0));
                }
            }
        }
    }

    #[test]
    fn strings_are_plain_or_declined() {
        let read = |s: &str| {
            let mut skimmer = Skimmer::default();
            let mut c = Cursor {
                text: s,
                pos: 0,
                seen: &mut skimmer,
            };
            c.string().map(|v| (v.to_string(), c.pos))
        };
        assert_eq!(read("\"abc\" x"), Some(("abc".into(), 5)));
        assert_eq!(read("\"é😀\""), Some(("é😀".into(), 8)));
        assert_eq!(read("\"\""), Some(("".into(), 2)));
        for declined in ["\"a\\\"b\"", "\"a\nb\"", "\"a\u{1f}\"", "\"open", "x\"\""] {
            assert_eq!(read(declined), None, "{declined:?}");
        }
    }

    #[test]
    fn numbers_follow_the_json_grammar() {
        let read = |s: &str| {
            let mut skimmer = Skimmer::default();
            let mut c = Cursor {
                text: s,
                pos: 0,
                seen: &mut skimmer,
            };
            c.number().map(|n| (n.to_string(), c.pos))
        };
        for ok in ["0", "-0", "12", "1.5", "-1.5e10", "3E+2", "7e-1"] {
            assert_eq!(read(ok), Some((ok.to_string(), ok.len())), "{ok}");
        }
        for bad in ["-", "1.", ".5", "1e", "+1", "-a"] {
            assert_eq!(read(bad), None, "{bad}");
        }
        // A leading zero ends the number; what follows is the caller's.
        assert_eq!(read("01"), Some(("0".to_string(), 1)));
    }

    #[test]
    fn a_value_seen_before_is_recognised_only_when_whole() {
        let mut s = Skimmer::default();
        let endpoint = r#"{"ID":1231,"identity":25339,"namespace":"shop","labels":["k8s:app=web"],"pod_name":"web-1"}"#;
        let sibling = endpoint.replace("web-1", "web-2");
        let t1 = s.remember(endpoint).expect("kept");
        let t2 = s.remember(&sibling).expect("kept");
        assert_ne!(t1, t2);
        assert_eq!(
            s.recall(&format!("{endpoint},\"x\":1}}")),
            Some((endpoint.len(), t1))
        );
        assert_eq!(s.recall(&format!("{sibling}}}")), Some((sibling.len(), t2)));
        assert_eq!(s.recall(&endpoint.replace("web-1", "web-3")), None);
        assert_eq!(s.recall(&endpoint[..endpoint.len() - 1]), None);
        // Short values are read, not remembered.
        let host = r#"{"identity":1,"labels":["reserved:host"]}"#;
        assert_eq!(s.remember(host), None);
        assert_eq!(s.recall(&format!("{host}{host}{host}")), None);
    }

    #[test]
    fn a_token_names_one_text_of_one_skimmer() {
        let endpoint = r#"{"ID":1231,"identity":25339,"namespace":"shop","labels":["k8s:app=web"],"pod_name":"web-1"}"#;
        let mut a = Skimmer::default();
        let mut b = Skimmer::default();
        let ta = a.remember(endpoint).expect("kept");
        // Another skimmer's token for the same text is another token.
        assert_ne!(b.remember(endpoint), Some(ta));
        // A text pushed out of the cache and seen again is a new text:
        // serials are not reused.
        for i in 0..CANDIDATES {
            a.remember(&endpoint.replace("web-1", &format!("web-x{i}")));
        }
        assert_eq!(a.recall(endpoint), None);
        let again = a.remember(endpoint).expect("kept");
        assert_ne!(again, ta);
        assert_eq!(a.recall(endpoint), Some((endpoint.len(), again)));
    }
}
