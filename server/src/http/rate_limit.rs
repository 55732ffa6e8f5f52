//! The share-creation rate limit: a GCRA limiter per client network, on
//! [`governor`].
//!
//! Clients are keyed by their IPv4 address, or by the /64 prefix of their
//! IPv6 address: one IPv6 subscriber or host is normally handed a whole /64,
//! so keying on the full address would let it rotate through 2^64 fresh
//! buckets. IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) count as the IPv4
//! address they carry.
//!
//! Buckets that have refilled are forgotten in bulk (`retain_recent`) once
//! every [`PRUNE_EVERY`] checks and only while more than [`PRUNE_ABOVE`]
//! clients are tracked, so the cost per request stays constant.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, MonotonicClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter as Gcra};

/// Above this many tracked clients, refilled buckets are pruned.
const PRUNE_ABOVE: usize = 10_000;
/// Pruning runs at most once per this many checks.
const PRUNE_EVERY: u64 = 1_024;

/// The bucket a client address falls into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientKey {
    /// One IPv4 address.
    V4(u32),
    /// One IPv6 /64 network (the upper 64 bits of the address).
    V6Net64(u64),
}

impl ClientKey {
    /// The bucket of `ip`: the IPv4 address, or the IPv6 address's /64.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => ClientKey::V4(u32::from(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientKey::V4(u32::from(v4)),
                None => ClientKey::V6Net64((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

/// Per-client-network limits on share creation: `burst` at once, refilled at
/// `per_minute` a minute.
pub struct RateLimiter<C: Clock = MonotonicClock> {
    gcra: Gcra<ClientKey, DashMapStateStore<ClientKey>, C, NoOpMiddleware<C::Instant>>,
    clock: C,
    checks: AtomicU64,
}

impl RateLimiter {
    /// A limiter allowing `burst` requests at once and `per_minute` sustained
    /// (`per_minute = 0`: the burst, then nothing for a day).
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self::with_clock(per_minute, burst, MonotonicClock)
    }
}

impl<C: Clock + Clone> RateLimiter<C> {
    /// A limiter on `clock` (tests hand it a `FakeRelativeClock`).
    pub fn with_clock(per_minute: u32, burst: u32, clock: C) -> Self {
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = match NonZeroU32::new(per_minute) {
            Some(rate) => Quota::per_minute(rate),
            None => Quota::with_period(Duration::from_secs(24 * 3600)).expect("non-zero period"),
        }
        .allow_burst(burst);
        RateLimiter {
            gcra: Gcra::dashmap_with_clock(quota, clock.clone()),
            clock,
            checks: AtomicU64::new(0),
        }
    }

    /// Takes a token for `client`'s bucket. `Err(wait)` says how long until
    /// one is available.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        let checks = self.checks.fetch_add(1, Ordering::Relaxed);
        if checks.is_multiple_of(PRUNE_EVERY) && self.gcra.len() > PRUNE_ABOVE {
            self.gcra.retain_recent();
            self.gcra.shrink_to_fit();
        }
        self.gcra
            .check_key(&ClientKey::of(client))
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// How many client buckets are tracked.
    pub fn tracked(&self) -> usize {
        self.gcra.len()
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn burst_then_refill_per_client() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(60, 3, clock.clone());
        for _ in 0..3 {
            assert!(limiter.check(ip("192.0.2.1")).is_ok());
        }
        let wait = limiter.check(ip("192.0.2.1")).unwrap_err();
        assert!(
            wait <= Duration::from_secs(1) && wait > Duration::from_millis(900),
            "{wait:?}"
        );
        assert!(
            limiter.check(ip("192.0.2.2")).is_ok(),
            "another client has its own bucket"
        );
        clock.advance(Duration::from_millis(1100));
        assert!(limiter.check(ip("192.0.2.1")).is_ok(), "one token a second");
        clock.advance(Duration::from_millis(100));
        assert!(limiter.check(ip("192.0.2.1")).is_err());
    }

    #[test]
    fn ipv6_clients_share_a_bucket_per_64() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(1, 2, clock);
        // Rotating through the interface identifier does not buy new tokens.
        assert!(limiter.check(ip("2001:db8:1:2::1")).is_ok());
        assert!(
            limiter
                .check(ip("2001:db8:1:2:ffff:ffff:ffff:fffe"))
                .is_ok()
        );
        assert!(limiter.check(ip("2001:db8:1:2:dead:beef::7")).is_err());
        // The neighbouring /64 is another network.
        assert!(limiter.check(ip("2001:db8:1:3::1")).is_ok());
        assert_eq!(limiter.tracked(), 2);
    }

    #[test]
    fn keys_are_v4_or_v6_64() {
        assert_eq!(ClientKey::of(ip("192.0.2.7")), ClientKey::V4(0xc000_0207));
        assert_eq!(
            ClientKey::of(ip("::ffff:192.0.2.7")),
            ClientKey::of(ip("192.0.2.7")),
            "an IPv4-mapped address is its IPv4 client"
        );
        assert_eq!(
            ClientKey::of(ip("2001:db8:aa:bb:1:2:3:4")),
            ClientKey::V6Net64(0x2001_0db8_00aa_00bb)
        );
        assert_ne!(
            ClientKey::of(ip("2001:db8:aa:bb::1")),
            ClientKey::of(ip("2001:db8:aa:bc::1"))
        );
    }

    #[test]
    fn zero_rate_allows_only_the_burst() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(0, 2, clock.clone());
        assert!(limiter.check(ip("192.0.2.1")).is_ok());
        assert!(limiter.check(ip("192.0.2.1")).is_ok());
        clock.advance(Duration::from_secs(600));
        let wait = limiter.check(ip("192.0.2.1")).unwrap_err();
        assert!(wait > Duration::from_secs(3600), "{wait:?}");
    }

    #[test]
    fn refilled_buckets_are_pruned_past_the_threshold() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(600, 1, clock.clone());
        for n in 0..(PRUNE_ABOVE as u32 + 100) {
            let _ = limiter.check(IpAddr::from((0x0a00_0000u32 + n).to_be_bytes()));
        }
        assert!(limiter.tracked() > PRUNE_ABOVE);
        clock.advance(Duration::from_secs(60));
        // Within PRUNE_EVERY checks the refilled buckets are dropped.
        for _ in 0..PRUNE_EVERY {
            let _ = limiter.check(ip("192.0.2.1"));
        }
        assert!(limiter.tracked() < 10, "{}", limiter.tracked());
    }
}
