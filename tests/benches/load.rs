//! Load benchmark: drives requests through the client against the mock over loopback.
//!
//! - The floor, measured in the same run: one RSA sign + one RSA verify + one loopback HTTP round
//!   trip that does no work.
//! - The client's cost per request: wall time of sequential typed calls minus the time the mock
//!   spent handling them (its own signature check and signing), so that the figure is ours.
//! - Both in two set-ups. In the first, client, mock and bare server share one thread, so no thread
//!   ever waits idle for another. In the second, the platform runs on a thread of its own, as it
//!   would in production. On a VM, waking an idle vCPU costs about 100 µs each way. A back-to-back ping
//!   never pays that; a real call pays it twice. So the second set-up also measures the round trip
//!   with a real call's idle pattern.
//! - Throughput with 16 requests in flight, and resident memory over 100,000 requests.
//!
//! `cargo bench -p wechatpay-tests --bench load` (set `LOAD_REQUESTS` to change the 100,000).

use std::time::{Duration, Instant};

use wechatpay_api::webank_audit_result::{
    AuditResult, NotifyAuditResult, NotifyAuditResultRequired,
};
use wechatpay_api::{Client, PrivateKey};
use wechatpay_mock::MockPlatform;

const SEQUENTIAL: u32 = 2_000;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn op() -> NotifyAuditResult {
    NotifyAuditResult::new(NotifyAuditResultRequired {
        out_request_no: "htozr8denqegbt6tk6u10iymo7yww5pn".into(),
        mchid: "1900016681".into(),
        audit_result: AuditResult::Pass,
    })
    .with_attach_info("updateidcard")
}

fn spin(d: Duration) {
    let until = Instant::now() + d;
    while Instant::now() < until {
        std::hint::spin_loop();
    }
}

/// Answers `{}` at once; `/think/<µs>` stays busy that long first, as a server that works does.
async fn serve_bare(listener: tokio::net::TcpListener) {
    while let Ok((stream, _)) = listener.accept().await {
        tokio::spawn(async move {
            let service = hyper::service::service_fn(
                |req: hyper::Request<hyper::body::Incoming>| async move {
                    if let Some(us) = req
                        .uri()
                        .path()
                        .strip_prefix("/think/")
                        .and_then(|s| s.parse::<u64>().ok())
                    {
                        spin(Duration::from_micros(us));
                    }
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(
                        http_body_util::Full::new(bytes::Bytes::from_static(b"{}")),
                    ))
                },
            );
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The bare server on the current runtime.
async fn bare_server_here() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(serve_bare(listener));
    url
}

/// The bare server on a runtime thread of its own, like the mock's.
fn bare_server_thread() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            serve_bare(tokio::net::TcpListener::from_std(listener).unwrap()).await
        });
    });
    url
}

/// Mean time of a sequential GET, after a warm-up; `before` runs ahead of each request.
async fn round_trip(http: &reqwest::Client, url: &str, before: impl Fn()) -> Duration {
    for _ in 0..100 {
        http.get(url).send().await.unwrap().bytes().await.unwrap();
    }
    let t = Instant::now();
    for _ in 0..SEQUENTIAL {
        before();
        http.get(url).send().await.unwrap().bytes().await.unwrap();
    }
    t.elapsed() / SEQUENTIAL
}

/// Mean wall time of a typed call, and the mock's own handling time per call.
async fn calls(client: &Client, mock: &MockPlatform) -> (Duration, Duration) {
    for _ in 0..100 {
        client.execute(&op()).await.unwrap();
    }
    let (n0, s0) = mock.handling_time();
    let t = Instant::now();
    for _ in 0..SEQUENTIAL {
        client.execute(&op()).await.unwrap();
    }
    let wall = t.elapsed() / SEQUENTIAL;
    let (n1, s1) = mock.handling_time();
    (wall, (s1 - s0) / (n1 - n0) as u32)
}

struct Setup {
    bare_rtt: Duration,
    mock_rtt: Duration,
    wall: Duration,
    server: Duration,
}

