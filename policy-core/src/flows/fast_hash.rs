//! A fast seeded hash for the aggregator's tables.
//!
//! Endpoint JSON is hashed twice per flow (a few hundred bytes each), which
//! SipHash makes a fifth of the reading cost. This folded-multiply hash
//! (the construction of foldhash/ahash's fallback: a 64×64→128-bit multiply
//! of input words xor-ed with secret seeds, folded) reads 16 bytes per
//! multiply. The seed comes from [`std::hash::RandomState`], so crafted input
//! cannot aim at collisions; table order never reaches the output, which is
//! sorted.

use std::hash::{BuildHasher, Hasher, RandomState};

const K: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline]
fn fold_mul(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

/// Builds [`FoldHasher`]s with per-table random seeds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FoldState {
    seeds: [u64; 2],
}

impl Default for FoldState {
    fn default() -> Self {
        let r = RandomState::new();
        FoldState {
            seeds: [r.hash_one(0x5eed_u64) | 1, r.hash_one(0xfeed_u64) | 1],
        }
    }
}

impl BuildHasher for FoldState {
    type Hasher = FoldHasher;
    fn build_hasher(&self) -> FoldHasher {
        FoldHasher {
            acc: self.seeds[0],
            seeds: self.seeds,
        }
    }
}

/// See the module docs.
pub(crate) struct FoldHasher {
    acc: u64,
    seeds: [u64; 2],
}

impl Hasher for FoldHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut acc = self.acc ^ bytes.len() as u64;
        let mut chunks = bytes.chunks_exact(16);
        for c in &mut chunks {
            let a = u64::from_le_bytes(c[..8].try_into().expect("8 bytes"));
            let b = u64::from_le_bytes(c[8..].try_into().expect("8 bytes"));
            acc = fold_mul(a ^ self.seeds[0] ^ acc, b ^ self.seeds[1]);
        }
        let rem = chunks.remainder();
        if !rem.is_empty() {
            let mut buf = [0u8; 16];
            buf[..rem.len()].copy_from_slice(rem);
            let a = u64::from_le_bytes(buf[..8].try_into().expect("8 bytes"));
            let b = u64::from_le_bytes(buf[8..].try_into().expect("8 bytes"));
            acc = fold_mul(a ^ self.seeds[0] ^ acc, b ^ self.seeds[1]);
        }
        self.acc = acc;
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.acc = fold_mul(self.acc ^ n ^ self.seeds[0], K ^ self.seeds[1]);
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    #[inline]
    fn write_u16(&mut self, n: u16) {
        self.write_u64(u64::from(n));
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        fold_mul(self.acc, K ^ self.seeds[1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_input_equal_hash_and_spread() {
        let s = FoldState::default();
        assert_eq!(s.hash_one(b"abc".as_slice()), s.hash_one(b"abc".as_slice()));
        let hashes: std::collections::HashSet<u64> = (0..10_000u32)
            .map(|i| s.hash_one(format!("ep-{i}")))
            .collect();
        assert_eq!(hashes.len(), 10_000);
    }
}
