//! Connections: through an HTTP proxy only when one is configured (never from the environment),
//! and no failed call after idle periods longer than the platform keeps connections open.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{audit, mock};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use wechatpay_mock::MockPlatform;

/// A forward HTTP proxy on loopback: it records each request line it relays.
async fn proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if inbound.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let text = String::from_utf8_lossy(&head).into_owned();
                let line = text.lines().next().unwrap_or_default().to_owned();
                // `POST http://127.0.0.1:1234/v3/… HTTP/1.1`: the absolute form names the origin.
                let authority = line
                    .split(' ')
                    .nth(1)
                    .and_then(|uri| uri.strip_prefix("http://"))
                    .and_then(|rest| rest.split('/').next())
                    .unwrap_or_default()
                    .to_owned();
                log.lock().unwrap().push(line);
                let Ok(mut outbound) = tokio::net::TcpStream::connect(authority).await else {
                    return;
                };
                if outbound.write_all(&head).await.is_ok() {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (url, seen)
}

fn client_via(mock: &MockPlatform, proxy: Option<&str>) -> wechatpay_api::Client {
    let builder = mock.credentials().client_builder(mock.base_url()).unwrap();
    match proxy {
        Some(url) => builder.proxy(url),
        None => builder,
    }
    .build()
    .unwrap()
}

#[tokio::test]
async fn a_proxy_is_used_when_configured_and_never_from_the_environment() {
    let mock = mock();
    let (url, seen) = proxy().await;
    // The environment names the proxy too: a client without `proxy` ignores it.
    std::env::set_var("HTTP_PROXY", &url);
    std::env::set_var("http_proxy", &url);
    client_via(&mock, None).execute(&audit()).await.unwrap();
    assert!(
        seen.lock().unwrap().is_empty(),
        "{:?}",
        seen.lock().unwrap()
    );

    client_via(&mock, Some(&url))
        .execute(&audit())
        .await
        .unwrap();
    let lines = seen.lock().unwrap().clone();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!("POST {}/v3/", mock.base_url())),
        "{lines:?}"
    );
    // Both calls reached the platform, signed as sent.
    assert!(mock.requests().iter().all(|r| r.authenticated));
    assert_eq!(mock.requests().len(), 2);

    // A proxy URL the transport cannot use fails `build`, naming no credential.
    let bad = mock
        .credentials()
        .client_builder(mock.base_url())
        .unwrap()
        .proxy("http://user:secret@[::1")
        .build();
    let err = bad.expect_err("refused");
    assert!(!format!("{err} {err:?}").contains("secret"), "{err:?}");
}

#[tokio::test]
async fn idle_connections_are_dropped_before_the_platform_would_close_them() {
    // The proxy counts connections: a new one is a request line on a new connection.
    let mock = mock();
    let (url, seen) = proxy().await;
    let client = |idle: Duration| {
        mock.credentials()
            .client_builder(mock.base_url())
            .unwrap()
            .proxy(&url)
            .pool_idle_timeout(idle)
            .build()
            .unwrap()
    };
    // Kept idle no longer than 200 ms: after 400 ms, the next call opens a new connection.
    let short = client(Duration::from_millis(200));
    for _ in 0..3 {
        short.execute(&audit()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert_eq!(seen.lock().unwrap().len(), 3, "one connection per call");
    // Kept longer: the same idle periods reuse one connection (what a stale pool would do to
    // a connection the platform had closed at 8 s).
    seen.lock().unwrap().clear();
    let long = client(Duration::from_secs(30));
    for _ in 0..3 {
        long.execute(&audit()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "one connection for all calls"
    );
    assert_eq!(mock.requests().len(), 6);
}
