//! File uploads (`multipart/form-data`): the file an upload operation sends, and the encoding of
//! its two parts.
//!
//! WeChat Pay uploads (images, videos, receipts) send a `meta` part, a JSON object holding the
//! file's name and its SHA-256 (and, for some operations, more fields), and a `file` part with
//! the bytes. The request signature covers the `meta` JSON only, so the client computes the
//! digest, writes the `meta` JSON once, signs it and sends those very bytes.

use std::io::Read;

use bytes::{BufMut, Bytes, BytesMut};
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt as _};

use crate::error::UploadError;

/// A file to upload: its name, its bytes and their media type.
///
/// `Debug` shows the name, the size and the media type, never the content.
#[derive(Clone, PartialEq, Eq)]
pub struct Upload {
    filename: String,
    content: Bytes,
    content_type: Option<String>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("filename", &self.filename)
            .field("len", &self.content.len())
            .field("content_type", &self.content_type())
            .finish()
    }
}

/// How many bytes to read to tell a file of at most `limit` bytes from a longer one: one more
/// than `limit`, saturating (a `limit` of `usize::MAX` reads to the end).
fn past(limit: usize) -> u64 {
    u64::try_from(limit).map_or(u64::MAX, |limit| limit.saturating_add(1))
}

impl Upload {
    /// A file from its name (sent as the `filename` of the `meta` JSON and of the `file` part)
    /// and its bytes. The media type follows the name's extension (see
    /// [`Upload::content_type`]) unless set with [`Upload::with_content_type`].
    pub fn new(filename: impl Into<String>, content: impl Into<Bytes>) -> Self {
        Self {
            filename: filename.into(),
            content: content.into(),
            content_type: None,
        }
    }

    /// Reads a file of at most `limit` bytes from `reader`; a longer one is an
    /// [`std::io::ErrorKind::FileTooLarge`] error (WeChat Pay takes images up to 2 MiB and
    /// videos up to 5 MiB).
    pub fn read(
        filename: impl Into<String>,
        reader: impl Read,
        limit: usize,
    ) -> std::io::Result<Self> {
        let mut content = Vec::new();
        reader.take(past(limit)).read_to_end(&mut content)?;
        Self::bounded(filename, content, limit)
    }

    /// Reads a file of at most `limit` bytes from an async `reader` (a `tokio::fs::File`, …);
    /// a longer one is an [`std::io::ErrorKind::FileTooLarge`] error.
    pub async fn read_async(
        filename: impl Into<String>,
        reader: impl AsyncRead + Unpin,
        limit: usize,
    ) -> std::io::Result<Self> {
        let mut content = Vec::new();
        reader.take(past(limit)).read_to_end(&mut content).await?;
        Self::bounded(filename, content, limit)
    }

    fn bounded(
        filename: impl Into<String>,
        content: Vec<u8>,
        limit: usize,
    ) -> std::io::Result<Self> {
        if content.len() > limit {
            return Err(std::io::Error::new(
                std::io::ErrorKind::FileTooLarge,
                format!("the file is larger than {limit} bytes"),
            ));
        }
        Ok(Self::new(filename, content))
    }

