//! Load benchmark: drives requests through the client against the mock over loopback.
//!
//! - The floor, measured in the same run: one RSA sign + one RSA verify + one bare loopback HTTP
//!   round trip (reqwest against a server that answers at once).
//! - The client's cost per request: wall time of sequential typed calls minus the time the mock
//!   spent handling them (its own signature check and signing), so that the figure is ours.
//! - Throughput with 16 requests in flight, and resident memory over 100,000 requests.
//!
//! `cargo bench -p wechatpay-tests --bench load` (set `LOAD_REQUESTS` to change the 100,000).

use std::time::{Duration, Instant};

use wechatpay_api::webank_audit_result::{
    AuditResult, NotifyAuditResult, NotifyAuditResultRequest,
};
use wechatpay_api::PrivateKey;
use wechatpay_mock::MockPlatform;

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
    NotifyAuditResult::new(
        NotifyAuditResultRequest::new(
            "htozr8denqegbt6tk6u10iymo7yww5pn",
            "1900016681",
            AuditResult::Pass,
        )
        .with_attach_info("updateidcard"),
    )
}

/// A server that answers at once, on a runtime thread of its own like the mock's, so that the
/// two round trips pay the same cross-thread wake-ups.
fn bare_server() -> String {
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
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(
                        |req: hyper::Request<hyper::body::Incoming>| async move {
                            // `/think/<µs>`: stay busy that long before answering, as a server that works does.
                            if let Some(us) = req
                                .uri()
                                .path()
                                .strip_prefix("/think/")
                                .and_then(|s| s.parse::<u64>().ok())
                            {
                                let until = Instant::now() + Duration::from_micros(us);
                                while Instant::now() < until {
                                    std::hint::spin_loop();
                                }
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
        });
    });
    url
}

fn per(total: Duration, n: u32) -> Duration {
    total / n
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let sequential: u32 = 2_000;
    let total: u64 = std::env::var("LOAD_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);

    // The floor.
    let key = PrivateKey::generate(Default::default()).unwrap();
    let public = key.public_key().unwrap();
    let message = vec![b'x'; 300];
    let signature = key.sign_sha256(&message).unwrap();
    let t = Instant::now();
    for _ in 0..sequential {
        std::hint::black_box(key.sign_sha256(&message).unwrap());
    }
    let sign = per(t.elapsed(), sequential);
    let t = Instant::now();
    for _ in 0..sequential {
        assert!(public.verify_sha256(&message, &signature));
    }
    let verify = per(t.elapsed(), sequential);
    let bare = bare_server();
    let http = reqwest::Client::new();
    for _ in 0..100 {
        http.get(&bare).send().await.unwrap().bytes().await.unwrap();
    }
    let t = Instant::now();
    for _ in 0..sequential {
        http.get(&bare).send().await.unwrap().bytes().await.unwrap();
    }
    let rtt = per(t.elapsed(), sequential);

    // The client, sequentially.
    let mock = MockPlatform::builder().log_requests(false).start().unwrap();
    // The same round trip through the mock's own HTTP stack: an unknown path answers 404 at
    // once, with no signature work. This is the round trip of the floor, so that the mock's
    // request parsing and answer writing (outside the handling time it reports) count as the
    // server's and not as the client's.
    let ping = format!("{}/v3/load-bench-ping", mock.base_url());
    for _ in 0..100 {
        http.get(&ping).send().await.unwrap().bytes().await.unwrap();
    }
    let t = Instant::now();
    for _ in 0..sequential {
        http.get(&ping).send().await.unwrap().bytes().await.unwrap();
    }
    let mock_rtt = per(t.elapsed(), sequential);
    let floor = sign + verify + mock_rtt;
    let client = mock
        .credentials()
        .client_builder(mock.base_url())
        .unwrap()
        .build()
        .unwrap();
    for _ in 0..100 {
        client.execute(&op()).await.unwrap();
    }
    let (n0, s0) = mock.handling_time();
    let t = Instant::now();
    for _ in 0..sequential {
        client.execute(&op()).await.unwrap();
    }
    let wall = per(t.elapsed(), sequential);
    let (n1, s1) = mock.handling_time();
    let server = (s1 - s0) / (n1 - n0) as u32;
    let ours = wall - server;

    // The same bare round trip with the idle pattern of a real call: the client is busy for one
    // sign before sending (the server idles), then the server is busy for the mock's handling
    // time before answering (the client idles). On this VM an idle vCPU is slow to wake, which a
    // back-to-back ping never shows. The busy time itself is subtracted.
    let think = format!("{bare}think/{}", server.as_micros());
    let t = Instant::now();
    for _ in 0..sequential {
        let until = Instant::now() + sign;
        while Instant::now() < until {
            std::hint::spin_loop();
        }
        http.get(&think)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
    }
    let idle_rtt = per(t.elapsed(), sequential).saturating_sub(sign + server);
    let idle_floor = sign + verify + idle_rtt;

    // Throughput and memory, 16 in flight.
    let rss_start = rss_kib();
    let mut rss_marks = Vec::new();
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
    rss_marks.extend(watcher.await.unwrap());
    let rss_end = rss_kib();

    let us = |d: Duration| format!("{:.1} µs", d.as_secs_f64() * 1e6);
    println!("| measure | per request |");
    println!("|---|---:|");
    println!("| RSA sign | {} |", us(sign));
    println!("| RSA verify | {} |", us(verify));
    println!(
        "| bare loopback HTTP round trip (hyper, nothing else) | {} |",
        us(rtt)
    );
    println!(
        "| round trip through the mock's HTTP stack (404, no crypto) | {} |",
        us(mock_rtt)
    );
    println!(
        "| **floor** (sign + verify + the mock's round trip) | {} |",
        us(floor)
    );
    println!("| typed call, wall time | {} |", us(wall));
    println!("| of which the mock's own handling | {} |", us(server));
    println!("| **client cost** (wall - mock) | {} |", us(ours));
    println!(
        "| client cost / floor | {:.2}x |",
        ours.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "| round trip with the idle pattern of a real call (busy time subtracted) | {} |",
        us(idle_rtt)
    );
    println!("| floor with that round trip | {} |", us(idle_floor));
    println!(
        "| client cost / that floor | {:.2}x |",
        ours.as_secs_f64() / idle_floor.as_secs_f64()
    );
    println!();
    println!(
        "throughput: {total} requests, 16 in flight: {:.0} requests/s",
        total as f64 / elapsed.as_secs_f64()
    );
    let marks: Vec<String> = rss_marks
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
