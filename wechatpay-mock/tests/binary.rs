//! The `wechatpay-mock` binary: its limit flags reach the server, and bad flags are refused
//! with the usage line.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

/// Starts the binary with `args`, returns it and its `host:port`. Its output is drained in the
/// background, so that printing never fails.
fn start(args: &[&str]) -> (std::process::Child, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wechatpay-mock"))
        .args(args)
        .arg("--credentials-dir")
        .arg(dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut first).unwrap();
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let url = first
        .trim()
        .strip_prefix("# wechatpay-mock listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .to_owned();
    (child, url)
}

#[test]
fn the_body_limit_flag_reaches_the_server() {
    let (mut child, addr) = start(&["--port", "0", "--max-body-bytes", "100"]);
    let mut stream = TcpStream::connect(&addr).unwrap();
    let body = vec![b'a'; 200];
    write!(
        stream,
        "POST /v3/x HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    stream.write_all(&body).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

#[test]
fn bad_flags_are_refused_with_the_usage() {
    for args in [
        &["--max-body-bytes", "0"][..],
        &["--idle-timeout-secs", "soon"],
        &["--unknown"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_wechatpay-mock"))
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("usage: wechatpay-mock"), "{err}");
    }
}

#[test]
fn a_spec_folder_without_spec_files_is_refused() {
    let empty = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wechatpay-mock"))
        .args(["--port", "0", "--spec"])
        .arg(empty.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no spec files (*.yaml, *.yml) in"), "{err}");
}
