//! Encrypted login forms, as DSM's `SYNO.API.Encryption` defines them: the client encrypts the form with a
//! random passphrase (AES-256-CBC, OpenSSL's `Salted__` format with an MD5 key derivation), encrypts that
//! passphrase with our RSA key (PKCS#1 v1.5), and sends both as JSON in the field `__cIpHeRtExT`. The form
//! includes `__cIpHeRtOkEn`, the server time it was given, so an old captured form cannot be replayed.
//!
//! The RSA key (4096 bits: clients encrypt a 501-byte passphrase) is made on first use and kept in the data dir
//! (mode 0600), because making one takes seconds.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use base64::Engine;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey};

pub const CIPHER_KEY: &str = "__cIpHeRtExT";
pub const CIPHER_TOKEN: &str = "__cIpHeRtOkEn";
/// How old the server time inside an encrypted form may be.
const MAX_FORM_AGE_SECS: i64 = 600;

pub struct LoginKeys {
    path: PathBuf,
    rsa: OnceLock<RsaPrivateKey>,
    noise_public: [u8; 32],
}

impl LoginKeys {
    pub fn new(data_dir: &std::path::Path) -> Arc<LoginKeys> {
        let mut noise_public = [0u8; 32];
        getrandom::fill(&mut noise_public).expect("the kernel's random source is available");
        Arc::new(LoginKeys { path: data_dir.join("login-key.pem"), rsa: OnceLock::new(), noise_public })
    }

    pub fn noise_public_b64url(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.noise_public)
    }

    /// Blocking: may generate the key.
    fn key(&self) -> Result<&RsaPrivateKey, String> {
        if let Some(key) = self.rsa.get() {
            return Ok(key);
        }
        let key = match std::fs::read_to_string(&self.path) {
            Ok(pem) => RsaPrivateKey::from_pkcs1_pem(&pem).map_err(|e| format!("{}: {e}", self.path.display()))?,
            Err(_) => {
                tracing::info!("making the login encryption key (once)");
                let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 4096).map_err(|e| e.to_string())?;
                let pem = key.to_pkcs1_pem(rsa::pkcs8::LineEnding::LF).map_err(|e| e.to_string())?;
                write_private(&self.path, pem.as_bytes()).map_err(|e| format!("{}: {e}", self.path.display()))?;
                key
            }
        };
        Ok(self.rsa.get_or_init(|| key))
    }

    /// Blocking: the modulus as hex, as `getinfo` publishes it (the exponent is always 65537).
    pub fn rsa_modulus_hex(&self) -> Result<String, String> {
        Ok(format!("{:X}", self.key()?.n()))
    }

    /// Blocking: the form inside an encrypted login.
    fn decrypt(&self, sealed: &str) -> Result<Vec<(String, String)>, String> {
        #[derive(serde::Deserialize)]
        struct Sealed {
            rsa: String,
            aes: String,
        }
        let b64 = base64::engine::general_purpose::STANDARD;
        let sealed: Sealed = serde_json::from_str(sealed).map_err(|_| "the encrypted form is not JSON")?;
        let rsa_bytes = b64.decode(sealed.rsa.trim()).map_err(|_| "bad base64 (rsa)")?;
        let passphrase = self.key()?.decrypt(Pkcs1v15Encrypt, &rsa_bytes).map_err(|_| "cannot decrypt (rsa)")?;
        let aes = b64.decode(sealed.aes.trim()).map_err(|_| "bad base64 (aes)")?;
        let plain = openssl_aes_decrypt(&passphrase, &aes).ok_or("cannot decrypt (aes)")?;
        Ok(form_urlencoded::parse(&plain).into_owned().collect())
    }
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("pem.part");
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// OpenSSL's `enc -aes-256-cbc -md md5` format: "Salted__", 8 bytes of salt, then the ciphertext.
fn openssl_aes_decrypt(passphrase: &[u8], data: &[u8]) -> Option<Vec<u8>> {
    use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit};
    use md5::{Digest, Md5};
    let rest = data.strip_prefix(b"Salted__")?;
    let (salt, ciphertext) = (rest.get(..8)?, rest.get(8..)?);
    // EVP_BytesToKey with MD5, one round: D1 = MD5(pass‖salt), Di = MD5(Di-1‖pass‖salt); key‖iv = D1‖D2‖D3.
    let mut derived = Vec::with_capacity(48);
    let mut last: Vec<u8> = Vec::new();
    while derived.len() < 48 {
        let mut md5 = Md5::new();
        md5.update(&last);
        md5.update(passphrase);
        md5.update(salt);
        last = md5.finalize().to_vec();
        derived.extend_from_slice(&last);
    }
    let decryptor = cbc::Decryptor::<aes::Aes256>::new_from_slices(&derived[..32], &derived[32..48]).ok()?;
    decryptor.decrypt_padded_vec_mut::<Pkcs7>(ciphertext).ok()
}

/// The fields of an encrypted login form (the value of its `CIPHER_KEY` field), checked to be recent.
pub async fn decrypt_form(keys: &Arc<LoginKeys>, sealed: &str) -> Result<Vec<(String, String)>, String> {
    let (keys, sealed) = (keys.clone(), sealed.to_string());
    let fields = tokio::task::spawn_blocking(move || keys.decrypt(&sealed)).await.map_err(|e| e.to_string())??;
    let sent_at: i64 = fields
        .iter()
        .find(|(k, _)| k == CIPHER_TOKEN)
        .and_then(|(_, v)| v.parse().ok())
        .ok_or("the encrypted form has no server time")?;
    if (crate::db::now() - sent_at).abs() > MAX_FORM_AGE_SECS {
        return Err("the encrypted form is too old (replayed?)".into());
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decrypts_what_openssl_encrypts() {
        // "Salted__", the salt 0102030405060708, then the output of `printf 'account=alice&passwd=s3cret' |
        // openssl enc -aes-256-cbc -md md5 -S 0102030405060708 -pass pass:correct-horse` (OpenSSL 3.0.x)
        let sealed = base64::engine::general_purpose::STANDARD
            .decode("U2FsdGVkX18BAgMEBQYHCDNvFZKB05HQrkUj8U1kf8n5I3e8WPnhPS/wxcrwTaRe")
            .unwrap();
        let plain = openssl_aes_decrypt(b"correct-horse", &sealed).unwrap();
        assert_eq!(plain, b"account=alice&passwd=s3cret");
        assert!(openssl_aes_decrypt(b"wrong", &sealed).is_none_or(|p| p != b"account=alice&passwd=s3cret"));
    }
}