async fn setup(http: &reqwest::Client, bare: &str, mock: &MockPlatform) -> Setup {
    let client = mock
        .credentials()
        .client_builder(mock.base_url())
        .unwrap()
        .build()
        .unwrap();
    // An unknown path answers 404 at once, with no signature work: the round trip through the
    // mock's own HTTP stack.
    let ping = format!("{}/v3/load-bench-ping", mock.base_url());
    let bare_rtt = round_trip(http, bare, || {}).await;
    let mock_rtt = round_trip(http, &ping, || {}).await;
    let (wall, server) = calls(&client, mock).await;
    Setup {
        bare_rtt,
        mock_rtt,
        wall,
        server,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let total: u64 = std::env::var("LOAD_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);

    let key = PrivateKey::generate(Default::default()).unwrap();
    let public = key.public_key().unwrap();
    let message = vec![b'x'; 300];
    let signature = key.sign_sha256(&message).unwrap();
    let t = Instant::now();
    for _ in 0..SEQUENTIAL {
        std::hint::black_box(key.sign_sha256(&message).unwrap());
    }
    let sign = t.elapsed() / SEQUENTIAL;
    let t = Instant::now();
    for _ in 0..SEQUENTIAL {
        assert!(public.verify_sha256(&message, &signature));
    }
    let verify = t.elapsed() / SEQUENTIAL;
    let http = reqwest::Client::new();

    let here = MockPlatform::builder()
        .log_requests(false)
        .start_on_current_runtime()
        .unwrap();
    let one = setup(&http, &bare_server_here().await, &here).await;
    drop(here);

    let mock = MockPlatform::builder().log_requests(false).start().unwrap();
    let bare = bare_server_thread();
    let two = setup(&http, &bare, &mock).await;
    // The round trip with the idle pattern of a real call: the client busy for one sign before
    // sending (the server idles), then the server busy for the mock's handling time (the client
    // idles). The busy time itself is subtracted.
    let think = format!("{bare}think/{}", two.server.as_micros());
    let idle_rtt = round_trip(&http, &think, || spin(sign))
        .await
        .saturating_sub(sign + two.server);

    // Throughput and memory, 16 in flight, against the mock on its own thread.
    let client = mock
        .credentials()
        .client_builder(mock.base_url())
        .unwrap()
        .build()
        .unwrap();
    let rss_start = rss_kib();
    let t = Instant::now();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let client = client.clone();
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            while done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < total {
                client.execute(&op()).await.unwrap();
            }
        }));
    }
    let watcher = tokio::spawn({
        let done = done.clone();
        async move {
            let mut marks = Vec::new();
            let mut next = total / 10;
            while done.load(std::sync::atomic::Ordering::Relaxed) < total {
                if done.load(std::sync::atomic::Ordering::Relaxed) >= next {
                    marks.push((next, rss_kib()));
                    next += total / 10;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            marks
        }
    });
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = t.elapsed();
    let marks = watcher.await.unwrap();
    let rss_end = rss_kib();

    let us = |d: Duration| format!("{:.1} µs", d.as_secs_f64() * 1e6);
    let ratio = |a: Duration, b: Duration| format!("{:.2}x", a.as_secs_f64() / b.as_secs_f64());
    let floor = |s: &Setup| sign + verify + s.mock_rtt;
    let ours = |s: &Setup| s.wall.saturating_sub(s.server);
    println!("| measure (per request) | one thread | platform on its own thread |");
    println!("|---|---:|---:|");
    println!("| RSA sign | {} | {} |", us(sign), us(sign));
    println!("| RSA verify | {} | {} |", us(verify), us(verify));
    println!(
        "| bare loopback HTTP round trip | {} | {} |",
        us(one.bare_rtt),
        us(two.bare_rtt)
    );
    println!(
        "| round trip through the mock's HTTP stack (404, no crypto) | {} | {} |",
        us(one.mock_rtt),
        us(two.mock_rtt)
    );
    println!(
        "| **floor** (sign + verify + the mock's round trip) | {} | {} |",
        us(floor(&one)),
        us(floor(&two))
    );
    println!(
        "| typed call, wall time | {} | {} |",
        us(one.wall),
        us(two.wall)
    );
    println!(
        "| of which the mock's own handling | {} | {} |",
        us(one.server),
        us(two.server)
    );
    println!(
        "| **client cost** (wall - mock) | {} | {} |",
        us(ours(&one)),
        us(ours(&two))
    );
    println!(
        "| **client cost / floor** | {} | {} |",
        ratio(ours(&one), floor(&one)),
        ratio(ours(&two), floor(&two))
    );
    println!(
        "| round trip with the idle pattern of a real call (busy time subtracted) | - | {} |",
        us(idle_rtt)
    );
    println!(
        "| client cost / floor with that round trip | - | {} |",
        ratio(ours(&two), sign + verify + idle_rtt)
    );
    println!();
    println!(
        "throughput: {total} requests, 16 in flight: {:.0} requests/s",
        total as f64 / elapsed.as_secs_f64()
    );
    let marks: Vec<String> = marks
        .iter()
        .map(|(n, kib)| format!("{}k: {} MiB", n / 1000, kib / 1024))
        .collect();
    println!(
        "resident memory: start {} MiB; {}; end {} MiB",
        rss_start / 1024,
        marks.join(", "),
        rss_end / 1024
    );
}
