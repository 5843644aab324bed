//! Login rate limiting: failed logins are counted per client address and per account name, in memory. Past
//! `max_failures` within the window, that address (or account) is blocked for `block_secs`, whatever password
//! it sends next, so a password cannot be guessed faster than a few tries per quarter hour. An attempt counts
//! before its password is checked (so a burst of parallel logins gets no more checks than one at a time); a
//! success takes back its own count and clears its account's, never the other failures of its address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::AuthConfig;

#[derive(Debug, Default)]
struct Record {
    failures: Vec<Instant>,
    blocked_until: Option<Instant>,
}

pub struct LoginGuard {
    max_failures: usize,
    window: Duration,
    block: Duration,
    /// Keys are "ip:<address>" and "user:<name>". A std mutex: held only for map updates, never across an await.
    records: Mutex<HashMap<String, Record>>,
}

impl LoginGuard {
    pub fn new(config: &AuthConfig) -> LoginGuard {
        LoginGuard::with_limits(
            config.max_failures as usize,
            Duration::from_secs(config.failure_window_secs),
            Duration::from_secs(config.block_secs),
        )
    }

    /// A guard that blocks after `max_failures` within `window`, for `block`.
    pub fn with_limits(max_failures: usize, window: Duration, block: Duration) -> LoginGuard {
        LoginGuard { max_failures, window, block, records: Mutex::new(HashMap::new()) }
    }

    /// The counters of a login: its address, and its account when it names one.
    fn keys(ip: IpAddr, account: &str) -> Vec<String> {
        let mut keys = vec![format!("ip:{}", client_key(ip))];
        if !account.is_empty() {
            keys.push(format!("user:{}", account.to_lowercase()));
        }
        keys
    }

    /// Whether a login from `ip` for `account` must be refused without looking at it further.
    pub fn is_blocked(&self, ip: IpAddr, account: &str) -> bool {
        let now = Instant::now();
        let records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        Self::keys(ip, account).iter().any(|k| records.get(k).and_then(|r| r.blocked_until).is_some_and(|t| t > now))
    }

    /// Starts a login attempt, counted as a failure before the password is checked: logins sent all at once cannot
    /// all pass the check before any of them is counted. Returns false (refuse it, unchecked) when the address or
    /// the account is blocked, or has used up its failures, which blocks it.
    pub fn attempt(&self, ip: IpAddr, account: &str) -> bool {
        let now = Instant::now();
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        // Forget what is long over, so the map cannot grow without bound under a spray of names.
        records.retain(|_, r| {
            r.blocked_until.is_some_and(|t| t > now) || r.failures.iter().any(|&f| now - f < self.window)
        });
        let keys = Self::keys(ip, account);
        let mut refused = false;
        for key in &keys {
            let record = records.entry(key.clone()).or_default();
            record.failures.retain(|&f| now - f < self.window);
            if record.blocked_until.is_some_and(|t| t > now) {
                refused = true;
            } else if record.failures.len() >= self.max_failures {
                record.blocked_until = Some(now + self.block);
                record.failures.clear();
                refused = true;
            }
        }
        if !refused {
            for key in &keys {
                if let Some(record) = records.get_mut(key) {
                    record.failures.push(now);
                }
            }
        }
        !refused
    }

    /// The attempt turned out not to be a guess (a 2-step code was asked for, or the password checker is down):
    /// it no longer counts.
    pub fn not_counted(&self, ip: IpAddr, account: &str) {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        for key in Self::keys(ip, account) {
            if let Some(record) = records.get_mut(&key) {
                record.failures.pop();
            }
        }
    }

    /// The attempt logged in: it no longer counts against its address, and the account's count starts again. The
    /// address's other failures stay: logging in to one's own account must not clear a guesser's record.
    pub fn succeeded(&self, ip: IpAddr, account: &str) {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(record) = records.get_mut(&format!("ip:{}", client_key(ip))) {
            record.failures.pop();
        }
        records.remove(&format!("user:{}", account.to_lowercase()));
    }
}

/// The address counted for a client: an IPv4 address, or an IPv6 address's /64 (the block one host or home
/// gets, within which it may pick any address for each try).
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(prefix.into())
        }
        IpAddr::V6(v6) => IpAddr::V4(v6.to_ipv4_mapped().expect("mapped")),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> LoginGuard {
        LoginGuard::new(&AuthConfig {
            backend: crate::config::PasswordBackend::Pam,
            pam_service: String::new(),
            dsm_url: String::new(),
            admin_group: String::new(),
            session_idle_minutes: 1,
            session_max_days: 1,
            max_failures: 3,
            failure_window_secs: 60,
            block_secs: 60,
        })
    }

    #[test]
    fn an_address_is_blocked_after_repeated_failures_for_any_account() {
        let g = guard();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        assert!(g.attempt(ip, "alice"));
        assert!(g.attempt(ip, "bob"));
        assert!(g.attempt(ip, "carol"), "the third attempt is still checked");
        assert!(!g.attempt(ip, "dave"), "the fourth is refused unchecked");
        assert!(g.is_blocked(ip, "erin"));
        assert!(!g.is_blocked("192.0.2.8".parse().unwrap(), "erin"));
    }

    #[test]
    fn an_ipv6_client_is_counted_by_its_64_block() {
        let g = guard();
        for n in 1..=3 {
            assert!(g.attempt(format!("2001:db8::{n}").parse().unwrap(), &format!("user{n}")));
        }
        assert!(!g.attempt("2001:db8::ffff:1".parse().unwrap(), "user4"), "another address of the same /64");
        assert!(g.attempt("2001:db8:0:1::1".parse().unwrap(), "user5"), "the next /64 is another client");
    }

    #[test]
    fn an_account_is_blocked_after_failures_from_many_addresses() {
        let g = guard();
        for n in 1..=3 {
            assert!(g.attempt(format!("192.0.2.{n}").parse().unwrap(), "Alice"));
        }
        assert!(!g.attempt("198.51.100.1".parse().unwrap(), "alice"));
        assert!(g.is_blocked("198.51.100.2".parse().unwrap(), "alice"));
    }

    #[test]
    fn attempts_count_before_they_are_checked() {
        let g = std::sync::Arc::new(guard());
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let passed: usize = (0..50)
            .map(|_| {
                let g = g.clone();
                std::thread::spawn(move || g.attempt(ip, "alice"))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| usize::from(t.join().unwrap()))
            .sum();
        assert_eq!(passed, 3, "of 50 attempts at once, as many as failures are allowed get checked");
    }

    #[test]
    fn a_success_clears_its_account_but_not_its_address() {
        let g = guard();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        assert!(g.attempt(ip, "bob"));
        assert!(g.attempt(ip, "carol"));
        assert!(g.attempt(ip, "mallory"));
        g.succeeded(ip, "mallory");
        assert!(g.attempt(ip, "dave"), "the success took back its own attempt");
        assert!(!g.attempt(ip, "erin"), "but not the guesses before it");
        let other: IpAddr = "192.0.2.9".parse().unwrap();
        assert!(g.attempt(other, "alice"));
        assert!(g.attempt(other, "alice"));
        g.succeeded(other, "alice");
        assert!(g.attempt("192.0.2.10".parse().unwrap(), "alice"), "alice's count started again");
    }
}
