//! Who is on the other end of a request: the client's address and scheme, taken from `X-Forwarded-For` and
//! `X-Forwarded-Proto` only when the connection comes from an address listed in `server.trusted_proxies` (none by
//! default, not even loopback: any local process could otherwise claim any address to dodge the login limit).

use std::net::{IpAddr, SocketAddr};

use hyper::Request;

use crate::config::Config;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub ip: IpAddr,
    /// Whether the client reached us over HTTPS (directly or through the proxy): cookies get `Secure`.
    pub https: bool,
}

impl Client {
    pub fn from_request<B>(config: &Config, peer: SocketAddr, request: &Request<B>) -> Client {
        let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
        if !config.server.trusted_proxies.contains(&peer.ip()) {
            return Client { ip: peer.ip(), https: false };
        }
        // The proxy appends the address it saw: the last entry is the one it vouches for.
        let forwarded =
            header("x-forwarded-for").and_then(|v| v.rsplit(',').next()).and_then(|v| v.trim().parse().ok());
        let real_ip = header("x-real-ip").and_then(|v| v.trim().parse().ok());
        Client {
            ip: forwarded.or(real_ip).unwrap_or(peer.ip()),
            https: header("x-forwarded-proto").is_some_and(|p| p.eq_ignore_ascii_case("https")),
        }
    }
}
