//! The mock's limits over real HTTP on loopback: body and header sizes, idle connections,
//! extreme timestamps, and serving many clients while idle connections are held open.

mod common;

use std::time::Duration;

use common::*;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use wechatpay_mock::MockPlatform;

const AUDIT_PATH: &str = "/v3/aggracct-bc/wb-channel/control-orders/info/update/result/notify";

fn addr(mock: &MockPlatform) -> &str {
    mock.base_url().trim_start_matches("http://")
}

/// Sends `head` then `body` on a fresh connection while reading the answer, and returns what
/// was read before the mock closed the connection (or reset it, or 10 s passed).
async fn exchange(mock: &MockPlatform, head: String, body: Vec<u8>) -> String {
    let stream = TcpStream::connect(addr(mock)).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let writer = tokio::spawn(async move {
        // The mock may answer and close before all of it is sent.
        if write.write_all(head.as_bytes()).await.is_ok() {
            let _ = write.write_all(&body).await;
        }
        write
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(n @ 1..) = read.read(&mut buf).await {
            answer.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    drop(writer.await);
    String::from_utf8_lossy(&answer).into_owned()
}

fn post_head(mock: &MockPlatform, framing: &str) -> String {
    format!(
        "POST {AUDIT_PATH} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n\
         User-Agent: test\r\nContent-Type: application/json\r\n{framing}\r\n",
        addr(mock)
    )
}

/// A body past the default limit (8 MiB), with `Content-Length` and chunked.
const NINE_MIB: usize = 9 * 1024 * 1024;

#[tokio::test]
async fn a_body_over_the_limit_gets_413_and_the_mock_keeps_serving() {
    let mock = mock();
    // Declared: refused by its Content-Length, before the body is read.
    let head = post_head(&mock, &format!("Content-Length: {NINE_MIB}\r\n"));
    let answer = exchange(&mock, head, vec![b'a'; NINE_MIB]).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer:.200}");
    assert!(
        answer.contains(r#""code":"REQUEST_ENTITY_TOO_LARGE""#),
        "{answer}"
    );
    // Chunked: refused once the bytes read pass the limit.
    let mut chunked = Vec::new();
    for _ in 0..NINE_MIB / (64 * 1024) {
        chunked.extend_from_slice(format!("{:x}\r\n", 64 * 1024).as_bytes());
        chunked.extend_from_slice(&[b'a'; 64 * 1024]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let head = post_head(&mock, "Transfer-Encoding: chunked\r\n");
    let answer = exchange(&mock, head, chunked).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer:.200}");
    assert!(answer.contains("REQUEST_ENTITY_TOO_LARGE"), "{answer}");
    // Still serving, and the refusals are in the log.
    client(&mock).execute(&audit()).await.unwrap();
    let statuses: Vec<u16> = mock.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [413, 413, 200]);
}

#[tokio::test]
async fn the_body_limit_is_configurable() {
    let mock = MockPlatform::builder().max_body_bytes(64).start().unwrap();
    let err = client(&mock).execute(&audit()).await.unwrap_err();
    assert!(
        err.to_string().contains("REQUEST_ENTITY_TOO_LARGE"),
        "{err}"
    );
    // At the limit exactly is fine: the mock goes on to check the signature.
    let head = post_head(&mock, "Content-Length: 64\r\n");
    let answer = exchange(&mock, head, vec![b'a'; 64]).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer:.200}");
}

#[tokio::test]
async fn a_header_block_over_the_limit_is_refused() {
    let mock = mock();
    let head = format!(
        "GET /v3/certificates HTTP/1.1\r\nHost: {}\r\nX-Big: {}\r\n\r\n",
        addr(&mock),
        "a".repeat(100 * 1024)
    );
    let answer = exchange(&mock, head, Vec::new()).await;
    // 431, or the connection closed without an answer.
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "{answer:.200}"
    );
    client(&mock).execute(&audit()).await.unwrap();
}

/// Reads until the mock closes the connection; `false` if it is still open after `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(wait, async {
        // An answer (408) may come first; then the end of the stream or a reset.
        while let Ok(1..) = stream.read(&mut buf).await {}
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let mock = MockPlatform::builder()
        .idle_timeout(Duration::from_millis(300))
        .start()
        .unwrap();
    // Sends nothing at all.
    let mut idle = TcpStream::connect(addr(&mock)).await.unwrap();
    // Stalls mid-head.
    let mut mid_head = TcpStream::connect(addr(&mock)).await.unwrap();
    mid_head
        .write_all(b"GET /v3/certificates HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Stalls mid-body.
    let mut mid_body = TcpStream::connect(addr(&mock)).await.unwrap();
    mid_body
        .write_all(post_head(&mock, "Content-Length: 100\r\n").as_bytes())
        .await
        .unwrap();
    mid_body.write_all(b"{\"a\":").await.unwrap();
    for (name, stream) in [
        ("idle", &mut idle),
        ("mid-head", &mut mid_head),
        ("mid-body", &mut mid_body),
    ] {
        assert!(
            closed_within(stream, Duration::from_secs(10)).await,
            "{name}"
        );
    }
    client(&mock).execute(&audit()).await.unwrap();
}

#[tokio::test]
async fn extreme_timestamps_get_401_sign_error() {
    let mock = mock();
    let creds = mock.credentials().credentials().unwrap();
    let body = audit_body();
    let send = |auth: String| {
        let url = format!("{}{AUDIT_PATH}", mock.base_url());
        let body = body.clone();
        async move {
            let r = reqwest::Client::new()
                .post(url)
                .header("Authorization", auth)
                .header("Accept", "application/json")
                .header("User-Agent", "test")
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    for timestamp in [i64::MIN, i64::MAX] {
        let auth = creds
            .authorization("POST", AUDIT_PATH, body.as_bytes(), timestamp, "nonce")
            .await
            .unwrap();
        assert!(
            auth.contains(&format!("timestamp=\"{timestamp}\"")),
            "{auth}"
        );
        let (status, text) = send(auth).await;
        assert_eq!(status, 401, "{timestamp}: {text}");
        assert!(text.contains("SIGN_ERROR"), "{text}");
    }
    // Beyond i64 too.
    let auth = creds
        .authorization("POST", AUDIT_PATH, body.as_bytes(), 0, "nonce")
        .await
        .unwrap()
        .replace("timestamp=\"0\"", "timestamp=\"99999999999999999999\"");
    let (status, text) = send(auth).await;
    assert_eq!(status, 401, "{text}");
    assert!(text.contains("SIGN_ERROR"), "{text}");
    client(&mock).execute(&audit()).await.unwrap();
}

fn audit_body() -> String {
    r#"{"out_request_no":"x","mchid":"1900016681","audit_result":"PASS"}"#.to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_64_clients_while_200_idle_connections_are_held() {
    let mock = MockPlatform::builder()
        .log_requests(false)
        // Longer than the test, so the idle connections stay open throughout.
        .idle_timeout(Duration::from_secs(300))
        .start()
        .unwrap();
    let mut idle = Vec::new();
    for _ in 0..200 {
        idle.push(TcpStream::connect(addr(&mock)).await.unwrap());
    }
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let client = client(&mock);
            tokio::spawn(async move {
                for _ in 0..20 {
                    client.execute(&audit()).await.unwrap();
                }
            })
        })
        .collect();
    let finished = tokio::time::timeout(Duration::from_secs(120), async {
        for task in tasks {
            task.await.unwrap();
        }
    })
    .await;
    assert!(finished.is_ok(), "1,280 calls within 120 s");
    assert_eq!(mock.handling_time().0, 64 * 20);
    // The idle connections were held open all along.
    let mut buf = [0u8; 1];
    for stream in &mut idle {
        assert!(
            stream.try_read(&mut buf).is_err(),
            "still open, nothing sent"
        );
    }
}

#[tokio::test]
async fn the_request_log_is_bounded_and_keeps_no_unauthenticated_body() {
    let mock = MockPlatform::builder()
        .request_log_limits(3, 1024 * 1024)
        .start()
        .unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}{AUDIT_PATH}", mock.base_url());
    // Unsigned: answered 401, logged without its body.
    let big = vec![b'x'; 256 * 1024];
    let answer = http.post(&url).body(big).send().await.unwrap();
    assert_eq!(answer.status(), 401);
    let logged = mock.requests();
    assert_eq!(logged.len(), 1);
    assert!(!logged[0].authenticated && logged[0].body.is_empty());
    // Signed: kept with its body; only the newest three are kept.
    let client = client(&mock);
    for _ in 0..4 {
        client.execute(&audit()).await.unwrap();
    }
    let logged = mock.requests();
    assert_eq!(logged.len(), 3);
    assert!(logged.iter().all(|r| r.authenticated && !r.body.is_empty()));
    // A byte budget smaller than one body keeps nothing of it.
    let tight = MockPlatform::builder()
        .request_log_limits(100, 16)
        .start()
        .unwrap();
    common::client(&tight).execute(&audit()).await.unwrap();
    assert!(tight.requests().is_empty());
}

#[tokio::test]
async fn a_fault_named_by_an_unsigned_request_is_ignored() {
    let mock = mock();
    let http = reqwest::Client::new();
    let url = format!("{}{AUDIT_PATH}", mock.base_url());
    for fault in [
        "connection-reset",
        "slow:18446744073709551615",
        "system-error",
    ] {
        let sent = http
            .post(&url)
            .header("X-Mock-Fault", fault)
            .body("{}")
            .send();
        // Honoured, the slow fault would hold the connection for ever: a bound on waiting,
        // far above the mock's answer time, turns that into a failure.
        let answer = tokio::time::timeout(Duration::from_secs(60), sent)
            .await
            .unwrap_or_else(|_| panic!("{fault} was honoured"))
            .unwrap_or_else(|e| panic!("{fault}: {e}"));
        // Honoured, a reset gives no answer and a system error 500.
        assert_eq!(answer.status(), 401, "{fault}");
    }
    // From the merchant, a named slow fault is cut to the documented cap.
    assert_eq!(
        wechatpay_mock::Fault::from_name("slow:18446744073709551615"),
        Some(wechatpay_mock::Fault::Slow(wechatpay_mock::Fault::MAX_SLOW))
    );
}
