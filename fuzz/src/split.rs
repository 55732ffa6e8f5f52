//! Cutting a fuzz input into a fixed-size header of control bytes and the
//! rest, the way the targets that need settings besides their text do.

/// The first `N` bytes of `data` (zero-padded when shorter) and the rest.
pub(crate) fn header<const N: usize>(data: &[u8]) -> ([u8; N], &[u8]) {
    let mut head = [0u8; N];
    let n = data.len().min(N);
    head[..n].copy_from_slice(&data[..n]);
    (head, &data[n..])
}

/// The longest prefix of `text` of at most `len` bytes that ends on a
/// character boundary.
pub(crate) fn floor_char_boundary(text: &str, len: usize) -> &str {
    let mut end = len.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_pads_short_inputs() {
        assert_eq!(header::<3>(b"ab"), ([b'a', b'b', 0], &b""[..]));
        assert_eq!(header::<2>(b"abc"), ([b'a', b'b'], &b"c"[..]));
    }

    #[test]
    fn prefixes_end_on_character_boundaries() {
        assert_eq!(floor_char_boundary("aé", 2), "a");
        assert_eq!(floor_char_boundary("aé", 3), "aé");
        assert_eq!(floor_char_boundary("aé", 9), "aé");
    }
}