    /// Sets the media type of the `file` part, e.g. `image/jpeg`.
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = Some(content_type.into());
        self
    }

    /// The file name.
    pub fn filename(&self) -> &str {
        &self.filename
    }

    /// The bytes.
    pub fn content(&self) -> &Bytes {
        &self.content
    }

    /// The media type of the `file` part: the one set, else the one of the name's extension
    /// (`jpg`/`jpeg`, `png`, `bmp`, `gif`, `webp`, `mp4`, `avi`, `wmv`, `mpeg`/`mpg`, `mov`,
    /// `mkv`, `flv`, `f4v`, `m4v`, `rmvb`, `pdf`, `txt`, `csv`, `zip`, in any case), else
    /// `application/octet-stream`.
    pub fn content_type(&self) -> &str {
        if let Some(set) = &self.content_type {
            return set;
        }
        let extension = self
            .filename
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase());
        match extension.as_deref() {
            Some("jpg" | "jpeg") => "image/jpeg",
            Some("png") => "image/png",
            Some("bmp") => "image/bmp",
            Some("gif") => "image/gif",
            Some("webp") => "image/webp",
            Some("mp4" | "m4v" | "f4v") => "video/mp4",
            Some("avi") => "video/x-msvideo",
            Some("wmv") => "video/x-ms-wmv",
            Some("mpeg" | "mpg") => "video/mpeg",
            Some("mov") => "video/quicktime",
            Some("mkv") => "video/x-matroska",
            Some("flv") => "video/x-flv",
            Some("rmvb") => "application/vnd.rn-realmedia-vbr",
            Some("pdf") => "application/pdf",
            Some("txt") => "text/plain",
            Some("csv") => "text/csv",
            Some("zip") => "application/zip",
            _ => "application/octet-stream",
        }
    }

    /// The SHA-256 of the content, lowercase hex: the `sha256` of the `meta` JSON.
    pub fn sha256_hex(&self) -> String {
        hex::encode(Sha256::digest(&self.content))
    }

    /// The SM3 of the content, lowercase hex: the `digest` of an e-invoice upload's `meta`.
    pub fn sm3_hex(&self) -> String {
        use sm3::Digest as _;
        hex::encode(sm3::Sm3::digest(&self.content))
    }

    /// Refuses a name or media type that cannot be written in the part headers.
    fn check(&self) -> Result<(), UploadError> {
        if self.filename.is_empty() {
            return Err(UploadError::EmptyFileName);
        }
        if self
            .filename
            .chars()
            .any(|c| c == '"' || c == '\\' || c.is_control())
        {
            return Err(UploadError::FileNameCharacter);
        }
        let media_type = self.content_type();
        let visible = media_type.bytes().all(|b| b.is_ascii_graphic());
        let shaped = media_type
            .split_once('/')
            .is_some_and(|(t, s)| !t.is_empty() && !s.is_empty());
        if !visible || !shaped {
            return Err(UploadError::ContentType);
        }
        Ok(())
    }
}

/// The digest of an upload's file that its `meta` JSON carries, which the client computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MetaDigest<'a> {
    /// `sha256`: the SHA-256, lowercase hex (media and most uploads).
    #[default]
    Sha256,
    /// `digest`: the SM3, lowercase hex, with the member `field` set to `value` (the e-invoice
    /// upload's `digest_alogrithm: "SM3"`, spelt as its page spells it).
    Sm3 {
        /// The member naming the algorithm.
        field: &'a str,
        /// Its value.
        value: &'a str,
    },
}

/// The `meta` JSON of an upload: `meta` (the operation's other `meta` fields, or none) with
/// `filename` (when the operation's `meta` has one) and the file's digest added (`sha256`, or
/// `digest` and its algorithm's member). These bytes are signed and sent as they are. Keys are
/// written in sorted order.
pub(crate) fn meta_json(
    meta: Option<serde_json::Value>,
    upload: &Upload,
    with_filename: bool,
    digest: MetaDigest<'_>,
) -> Result<Vec<u8>, UploadError> {
    upload.check()?;
    let mut object = match meta {
        None => serde_json::Map::new(),
        Some(serde_json::Value::Object(object)) => object,
        Some(_) => return Err(UploadError::MetaNotObject),
    };
    if with_filename {
        object.insert("filename".into(), upload.filename.clone().into());
    }
    match digest {
        MetaDigest::Sha256 => {
            object.insert("sha256".into(), upload.sha256_hex().into());
        }
        MetaDigest::Sm3 { field, value } => {
            object.insert("digest".into(), upload.sm3_hex().into());
            object.insert(field.into(), value.into());
        }
    }
    // A map of strings and JSON values always serializes.
    Ok(serde_json::to_vec(&object).unwrap_or_default())
}

