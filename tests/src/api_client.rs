//! A small client of photosd's Synology-style web API for the tests: GET and form POST calls with the session
//! (`_sid`) and SynoToken of the last login, returning the JSON envelope as it came.

use serde_json::Value;

pub struct Api {
    pub base: String,
    pub sid: Option<String>,
    pub token: Option<String>,
    agent: ureq::Agent,
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api { base: base.to_string(), sid: None, token: None, agent: ureq::AgentBuilder::new().build() }
    }

    /// Logs in (version 7, `format=sid`); keeps the session on success. Returns the envelope.
    pub fn login(&mut self, account: &str, password: &str) -> Value {
        let envelope = self.post(
            "/photo/webapi/auth.cgi",
            &[
                ("api", "SYNO.API.Auth"),
                ("version", "7"),
                ("method", "login"),
                ("account", account),
                ("passwd", password),
                ("format", "sid"),
                ("session", "webui"),
                ("enable_syno_token", "yes"),
            ],
        );
        if envelope["success"] == true {
            self.sid = envelope["data"]["sid"].as_str().map(str::to_string);
            self.token = envelope["data"]["synotoken"].as_str().map(str::to_string);
        }
        envelope
    }

    /// A GET to `/photo/webapi/entry.cgi` with the session, the token header, and `params` (values as given:
    /// JSON-encode them where Synology does).
    pub fn call(&self, api: &str, method: &str, version: u32, params: &[(&str, &str)]) -> Value {
        let response = self.get_raw(api, method, version, params, &[]);
        serde_json::from_str(&response.into_string().unwrap()).expect("a JSON envelope")
    }

    /// The same call, with the raw response (for bytes, headers and status).
    pub fn get_raw(
        &self,
        api: &str,
        method: &str,
        version: u32,
        params: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> ureq::Response {
        let version = version.to_string();
        let mut request = self
            .agent
            .get(&format!("{}/photo/webapi/entry.cgi", self.base))
            .query("api", api)
            .query("method", method)
            .query("version", &version);
        for (k, v) in params {
            request = request.query(k, v);
        }
        if let Some(sid) = &self.sid {
            request = request.query("_sid", sid);
        }
        if let Some(token) = &self.token {
            request = request.set("X-SYNO-TOKEN", token);
        }
        for (k, v) in headers {
            request = request.set(k, v);
        }
        match request.call() {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(e) => panic!("{api} {method}: {e}"),
        }
    }

    /// The items of a space (`Foto`, the caller's Personal Space, or `FotoTeam`, the Shared Space), up to 500.
    pub fn items(&self, family: &str) -> Vec<Value> {
        let listed = self.call(&format!("SYNO.{family}.Browse.Item"), "list", 5, &[("limit", "500")]);
        listed["data"]["list"].as_array().cloned().unwrap_or_default()
    }

    /// The id of the item named `name` in a space, once it is listed.
    pub fn item_id(&self, family: &str, name: &str) -> Option<i64> {
        self.items(family).iter().find(|i| i["filename"] == name).and_then(|i| i["id"].as_i64())
    }

    /// Whether the thumbnail `size` (`sm`, `m`, `xl`) of an item is served, as a JPEG.
    pub fn thumbnail_served(&self, family: &str, id: i64, size: &str) -> bool {
        let id = id.to_string();
        let response = self.get_raw(&format!("SYNO.{family}.Thumbnail"), "get", 2, &[("id", &id), ("size", size)], &[]);
        response.status() == 200 && response.header("content-type") == Some("image/jpeg")
    }

    /// A multipart upload, the way Synology clients send it: the fields first, then the file part.
    pub fn upload(&self, method: &str, fields: &[(&str, &str)], file_name: &str, bytes: &[u8]) -> Value {
        self.upload_to("SYNO.Foto.Upload.Item", method, fields, file_name, bytes)
    }

    /// The same, to another upload API (`SYNO.FotoTeam.Upload.Item` for the Shared Space).
    pub fn upload_to(&self, api: &str, method: &str, fields: &[(&str, &str)], file_name: &str, bytes: &[u8]) -> Value {
        let boundary = "photosd-test-boundary-7MA4YWxkTrZu0gW";
        let body = multipart_body(boundary, api, method, self.sid.as_deref(), fields, file_name, bytes);
        let mut request = self
            .agent
            .post(&format!("{}/photo/webapi/entry.cgi", self.base))
            .set("Content-Type", &format!("multipart/form-data; boundary={boundary}"));
        if let Some(token) = &self.token {
            request = request.set("X-SYNO-TOKEN", token);
        }
        let response = match request.send_bytes(&body) {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("upload {file_name}: {e}"),
        };
        serde_json::from_str(&response.into_string().unwrap()).expect("a JSON envelope")
    }

    /// An upload begun by hand on a raw connection, sent up to half of the file and no further: for uploads that
    /// a client cuts off or leaves hanging. The connection is returned open.
    pub fn half_upload(&self, file_name: &str, bytes: &[u8]) -> std::net::TcpStream {
        use std::io::Write;
        let boundary = "photosd-half-upload-boundary";
        let (sid, token) = (self.sid.as_deref(), self.token.as_deref().expect("logged in"));
        let full = multipart_body(boundary, "SYNO.Foto.Upload.Item", "upload", sid, &[], file_name, bytes);
        let address = self.base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        let head = format!(
            "POST /photo/webapi/entry.cgi HTTP/1.1\r\nHost: {address}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nX-SYNO-TOKEN: {token}\r\nContent-Length: {}\r\n\r\n",
            full.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream.write_all(&full[..full.len() - bytes.len() / 2]).unwrap();
        stream
    }

    /// A form POST to `path` (no session added).
    pub fn post(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let response = match self.agent.post(&format!("{}{path}", self.base)).send_form(form) {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("POST {path}: {e}"),
        };
        serde_json::from_str(&response.into_string().unwrap()).expect("a JSON envelope")
    }
}

/// The error code of a failed envelope (panics on success, naming the call).
pub fn error_code(envelope: &Value) -> i64 {
    assert_eq!(envelope["success"], false, "expected an error, got {envelope}");
    envelope["error"]["code"].as_i64().expect("an error code")
}

/// The bytes of a multipart/form-data upload request.
pub fn multipart_body(
    boundary: &str,
    api: &str,
    method: &str,
    sid: Option<&str>,
    fields: &[(&str, &str)],
    file_name: &str,
    bytes: &[u8],
) -> Vec<u8> {
    let mut body = Vec::new();
    let mut field = |name: &str, value: &str| {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    };
    field("api", api);
    field("method", method);
    field("version", "1");
    if let Some(sid) = sid {
        field("_sid", sid);
    }
    for (k, v) in fields {
        field(k, v);
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}
