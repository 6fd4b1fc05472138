//! Who may do what. A caller without a token is anonymous; a bearer token names a role:
//! `reader-exact` (reads, with true locations) or `editor` (also writes). Tokens come from a
//! tokens file (`--tokens PATH`), one per line as `SHA256-HEX NAME ROLE`, and from
//! ATLAS_WRITE_TOKEN (an editor). Only the tokens' SHA-256 is kept, so the file holds no
//! secret, and a token is never logged: only its name is.

use std::fmt;
use std::path::Path;

use sha2::{Digest, Sha256};

/// What a token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Reads everything, protected incidents at their true locations.
    ReaderExact,
    /// As `ReaderExact`, and writes.
    Editor,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::ReaderExact, Role::Editor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::ReaderExact => "reader-exact",
            Role::Editor => "editor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn may_write(self) -> bool {
        self == Role::Editor
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One token: its hash, the name it is known by (in logs and messages), its role.
#[derive(Debug, Clone)]
pub struct Token {
    hash: [u8; 32],
    pub name: String,
    pub role: Role,
}

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("cannot read the tokens file {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path} line {line}: {reason}")]
    Line {
        path: String,
        line: usize,
        reason: String,
    },
}

/// Every token the server accepts.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    tokens: Vec<Token>,
}

/// The SHA-256 of a token, as the tokens file writes it (64 lowercase hex digits).
pub fn hash_hex(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn parse_hash(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

impl Tokens {
    /// Reads a tokens file: `SHA256-HEX NAME ROLE` per line; blank lines and `#` comments
    /// are skipped. Every line is checked; the first bad one is named.
    pub fn load(path: &Path) -> Result<Tokens, AccessError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| AccessError::Unreadable {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        let mut tokens = Tokens::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |reason: String| AccessError::Line {
                path: shown.clone(),
                line: n + 1,
                reason,
            };
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [hash, name, role] = fields[..] else {
                return Err(bad(format!(
                    "expected three fields, SHA256-HEX NAME ROLE, found {}",
                    fields.len()
                )));
            };
            let hash = parse_hash(&hash.to_ascii_lowercase()).ok_or_else(|| {
                bad("the first field is not a SHA-256 in hex (64 digits); `incident-atlas token` makes one".into())
            })?;
            let role = Role::parse(role).ok_or_else(|| {
                bad(format!(
                    "role {role:?} is not one of {}",
                    Role::ALL.map(Role::as_str).join(", ")
                ))
            })?;
            if tokens.tokens.iter().any(|t| t.hash == hash) {
                return Err(bad("this token is listed twice".into()));
            }
            tokens.tokens.push(Token {
                hash,
                name: name.to_owned(),
                role,
            });
        }
        Ok(tokens)
    }

    /// Adds a token given in clear (ATLAS_WRITE_TOKEN) under `name`.
    pub fn add(&mut self, token: &str, name: &str, role: Role) {
        let hash = Sha256::digest(token.trim().as_bytes()).into();
        self.tokens.retain(|t| t.hash != hash);
        self.tokens.push(Token {
            hash,
            name: name.to_owned(),
            role,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    pub fn any_editor(&self) -> bool {
        self.tokens.iter().any(|t| t.role.may_write())
    }

    /// The token `given` is, if any. Its hash is compared with every token's in constant time
    /// and without stopping at a match, so timing tells nothing of which token, or how much of
    /// one, was right.
    pub fn find(&self, given: &str) -> Option<&Token> {
        let hash: [u8; 32] = Sha256::digest(given.trim().as_bytes()).into();
        let mut found = None;
        for t in &self.tokens {
            if constant_time_eq::constant_time_eq_32(&t.hash, &hash) {
                found = Some(t);
            }
        }
        found
    }
}

/// A new random token (256 bits, URL-safe) and the line that lists it in a tokens file.
pub fn new_token(name: &str, role: Role) -> (String, String) {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let line = format!("{} {name} {role}", hash_hex(&token));
    (token, line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().expect("temp file");
        std::io::Write::write_all(&mut f, text.as_bytes()).expect("written");
        f
    }

    #[test]
    fn a_tokens_file_names_and_roles_its_tokens() {
        let (alice, line) = new_token("alice", Role::Editor);
        let (bob, bob_line) = new_token("bob", Role::ReaderExact);
        let f = file(&format!("# who may do what\n{line}\n\n{bob_line}\n"));
        let tokens = Tokens::load(f.path()).expect("loads");
        assert_eq!(
            tokens.find(&alice).map(|t| (t.name.as_str(), t.role)),
            Some(("alice", Role::Editor))
        );
        assert_eq!(tokens.find(&bob).map(|t| t.role), Some(Role::ReaderExact));
        assert!(tokens.find("guess").is_none());
        assert!(tokens.find(&alice[1..]).is_none());
        // The file holds no token, only hashes.
        let text = std::fs::read_to_string(f.path()).unwrap();
        assert!(!text.contains(&alice) && !text.contains(&bob));
    }

    #[test]
    fn bad_lines_are_named() {
        let hash = hash_hex("x");
        for (text, wanted) in [
            (format!("{hash} alice"), "line 1: expected three fields"),
            (
                "# c\nnothex alice editor".to_owned(),
                "line 2: the first field is not a SHA-256",
            ),
            (
                format!("{hash} alice admin"),
                "role \"admin\" is not one of reader-exact, editor",
            ),
            (
                format!("{hash} a editor\n{hash} b editor"),
                "line 2: this token is listed twice",
            ),
        ] {
            let err = Tokens::load(file(&text).path()).unwrap_err().to_string();
            assert!(err.contains(wanted), "{err}");
        }
    }

    #[test]
    fn the_write_token_is_an_editor() {
        let mut tokens = Tokens::default();
        tokens.add("s3cret", "ATLAS_WRITE_TOKEN", Role::Editor);
        assert!(tokens.any_editor());
        assert_eq!(tokens.find(" s3cret ").map(|t| t.role), Some(Role::Editor));
        assert_eq!(
            hash_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
