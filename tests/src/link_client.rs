//! A share link's holder, as Synology's link clients (slideshow and photo-frame apps, the public page) call: no
//! session, the link named by the `X-SYNO-SHARING` header, `_sharing_id` / `sharing_id`, or only the sharing
//! cookie that `SYNO.Core.Sharing.Login` sets, at `/photo/mo/sharing/webapi/entry.cgi`.

use serde_json::Value;

/// How a holder names the link on each call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    Header,
    SharingIdParam,
    UnderscoreParam,
    /// Only the sharing cookie (after a login).
    Cookie,
}

pub const NAMINGS: [Naming; 4] = [Naming::Header, Naming::SharingIdParam, Naming::UnderscoreParam, Naming::Cookie];

pub struct LinkHolder {
    pub base: String,
    pub passphrase: String,
    pub naming: Naming,
    /// `sharing_sid`, once logged in.
    pub cookie: Option<String>,
    /// A session of a signed-in user holding the link (an invitee), with its token.
    pub session: Option<(String, String)>,
}

impl LinkHolder {
    pub fn new(base: &str, passphrase: &str, naming: Naming) -> LinkHolder {
        LinkHolder { base: base.into(), passphrase: passphrase.into(), naming, cookie: None, session: None }
    }

    /// `SYNO.Core.Sharing.Login`; keeps the cookie on success. Returns the envelope.
    pub fn login(&mut self, password: &str) -> Value {
        let quoted = serde_json::to_string(password).unwrap();
        let mut request = ureq::post(&format!("{}/photo/mo/sharing/webapi/entry.cgi", self.base));
        if let Some(cookie) = &self.cookie {
            request = request.set("Cookie", &format!("sharing_sid={cookie}"));
        }
        let form = [
            ("api", "SYNO.Core.Sharing.Login"),
            ("method", "login"),
            ("version", "1"),
            ("sharing_id", self.passphrase.as_str()),
            ("password", quoted.as_str()),
        ];
        let response = match request.send_form(&form) {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("sharing login: {e}"),
        };
        let set_cookie = response.header("set-cookie").map(str::to_string);
        let envelope: Value = serde_json::from_str(&response.into_string().unwrap()).unwrap();
        if envelope["success"] == true {
            let value = set_cookie.expect("a sharing cookie");
            let sid = value.split(';').next().unwrap().strip_prefix("sharing_sid=").expect("sharing_sid").to_string();
            self.cookie = Some(sid);
        }
        envelope
    }

    /// `SYNO.Core.Sharing.Login` from another client address (`source`, a loopback address such as 127.0.0.2),
    /// on a connection of its own. Returns the envelope.
    pub fn login_from(&self, source: std::net::Ipv4Addr, password: &str) -> Value {
        use std::io::{Read, Write};
        let address: std::net::SocketAddr = self.base.trim_start_matches("http://").parse().expect("ip:port");
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        socket.bind(&std::net::SocketAddr::from((source, 0)).into()).unwrap();
        socket.connect(&address.into()).unwrap();
        let mut stream: std::net::TcpStream = socket.into();
        let quoted = serde_json::to_string(password).unwrap();
        let body = form_urlencoded(&[
            ("api", "SYNO.Core.Sharing.Login"),
            ("method", "login"),
            ("version", "1"),
            ("sharing_id", &self.passphrase),
            ("password", &quoted),
        ]);
        let request = format!(
            "POST /photo/mo/sharing/webapi/entry.cgi HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let json = response.split("\r\n\r\n").nth(1).expect("a body");
        serde_json::from_str(json).unwrap_or_else(|_| panic!("not JSON: {response}"))
    }

    /// A call; the envelope.
    pub fn call(&self, api: &str, method: &str, version: u32, params: &[(&str, &str)]) -> Value {
        let response = self.raw(api, method, version, params);
        let text = response.into_string().unwrap();
        serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{api} {method}: not JSON: {}", &text[..text.len().min(200)]))
    }

    /// A call, with the raw response (bytes, headers, status).
    pub fn raw(&self, api: &str, method: &str, version: u32, params: &[(&str, &str)]) -> ureq::Response {
        let version = version.to_string();
        let mut query: Vec<(&str, &str)> = vec![("api", api), ("method", method), ("version", &version)];
        query.extend_from_slice(params);
        self.get("/photo/mo/sharing/webapi/entry.cgi", &query)
    }

    /// A GET of `path` with `query`, naming the link as this holder does.
    pub fn get(&self, path: &str, query: &[(&str, &str)]) -> ureq::Response {
        let mut request = ureq::get(&format!("{}{path}", self.base));
        for (k, v) in query {
            request = request.query(k, v);
        }
        request = match self.naming {
            Naming::Header => request.set("X-SYNO-SHARING", &self.passphrase),
            Naming::SharingIdParam => request.query("sharing_id", &self.passphrase),
            Naming::UnderscoreParam => request.query("_sharing_id", &self.passphrase),
            Naming::Cookie => request,
        };
        let mut cookies = Vec::new();
        if let Some(cookie) = &self.cookie {
            cookies.push(format!("sharing_sid={cookie}"));
        }
        if let Some((sid, token)) = &self.session {
            cookies.push(format!("photosd_id={sid}"));
            request = request.set("X-SYNO-TOKEN", token);
        }
        if !cookies.is_empty() {
            request = request.set("Cookie", &cookies.join("; "));
        }
        match request.call() {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("GET {path}: {e}"),
        }
    }

    /// A multipart upload to `api` (`SYNO.Foto.Upload.Item`, `SYNO.Foto.Upload.PhotoRequestItem`), the link named
    /// by header.
    pub fn upload(&self, api: &str, fields: &[(&str, &str)], file_name: &str, bytes: &[u8]) -> Value {
        let boundary = "photosd-link-upload-boundary";
        let body = crate::multipart_body(boundary, api, "upload", None, fields, file_name, bytes);
        let mut request = ureq::post(&format!("{}/photo/mo/sharing/webapi/entry.cgi", self.base))
            .set("Content-Type", &format!("multipart/form-data; boundary={boundary}"))
            .set("X-SYNO-SHARING", &self.passphrase);
        if let Some((sid, token)) = &self.session {
            request = request.set("Cookie", &format!("photosd_id={sid}")).set("X-SYNO-TOKEN", token);
        }
        let response = match request.send_bytes(&body) {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("upload {file_name}: {e}"),
        };
        serde_json::from_str(&response.into_string().unwrap()).expect("a JSON envelope")
    }

    /// The file names a `Browse.Item list` answers, sorted.
    pub fn listed_names(&self) -> Result<Vec<String>, i64> {
        let listed = self.call(
            "SYNO.Foto.Browse.Item",
            "list",
            4,
            &[("offset", "0"), ("limit", "5000"), ("additional", "[\"thumbnail\",\"address\"]")],
        );
        if listed["success"] != true {
            return Err(listed["error"]["code"].as_i64().unwrap_or(0));
        }
        let mut names: Vec<String> =
            listed["data"]["list"].as_array().unwrap().iter().map(|i| i["filename"].as_str().unwrap().into()).collect();
        names.sort();
        Ok(names)
    }
}

fn form_urlencoded(pairs: &[(&str, &str)]) -> String {
    let encode = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}
