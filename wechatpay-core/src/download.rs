//! Downloads (bill files, media): the answer is not signed, so it is streamed to a writer with
//! a size limit and, where the platform gives a digest elsewhere (a bill's `hash_type` and
//! `hash_value`), checked against it while streaming.

use sha1::{Digest as _, Sha1};
use sm3::Sm3;

/// The digest a download must have, given elsewhere by the platform (for a bill, the
/// `hash_type` and `hash_value` of the answer that gave its `download_url`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Checksum {
    /// SHA-1, hex (either case).
    Sha1(String),
    /// SM3 (GB/T 32905-2016), hex (either case).
    Sm3(String),
}

impl Checksum {
    /// The checksum a bill answer names: `hash_type` `SHA1` or `SM3` (any case) and its
    /// `hash_value`. Any other type is `None`.
    pub fn new(hash_type: &str, hash_value: impl Into<String>) -> Option<Self> {
        match hash_type.to_ascii_uppercase().as_str() {
            "SHA1" => Some(Checksum::Sha1(hash_value.into())),
            "SM3" => Some(Checksum::Sm3(hash_value.into())),
            _ => None,
        }
    }

    /// `SHA1` or `SM3`.
    pub fn algorithm(&self) -> &'static str {
        match self {
            Checksum::Sha1(_) => "SHA1",
            Checksum::Sm3(_) => "SM3",
        }
    }

    /// The expected digest, hex, as given.
    pub fn expected(&self) -> &str {
        match self {
            Checksum::Sha1(hex) | Checksum::Sm3(hex) => hex,
        }
    }

    /// A running digest of this checksum's algorithm, for bytes that do not pass through
    /// [`Client::download`](crate::Client::download) as they are (a bill is digested after
    /// it is un-gzipped).
    pub fn hasher(&self) -> Hasher {
        Hasher(match self {
            Checksum::Sha1(_) => HasherState::Sha1(Sha1::new()),
            Checksum::Sm3(_) => HasherState::Sm3(Sm3::new()),
        })
    }

    /// Whether `actual` (hex, as [`Hasher::finish`] gives it) is the expected digest; hex
    /// case is ignored.
    pub fn matches(&self, actual: &str) -> bool {
        actual.eq_ignore_ascii_case(self.expected())
    }
}

/// A digest computed as the chunks arrive ([`Checksum::hasher`]).
pub struct Hasher(HasherState);

enum HasherState {
    Sha1(Sha1),
    Sm3(Sm3),
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let algorithm = match self.0 {
            HasherState::Sha1(_) => "SHA1",
            HasherState::Sm3(_) => "SM3",
        };
        f.debug_tuple("Hasher").field(&algorithm).finish()
    }
}

impl Hasher {
    /// Adds the next bytes.
    pub fn update(&mut self, chunk: &[u8]) {
        match &mut self.0 {
            HasherState::Sha1(h) => h.update(chunk),
            HasherState::Sm3(h) => h.update(chunk),
        }
    }

    /// The digest of every byte given, lowercase hex.
    pub fn finish(self) -> String {
        match self.0 {
            HasherState::Sha1(h) => hex::encode(h.finalize()),
            HasherState::Sm3(h) => hex::encode(h.finalize()),
        }
    }
}

/// What a download wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// Bytes written.
    pub len: u64,
    /// HTTP status.
    pub status: u16,
    /// The `Request-ID` header.
    pub request_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        // GB/T 32905-2016, example 1, and FIPS 180 "abc".
        let mut sm3 = Checksum::Sm3(String::new()).hasher();
        sm3.update(b"a");
        sm3.update(b"bc");
        assert_eq!(
            sm3.finish(),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        let mut sha1 = Checksum::new("sha1", "").unwrap().hasher();
        sha1.update(b"abc");
        assert_eq!(sha1.finish(), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(Checksum::new("MD5", "x"), None);
        let expected = Checksum::new("SHA1", "A9993E364706816ABA3E25717850C26C9CD0D89D").unwrap();
        assert!(expected.matches("a9993e364706816aba3e25717850c26c9cd0d89d"));
        assert!(!expected.matches("a9993e364706816aba3e25717850c26c9cd0d89e"));
    }
}
