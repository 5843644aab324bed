//! Login rate limiting: failed logins are counted per client address and per account name, in memory. Past
//! `max_failures` within the window, that address (or account) is blocked for `block_secs`, whatever password
//! it sends next, so a password cannot be guessed faster than a few tries per quarter hour. A success clears
//! the counters of its address and account.

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
        LoginGuard {
            max_failures: config.max_failures as usize,
            window: Duration::from_secs(config.failure_window_secs),
            block: Duration::from_secs(config.block_secs),
            records: Mutex::new(HashMap::new()),
        }
    }

    fn keys(ip: IpAddr, account: &str) -> [String; 2] {
        [format!("ip:{ip}"), format!("user:{}", account.to_lowercase())]
    }

    /// Whether a login from `ip` for `account` must be refused without checking the password.
    pub fn is_blocked(&self, ip: IpAddr, account: &str) -> bool {
        let now = Instant::now();
        let records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        Self::keys(ip, account).iter().any(|k| records.get(k).and_then(|r| r.blocked_until).is_some_and(|t| t > now))
    }

    /// Counts a failure; returns true when it blocks the address or the account.
    pub fn failed(&self, ip: IpAddr, account: &str) -> bool {
        let now = Instant::now();
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        // Forget what is long over, so the map cannot grow without bound under a spray of names.
        records.retain(|_, r| {
            r.blocked_until.is_some_and(|t| t > now) || r.failures.iter().any(|&f| now - f < self.window)
        });
        let mut blocked = false;
        for key in Self::keys(ip, account) {
            let record = records.entry(key).or_default();
            record.failures.retain(|&f| now - f < self.window);
            record.failures.push(now);
            if record.failures.len() >= self.max_failures {
                record.blocked_until = Some(now + self.block);
                record.failures.clear();
                blocked = true;
            }
        }
        blocked
    }

    pub fn succeeded(&self, ip: IpAddr, account: &str) {
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        for key in Self::keys(ip, account) {
            records.remove(&key);
        }
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
        assert!(!g.failed(ip, "alice"));
        assert!(!g.failed(ip, "bob"));
        assert!(g.failed(ip, "carol"), "third failure from one address");
        assert!(g.is_blocked(ip, "dave"));
        assert!(!g.is_blocked("192.0.2.8".parse().unwrap(), "dave"));
    }

    #[test]
    fn an_account_is_blocked_after_failures_from_many_addresses() {
        let g = guard();
        for n in 1..=3 {
            g.failed(format!("192.0.2.{n}").parse().unwrap(), "Alice");
        }
        assert!(g.is_blocked("198.51.100.1".parse().unwrap(), "alice"));
    }

    #[test]
    fn a_success_clears_the_count() {
        let g = guard();
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        g.failed(ip, "alice");
        g.failed(ip, "alice");
        g.succeeded(ip, "alice");
        assert!(!g.failed(ip, "alice"));
    }
}