/// The `multipart/form-data` body (RFC 7578): the `meta` part, then the `file` part; and the
/// `Content-Type` header naming its boundary. The boundary is random and appears nowhere in
/// the parts.
pub(crate) fn encode(meta: &[u8], upload: &Upload) -> (Bytes, String) {
    let boundary = loop {
        let candidate = format!("wechatpay-{}", crate::protocol::nonce());
        let needle = candidate.as_bytes();
        let appears = |part: &[u8]| part.windows(needle.len()).any(|w| w == needle);
        if !appears(meta) && !appears(&upload.content) {
            break candidate;
        }
    };
    let mut body = BytesMut::with_capacity(meta.len() + upload.content.len() + 400);
    let head = |body: &mut BytesMut, disposition: &str, content_type: &str| {
        body.put_slice(b"--");
        body.put_slice(boundary.as_bytes());
        body.put_slice(b"\r\nContent-Disposition: form-data; ");
        body.put_slice(disposition.as_bytes());
        body.put_slice(b"\r\nContent-Type: ");
        body.put_slice(content_type.as_bytes());
        body.put_slice(b"\r\n\r\n");
    };
    head(&mut body, "name=\"meta\"", "application/json");
    body.put_slice(meta);
    body.put_slice(b"\r\n");
    let file = format!("name=\"file\"; filename=\"{}\"", upload.filename);
    head(&mut body, &file, upload.content_type());
    body.put_slice(&upload.content);
    body.put_slice(b"\r\n--");
    body.put_slice(boundary.as_bytes());
    body.put_slice(b"--\r\n");
    let content_type = format!("multipart/form-data; boundary={boundary}");
    (body.freeze(), content_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_holds_the_name_and_the_digest_of_the_bytes() {
        let upload = Upload::new("a.jpg", &b"abc"[..]);
        let meta = meta_json(None, &upload, true, MetaDigest::Sha256).unwrap();
        assert_eq!(
            std::str::from_utf8(&meta).unwrap(),
            r#"{"filename":"a.jpg","sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}"#
        );
        let extra = serde_json::json!({"out_trade_no": "1"});
        let meta = meta_json(Some(extra), &upload, false, MetaDigest::Sha256).unwrap();
        assert_eq!(
            std::str::from_utf8(&meta).unwrap(),
            r#"{"out_trade_no":"1","sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}"#
        );
    }

    #[test]
    fn an_sm3_meta_holds_the_digest_and_its_algorithm() {
        // SM3("abc"), the example of GB/T 32905-2016.
        let upload = Upload::new("fapiao.pdf", &b"abc"[..]);
        let digest = MetaDigest::Sm3 {
            field: "digest_alogrithm",
            value: "SM3",
        };
        let extra = serde_json::json!({"file_type": "PDF"});
        let meta = meta_json(Some(extra), &upload, false, digest).unwrap();
        assert_eq!(
            String::from_utf8(meta).unwrap(),
            r#"{"digest":"66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0","digest_alogrithm":"SM3","file_type":"PDF"}"#
        );
    }

    #[test]
    fn names_that_would_break_the_part_header_are_refused() {
        for name in ["", "a\".jpg", "a\r\nX: y.jpg", "a\\b.png", "a\u{7f}.png"] {
            let upload = Upload::new(name, &b"x"[..]);
            assert!(
                meta_json(None, &upload, true, MetaDigest::Sha256).is_err(),
                "{name:?}"
            );
        }
        let odd = Upload::new("a.png", &b"x"[..]).with_content_type("image/png\r\nX: y");
        assert_eq!(
            meta_json(None, &odd, true, MetaDigest::Sha256),
            Err(UploadError::ContentType)
        );
        assert!(meta_json(
            None,
            &Upload::new("图片.png", &b"x"[..]),
            true,
            MetaDigest::Sha256
        )
        .is_ok());
    }

    #[test]
    fn the_body_is_the_two_parts_around_one_boundary() {
        let upload = Upload::new("a.PNG", &b"\x89PNG\r\n"[..]);
        let (body, content_type) = encode(b"{}", &upload);
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap();
        let mut expected = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n{{}}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.PNG\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .into_bytes();
        expected.extend_from_slice(b"\x89PNG\r\n");
        expected.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        assert_eq!(&body[..], &expected[..]);
    }

    #[test]
    fn the_largest_limit_reads_to_the_end_without_overflow() {
        let ok = Upload::read("a.bin", &[7u8; 10][..], usize::MAX).unwrap();
        assert_eq!(ok.content().len(), 10);
        assert_eq!(past(usize::MAX), u64::MAX);
        assert_eq!(past(10), 11);
    }

    #[tokio::test]
    async fn the_largest_limit_reads_to_the_end_without_overflow_async() {
        let ok = Upload::read_async("a.bin", &[7u8; 10][..], usize::MAX)
            .await
            .unwrap();
        assert_eq!(ok.content().len(), 10);
    }

    #[test]
    fn reading_stops_past_the_limit() {
        let err = Upload::read("a.bin", &[0u8; 11][..], 10).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::FileTooLarge);
        let ok = Upload::read("a.bin", &[7u8; 10][..], 10).unwrap();
        assert_eq!(ok.content().len(), 10);
        assert!(!format!("{ok:?}").contains('7'));
    }
}
