//! RFC 3339 timestamps as Unix nanoseconds, so that a tuple's first and last
//! seen take 16 bytes instead of two strings.

/// Parses an RFC 3339 timestamp (`YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`,
/// as Hubble and protojson write them) into nanoseconds since the Unix epoch
/// (UTC), with [`jiff`]'s parser: impossible dates (`2021-02-31`) and
/// offsets (`+99:99`) are refused. `None` when it is not such a timestamp or
/// out of the `i64` nanosecond range (years 1678–2261).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    // jiff also reads ISO 8601 forms that are not RFC 3339 (`+02` offsets,
    // bracketed time zone annotations); Hubble writes none, and a timestamp
    // is only a summary's first/last seen, so they are not refused.
    let timestamp: jiff::Timestamp = s.parse().ok()?;
    i64::try_from(timestamp.as_nanosecond()).ok()
}

/// [`parse_rfc3339`] for a stream of timestamps, most of them in a second
/// seen just before: it remembers the last whole second it parsed
/// (`YYYY-MM-DDTHH:MM:SS`) and reads a timestamp in that second, written
/// `.fffZ` (1–9 digits) or `Z` after it, by adding its fraction. Anything
/// else goes to [`parse_rfc3339`]; the answer is the same.
#[derive(Default)]
pub(crate) struct TimestampParser {
    /// The second, and its nanoseconds since the epoch.
    second: Option<([u8; SECOND], i64)>,
}

/// Bytes of `YYYY-MM-DDTHH:MM:SS`.
const SECOND: usize = 19;

impl TimestampParser {
    /// As [`parse_rfc3339`].
    pub(crate) fn parse(&mut self, s: &str) -> Option<i64> {
        let bytes = s.as_bytes();
        if let (Some((second, base)), Some((head, tail))) =
            (&self.second, bytes.split_first_chunk::<SECOND>())
            && head == second
            && let Some(fraction) = utc_fraction(tail)
        {
            return base.checked_add(fraction);
        }
        let nanos = parse_rfc3339(s)?;
        if let Some((head, tail)) = bytes.split_first_chunk::<SECOND>()
            && is_plain_second(head)
            && let Some(fraction) = utc_fraction(tail)
            // The second before 1677-09-21T00:12:44 starts before i64's range.
            && let Some(base) = nanos.checked_sub(fraction)
        {
            self.second = Some((*head, base));
        }
        Some(nanos)
    }
}

/// `YYYY-MM-DDTHH:MM:SS` with digits where digits go, and not a leap
/// second (which the parser folds into the second before).
fn is_plain_second(head: &[u8; SECOND]) -> bool {
    head.iter().enumerate().all(|(i, &b)| match i {
        4 | 7 => b == b'-',
        10 => b == b'T',
        13 | 16 => b == b':',
        _ => b.is_ascii_digit(),
    }) && head[17] <= b'5'
}

/// The nanoseconds of `Z` (0) or `.` and 1–9 digits then `Z`.
fn utc_fraction(tail: &[u8]) -> Option<i64> {
    let (&last, rest) = tail.split_last()?;
    if last != b'Z' {
        return None;
    }
    let Some((&dot, digits)) = rest.split_first() else {
        return Some(0);
    };
    if dot != b'.' || digits.is_empty() || digits.len() > 9 {
        return None;
    }
    let mut n = 0i64;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i64::from(d - b'0');
    }
    Some(n * 10i64.pow(9 - digits.len() as u32))
}

/// Formats Unix nanoseconds as RFC 3339 in UTC, with 0, 3, 6 or 9 fraction
/// digits as protojson (and so Hubble) writes them.
pub fn format_rfc3339(nanos: i64) -> String {
    // Every i64 of nanoseconds (years 1677–2262) is within jiff's range.
    let timestamp = jiff::Timestamp::from_nanosecond(i128::from(nanos))
        .expect("i64 nanoseconds are within jiff's range");
    let frac = nanos.rem_euclid(1_000_000_000);
    let digits = match frac {
        0 => 0,
        _ if frac % 1_000_000 == 0 => 3,
        _ if frac % 1000 == 0 => 6,
        _ => 9,
    };
    format!("{timestamp:.digits$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The remembering parser gives what the plain one does, on runs
        /// of timestamps that share seconds or nearly do.
        #[test]
        fn the_remembering_parser_agrees(
            stamps in proptest::collection::vec(
                (
                    proptest::sample::select(vec![
                        "2021-06-16T16:52:13", "2021-06-16T16:52:14", "1969-12-31T23:59:59",
                        "2016-12-31T23:59:60", "2021-02-31T00:00:00", "2262-04-11T23:47:16",
                        "1677-09-21T00:12:43", "2021-06-16t16:52:13", "2021-06-16T16:52",
                    ]),
                    proptest::sample::select(vec![
                        "Z", ".Z", ".1Z", ".136834446Z", ".1368344461Z", ".000Z", ".5z",
                        "+02:00", ".25+01:00", "", ".9999999999Z", ".854775807Z", ".854775808Z",
                        ".145224191Z", ".x1Z", "ZZ",
                    ]),
                ),
                1..20,
            )
        ) {
            let mut parser = TimestampParser::default();
            for (second, tail) in stamps {
                let s = format!("{second}{tail}");
                proptest::prop_assert_eq!(parser.parse(&s), parse_rfc3339(&s), "{}", s);
            }
        }
    }

    #[test]
    fn round_trips_and_orders() {
        for s in [
            "2021-06-16T16:52:13.136834446Z",
            "2021-11-10T10:40:58.938656Z",
            "2024-02-29T00:00:00Z",
            "1999-12-31T23:59:59.5Z",
            "2021-10-04T14:28:38.735Z",
        ] {
            let n = parse_rfc3339(s).unwrap();
            let back = format_rfc3339(n);
            assert_eq!(parse_rfc3339(&back), Some(n), "{s} -> {back}");
        }
        assert_eq!(
            format_rfc3339(parse_rfc3339("1999-12-31T23:59:59.5Z").unwrap()),
            "1999-12-31T23:59:59.500Z"
        );
        assert_eq!(parse_rfc3339("1970-01-01T00:00:01Z"), Some(1_000_000_000));
        assert_eq!(format_rfc3339(1_000_000_000), "1970-01-01T00:00:01Z");
        assert_eq!(format_rfc3339(-1), "1969-12-31T23:59:59.999999999Z");
        assert_eq!(format_rfc3339(i64::MIN), "1677-09-21T00:12:43.145224192Z");
        assert_eq!(format_rfc3339(i64::MAX), "2262-04-11T23:47:16.854775807Z");
        assert_eq!(
            parse_rfc3339("2021-06-16T18:52:13+02:00"),
            parse_rfc3339("2021-06-16T16:52:13Z")
        );
        assert!(parse_rfc3339("2021-06-16T16:52:13.1Z") < parse_rfc3339("2021-06-16T16:52:13.15Z"));
        for bad in [
            "",
            "yesterday",
            "2021-13-01T00:00:00Z",
            "2021-06-16T16:52:13",
            "2021-06-16T16:52:13.Z",
            "2021-02-31T00:00:00Z",
            "2021-02-29T00:00:00Z",
            "2021-06-16T16:52:13+99:99",
            "2021-06-16T24:00:00Z",
            "2300-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
