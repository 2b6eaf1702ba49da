//! Every command of `wechatpay`, end to end: the built binary, run as a user runs it, against a
//! mock platform on loopback (in this process, or the binary's own `serve`), with test keys
//! made for each run. Signatures and ciphertexts are checked with `openssl` where it can.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use wechatpay_mock::MockPlatform;

/// A mock platform and a profile file pointing at it.
struct Setup {
    mock: MockPlatform,
    dir: tempfile::TempDir,
    profile: PathBuf,
}

fn setup() -> Setup {
    let mock = MockPlatform::start().expect("the mock starts");
    let dir = tempfile::tempdir().unwrap();
    let text = (mock.credentials())
        .write_profile(dir.path(), mock.base_url())
        .unwrap();
    // `write_profile` wrote the same text as `profile.env`.
    let profile = dir.path().join("profile.env");
    assert_eq!(std::fs::read_to_string(&profile).unwrap(), text);
    Setup { mock, dir, profile }
}

/// Runs `wechatpay` with `args` and `stdin`, with no `WECHATPAY_*` variable inherited.
fn wechatpay(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wechatpay"));
    command.args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("WECHATPAY_") {
            command.env_remove(name);
        }
    }
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the binary runs");
    let input = stdin.unwrap_or_default().to_vec();
    let mut pipe = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || pipe.write_all(&input));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    output
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs with the setup's profile, and expects success.
fn ok(setup: &Setup, args: &[&str]) -> String {
    let mut all = vec!["--profile", setup.profile.to_str().unwrap()];
    all.extend_from_slice(args);
    let output = wechatpay(&all, None);
    assert!(
        output.status.success(),
        "wechatpay {args:?} failed: {}",
        text(&output.stderr)
    );
    text(&output.stdout)
}

/// Runs with the setup's profile, and expects failure with `code`.
fn fails(setup: &Setup, args: &[&str], code: i32) -> String {
    let mut all = vec!["--profile", setup.profile.to_str().unwrap()];
    all.extend_from_slice(args);
    let output = wechatpay(&all, None);
    assert_eq!(output.status.code(), Some(code), "{}", text(&output.stderr));
    text(&output.stderr)
}

fn openssl(args: &[&str]) -> Output {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        text(&output.stderr)
    );
    output
}

/// The merchant's public key, as `openssl` derives it from the private key.
fn merchant_public_key(dir: &Path) -> PathBuf {
    let path = dir.join("merchant_public_key.pem");
    let key = dir.join("merchant_private_key.pem");
    openssl(&[
        "pkey",
        "-in",
        key.to_str().unwrap(),
        "-pubout",
        "-out",
        path.to_str().unwrap(),
    ]);
    path
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

#[test]
fn every_command_shows_an_example_in_its_help() {
    let commands = [
        "list",
        "show",
        "build",
        "call",
        "certificates",
        "notify",
        "encrypt",
        "decrypt",
        "serve",
    ];
    for command in commands {
        let output = wechatpay(&[command, "--help"], None);
        assert!(output.status.success());
        let help = text(&output.stdout);
        assert!(
            help.contains(&format!("Example:\n  wechatpay {command}")),
            "{command}: {help}"
        );
    }
    let top = text(&wechatpay(&["--help"], None).stdout);
    assert!(
        top.contains("WECHATPAY_MCHID") && top.contains("Examples:"),
        "{top}"
    );
}

#[test]
fn list_and_show_read_the_embedded_spec_or_a_folder() {
    let listed = text(&wechatpay(&["list", "--group", "pay-transactions"], None).stdout);
    assert!(listed.contains("jsapiPrepay") && listed.contains("/v3/pay/transactions/jsapi"));
    assert!(!listed.contains("/v3/refund/domestic/refunds"), "{listed}");
    let all = text(&wechatpay(&["list"], None).stdout);
    let api = wechatpay_spec::lower(&wechatpay_mock::embedded_spec()).unwrap();
    for op in api.operations() {
        assert!(
            all.contains(&format!(" {} ", op.id)),
            "{} not listed",
            op.id
        );
    }
    let filtered = text(&wechatpay(&["list", "--filter", "refund/domestic"], None).stdout);
    assert!(
        filtered.contains("/v3/refund/domestic/refunds"),
        "{filtered}"
    );

    let shown = text(&wechatpay(&["show", "queryOrderByOutTradeNo"], None).stdout);
    assert!(
        shown.contains("GET /v3/pay/transactions/out-trade-no/{out_trade_no}"),
        "{shown}"
    );
    assert!(shown.contains("out_trade_no") && shown.contains("path") && shown.contains("query"));
    assert!(shown.contains("example input:"), "{shown}");
    // By route as well as by id.
    let by_route = wechatpay(
        &[
            "show",
            "GET /v3/pay/transactions/out-trade-no/{out_trade_no}",
        ],
        None,
    );
    assert_eq!(text(&by_route.stdout), shown);

    // A spec folder given with --spec replaces the built-in one.
    let spec = tempfile::tempdir().unwrap();
    for file in ["common.yaml", "goldplan.yaml"] {
        let from = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../spec")
            .join(file);
        std::fs::copy(from, spec.path().join(file)).unwrap();
    }
    let output = wechatpay(&["--spec", spec.path().to_str().unwrap(), "list"], None);
    let only = text(&output.stdout);
    assert!(
        only.contains("/v3/goldplan/merchants/changegoldplanstatus")
            && !only.contains("jsapiPrepay"),
        "{only}"
    );

    let unknown = wechatpay(&["show", "queryOrder"], None);
    assert_eq!(unknown.status.code(), Some(2));
    let message = text(&unknown.stderr);
    assert!(
        message.contains("did you mean") && message.contains("queryOrderById"),
        "{message}"
    );
    let group = wechatpay(&["list", "--group", "no-such-line"], None);
    assert_eq!(group.status.code(), Some(2));
}

#[test]
fn build_signs_without_sending_and_openssl_verifies_the_signature() {
    let s = setup();
    let mchid = &s.mock.credentials().mchid;
    let input = format!(r#"{{"out_trade_no":"CLI-BUILD-1","mchid":"{mchid}"}}"#);
    let out = ok(&s, &["build", "closeOrder", "--json", &input]);
    assert!(
        s.mock.last_request("closeOrder").is_none(),
        "build sent the request"
    );

    // The signed message as printed: five lines, the body last.
    let message_part = out.split("# the request\n").next().unwrap();
    let message = message_part.split_once('\n').unwrap().1;
    let lines: Vec<&str> = message.split('\n').collect();
    assert_eq!(lines[0], "POST");
    assert_eq!(
        lines[1],
        "/v3/pay/transactions/out-trade-no/CLI-BUILD-1/close"
    );
    assert_eq!(lines[4], format!(r#"{{"mchid":"{mchid}"}}"#));
    let authorization = (out.lines())
        .find_map(|l| l.strip_prefix("authorization: "))
        .expect("an Authorization header");
    assert!(authorization.contains(&format!("timestamp=\"{}\"", lines[2])));
    assert!(authorization.contains(&format!("nonce_str=\"{}\"", lines[3])));
    let signature = authorization
        .split("signature=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();

    // openssl checks the signature over the printed message with the merchant's public key.
    let dir = s.dir.path();
    let signed = message[..message.len() - 1].to_owned();
    let sig = dir.join("signature");
    std::fs::write(&sig, base64_decode(signature)).unwrap();
    let public = merchant_public_key(dir);
    let verifies = |bytes: &str| {
        let path = dir.join("message");
        std::fs::write(&path, bytes).unwrap();
        Command::new("openssl")
            .args(["dgst", "-sha256", "-verify", public.to_str().unwrap()])
            .args(["-signature", sig.to_str().unwrap(), path.to_str().unwrap()])
            .output()
            .unwrap()
            .status
            .success()
    };
    assert!(
        verifies(&signed),
        "openssl refused the signature over {signed:?}"
    );
    // The same check fails on a message one byte off.
    assert!(!verifies(&signed.replace("CLI-BUILD-1", "CLI-BUILD-2")));
}

fn base64_decode(text: &str) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(["base64", "-d", "-A"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap().stdout
}

#[test]
fn call_validates_sends_verifies_and_prints_the_answer() {
    let s = setup();
    let mchid = s.mock.credentials().mchid.clone();
    let order = format!(
        r#"{{"appid":"wxd678efh567hg6787","mchid":"{mchid}","description":"CLI","out_trade_no":"CLI-CALL-1","notify_url":"https://example.com/notify","amount":{{"total":100}},"payer":{{"openid":"o-cli"}}}}"#
    );
    let placed = json(&ok(&s, &["call", "jsapiPrepay", "--json", &order]));
    assert!(
        placed["prepay_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{placed}"
    );

    let query = format!(r#"{{"out_trade_no":"CLI-CALL-1","mchid":"{mchid}"}}"#);
    let found = json(&ok(
        &s,
        &["call", "queryOrderByOutTradeNo", "--json", &query],
    ));
    assert_eq!(found["out_trade_no"], "CLI-CALL-1");
    assert_eq!(found["trade_state"], "NOTPAY");

    // The input read from standard input, through --input -.
    let mut args = vec!["--profile", s.profile.to_str().unwrap()];
    args.extend(["call", "queryOrderByOutTradeNo", "--input", "-"]);
    let piped = wechatpay(&args, Some(query.as_bytes()));
    assert!(piped.status.success(), "{}", text(&piped.stderr));
    assert_eq!(json(&text(&piped.stdout))["out_trade_no"], "CLI-CALL-1");

    // An input the schema refuses never leaves the machine: exit 2, naming the field.
    let before = s.mock.requests().len();
    let missing = fails(
        &s,
        &[
            "call",
            "queryOrderByOutTradeNo",
            "--json",
            r#"{"out_trade_no":"CLI-XXXXXX"}"#,
        ],
        2,
    );
    assert!(
        missing.contains("query.mchid") && missing.contains("required"),
        "{missing}"
    );
    let long = format!(
        r#"{{"out_trade_no":"{}","mchid":"{mchid}"}}"#,
        "9".repeat(40)
    );
    let too_long = fails(&s, &["call", "queryOrderByOutTradeNo", "--json", &long], 2);
    assert!(too_long.contains("path.out_trade_no"), "{too_long}");
    let unknown = fails(
        &s,
        &[
            "call",
            "queryOrderByOutTradeNo",
            "--json",
            r#"{"mchid":"1","typo":1,"out_trade_no":"CLI-XXXXXX"}"#,
        ],
        2,
    );
    assert!(unknown.contains("`typo`"), "{unknown}");
    assert_eq!(s.mock.requests().len(), before, "a refused input was sent");

    // The platform's refusal: exit 1 with its code.
    let absent = format!(r#"{{"out_trade_no":"CLI-NEVER-PLACED","mchid":"{mchid}"}}"#);
    let refused = fails(
        &s,
        &["call", "queryOrderByOutTradeNo", "--json", &absent],
        1,
    );
    assert!(refused.contains("ORDER_NOT_EXIST"), "{refused}");
}

#[test]
fn certificates_are_downloaded_verified_and_saved() {
    let s = setup();
    let out_dir = s.dir.path().join("certs");
    let out = ok(&s, &["certificates", "--out", out_dir.to_str().unwrap()]);
    let creds = s.mock.credentials();
    assert!(out.contains(&creds.platform_certificate_serial), "{out}");
    let saved =
        std::fs::read_to_string(out_dir.join(format!("{}.pem", creds.platform_certificate_serial)))
            .unwrap();
    assert_eq!(saved.trim(), creds.platform_certificate_pem.trim());
    // What was saved is a certificate openssl reads, with that serial.
    let serial = openssl(&[
        "x509",
        "-noout",
        "-serial",
        "-in",
        out_dir
            .join(format!("{}.pem", creds.platform_certificate_serial))
            .to_str()
            .unwrap(),
    ]);
    assert!(text(&serial.stdout)
        .trim()
        .eq_ignore_ascii_case(&format!("serial={}", creds.platform_certificate_serial)));

    // Without a public key configured, the first download is verified by the listed certificate.
    let profile = std::fs::read_to_string(&s.profile).unwrap();
    let certificates_only: String = (profile.lines())
        .filter(|l| !l.contains("PUBLIC_KEY"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&s.profile, certificates_only).unwrap();
    let out = ok(&s, &["certificates"]);
    assert!(
        out.contains(&creds.platform_certificate_serial) && out.contains("verified"),
        "{out}"
    );
}

/// A notification as captured: its headers, an empty line, its body.
fn captured(n: &wechatpay_mock::SignedNotification) -> Vec<u8> {
    let mut bytes = b"POST /wechatpay/notify HTTP/1.1\r\n".to_vec();
    for (name, value) in &n.headers {
        bytes.extend_from_slice(format!("{}: {}\r\n", name, value.to_str().unwrap()).as_bytes());
    }
    bytes.extend_from_slice(b"\r\n");
    bytes.extend_from_slice(&n.body);
    bytes
}

#[test]
fn notify_verifies_and_decrypts_a_notification_from_a_file_or_standard_input() {
    let s = setup();
    let mchid = s.mock.credentials().mchid.clone();
    let order = format!(
        r#"{{"appid":"wxd678efh567hg6787","mchid":"{mchid}","description":"CLI","out_trade_no":"CLI-NOTIFY-1","notify_url":"https://example.com/notify","amount":{{"total":100}},"payer":{{"openid":"o-cli"}}}}"#
    );
    ok(&s, &["call", "jsapiPrepay", "--json", &order]);
    let notification = s.mock.pay("CLI-NOTIFY-1").expect("the order is paid");
    let file = s.dir.path().join("notification.http");
    std::fs::write(&file, captured(&notification)).unwrap();

    let opened = json(&ok(&s, &["notify", file.to_str().unwrap()]));
    assert_eq!(opened["event_type"], "TRANSACTION.SUCCESS");
    assert_eq!(opened["resource"]["out_trade_no"], "CLI-NOTIFY-1");
    assert_eq!(opened["resource"]["trade_state"], "SUCCESS");

    let args = ["--profile", s.profile.to_str().unwrap(), "notify"];
    let piped = wechatpay(&args, Some(&captured(&notification)));
    assert!(piped.status.success(), "{}", text(&piped.stderr));
    assert_eq!(json(&text(&piped.stdout))["id"], opened["id"]);

    // One byte of the body changed: refused, and nothing of the resource is printed.
    let mut tampered = captured(&notification);
    let at = tampered.len() - 3;
    tampered[at] ^= 1;
    let refused = wechatpay(&args, Some(&tampered));
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("refused"),
        "{}",
        text(&refused.stderr)
    );
    assert!(refused.stdout.is_empty());
}

#[test]
fn a_field_encrypted_by_encrypt_is_read_back_by_decrypt_and_by_openssl() {
    let s = setup();
    // Point the WeChat Pay key at the merchant's own public key, so that the merchant private
    // key can open what `encrypt` writes.
    let public = merchant_public_key(s.dir.path());
    let profile = std::fs::read_to_string(&s.profile).unwrap();
    let swapped: String = (profile.lines())
        .map(
            |l| match l.strip_prefix("export WECHATPAY_PUBLIC_KEY_PATH=") {
                Some(_) => format!("export WECHATPAY_PUBLIC_KEY_PATH={}\n", public.display()),
                None => format!("{l}\n"),
            },
        )
        .collect();
    std::fs::write(&s.profile, swapped).unwrap();

    let args = ["--profile", s.profile.to_str().unwrap(), "encrypt", "张三"];
    let encrypted = wechatpay(&args, None);
    assert!(encrypted.status.success(), "{}", text(&encrypted.stderr));
    let ciphertext = text(&encrypted.stdout).trim().to_owned();
    assert!(text(&encrypted.stderr).contains(&s.mock.credentials().public_key_id));
    assert!(!ciphertext.contains("张三"));

    assert_eq!(ok(&s, &["decrypt", &ciphertext]).trim(), "张三");
    let raw = s.dir.path().join("ciphertext");
    std::fs::write(&raw, base64_decode(&ciphertext)).unwrap();
    let key = s.dir.path().join("merchant_private_key.pem");
    let opened = openssl(&[
        "pkeyutl",
        "-decrypt",
        "-inkey",
        key.to_str().unwrap(),
        "-in",
        raw.to_str().unwrap(),
        "-pkeyopt",
        "rsa_padding_mode:oaep",
        "-pkeyopt",
        "rsa_oaep_md:sha1",
        "-pkeyopt",
        "rsa_mgf1_md:sha1",
    ]);
    assert_eq!(text(&opened.stdout), "张三");

    let bad = fails(&s, &["decrypt", "bm90IGEgY2lwaGVydGV4dA=="], 1);
    assert!(bad.contains("cannot decrypt"), "{bad}");
}

#[test]
fn credentials_are_named_when_missing_and_never_printed() {
    let s = setup();
    let apiv3 = s.mock.credentials().apiv3_key.as_str().to_owned();
    // Without the merchant id: the variable is named.
    let profile = std::fs::read_to_string(&s.profile).unwrap();
    let partial: String = (profile.lines())
        .filter(|l| !l.contains("WECHATPAY_MCHID"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&s.profile, partial).unwrap();
    let message = fails(
        &s,
        &[
            "call",
            "queryOrderByOutTradeNo",
            "--json",
            r#"{"out_trade_no":"CLI-XXXXXX","mchid":"1"}"#,
        ],
        2,
    );
    assert!(message.contains("WECHATPAY_MCHID"), "{message}");
    // A wrong APIv3 key is refused without being echoed.
    std::fs::write(&s.profile, profile.replace(&apiv3, "short")).unwrap();
    let message = fails(&s, &["certificates"], 2);
    assert!(
        message.contains("WECHATPAY_APIV3_KEY") && !message.contains("short"),
        "{message}"
    );
    // No command prints a secret, on either stream, whether it succeeds or fails.
    std::fs::write(&s.profile, &profile).unwrap();
    let key_pem = s.mock.credentials().merchant_private_key_pem.clone();
    let key_line = key_pem.lines().nth(1).unwrap().to_owned();
    let mchid = s.mock.credentials().mchid.clone();
    let query = format!(r#"{{"out_trade_no":"CLI-SECRET-1","mchid":"{mchid}"}}"#);
    let commands: [&[&str]; 5] = [
        &["certificates"],
        &["build", "closeOrder", "--json", &query],
        &["call", "queryOrderByOutTradeNo", "--json", &query],
        &["call", "queryOrderByOutTradeNo", "--json", "{}"],
        &["encrypt", "张三"],
    ];
    for command in commands {
        let mut args = vec!["--profile", s.profile.to_str().unwrap()];
        args.extend_from_slice(command);
        let output = wechatpay(&args, None);
        for stream in [text(&output.stdout), text(&output.stderr)] {
            assert!(
                !stream.contains(&apiv3)
                    && !stream.contains("PRIVATE KEY")
                    && !stream.contains(&key_line),
                "{command:?} printed a secret: {stream}"
            );
        }
    }
}

#[test]
fn serve_runs_the_mock_and_writes_a_profile_the_other_commands_use() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wechatpay"))
        .args(["serve", "--dir", dir.path().to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let profile = dir.path().join("profile.env");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !profile.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "serve wrote no profile"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let text_profile = std::fs::read_to_string(&profile).unwrap();
    let mchid = (text_profile.lines())
        .find_map(|l| l.strip_prefix("export WECHATPAY_MCHID="))
        .unwrap()
        .to_owned();
    let args = |extra: &[&str]| {
        let mut all = vec!["--profile".to_owned(), profile.display().to_string()];
        all.extend(extra.iter().map(|s| (*s).to_owned()));
        all
    };
    let order = format!(r#"{{"out_trade_no":"CLI-SERVE-1","mchid":"{mchid}"}}"#);
    let call = args(&["call", "queryOrderByOutTradeNo", "--json", &order]);
    let call: Vec<&str> = call.iter().map(String::as_str).collect();
    let output = wechatpay(&call, None);
    child.kill().unwrap();
    child.wait().unwrap();
    // The order was never placed: the served platform says so, in a verified answer.
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("ORDER_NOT_EXIST"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn inputs_the_schema_does_not_declare_are_refused_before_signing() {
    let s = setup();
    let mchid = s.mock.credentials().mchid.clone();
    // A misspelt member of a POST body is not sent along.
    let typo = format!(r#"{{"out_trade_no":"CLI-TYPO-1","mchid":"{mchid}","mchld":"x"}}"#);
    let message = fails(&s, &["build", "closeOrder", "--json", &typo], 2);
    assert!(
        message.contains("mchld") && message.contains("mchid"),
        "{message}"
    );
    // Nested too.
    let nested = format!(
        r#"{{"appid":"wxd678efh567hg6787","mchid":"{mchid}","description":"d","out_trade_no":"CLI-TYPO-2","notify_url":"https://example.com/n","amount":{{"total":1,"currncy":"CNY"}},"payer":{{"openid":"o"}}}}"#
    );
    let message = fails(&s, &["build", "jsapiPrepay", "--json", &nested], 2);
    assert!(message.contains("body.amount.currncy"), "{message}");
    // An array for a one-value parameter is not sent as two.
    let twice = r#"{"out_trade_no":"CLI-TYPO-3","mchid":["1900000001","1900000002"]}"#;
    let message = fails(&s, &["build", "queryOrderByOutTradeNo", "--json", twice], 2);
    assert!(message.contains("`mchid` takes one value"), "{message}");
    assert!(s.mock.requests().is_empty());
}

#[test]
fn the_body_can_be_given_whole_beside_the_parameters() {
    let s = setup();
    let mchid = s.mock.credentials().mchid.clone();
    let input = format!(r#"{{"out_trade_no":"CLI-BODY-1","body":{{"mchid":"{mchid}"}}}}"#);
    let out = ok(&s, &["build", "closeOrder", "--json", &input]);
    let body_line = format!(r#"{{"mchid":"{mchid}"}}"#);
    assert!(out.lines().any(|l| l == body_line), "{out}");
    assert!(
        out.contains("/v3/pay/transactions/out-trade-no/CLI-BODY-1/close"),
        "{out}"
    );
    // A name both a parameter and a body member: the flat form is refused as ambiguous.
    let api = wechatpay_spec::lower(&wechatpay_mock::embedded_spec()).unwrap();
    let (op, name) = api
        .operations()
        .find_map(|op| {
            let Some(wechatpay_spec::ir::Ty::Named(body)) = &op.body else {
                return None;
            };
            let Some(wechatpay_spec::ir::TypeKind::Struct(fields)) =
                api.types.get(body).map(|t| &t.kind)
            else {
                return None;
            };
            (op.params.iter())
                .find(|p| fields.iter().any(|f| f.wire_name == p.wire_name))
                .map(|p| (op.id.clone(), p.wire_name.clone()))
        })
        .expect("an operation with a parameter named like a body member");
    let ambiguous = format!(r#"{{"{name}":"x"}}"#);
    let message = fails(&s, &["build", &op, "--json", &ambiguous], 2);
    assert!(
        message.contains("both a parameter and a body member"),
        "{message}"
    );
}

#[test]
fn a_download_is_streamed_to_the_file_named() {
    let s = setup();
    // A day with a payment has a bill.
    let mchid = s.mock.credentials().mchid.clone();
    let order = format!(
        r#"{{"appid":"wxd678efh567hg6787","mchid":"{mchid}","description":"CLI","out_trade_no":"CLI-BILL-1","notify_url":"https://example.com/notify","amount":{{"total":100}},"payer":{{"openid":"o-cli"}}}}"#
    );
    ok(&s, &["call", "jsapiPrepay", "--json", &order]);
    s.mock.pay("CLI-BILL-1").expect("the order is paid");
    let today = s.mock.now().to_offset(time::macros::offset!(+8)).date();
    let apply = format!(r#"{{"bill_date":"{today}"}}"#);
    let applied = json(&ok(&s, &["call", "applyTradeBill", "--json", &apply]));
    let url = applied["download_url"].as_str().expect("a download URL");
    let token = url
        .split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let out = s.dir.path().join("bill.csv");
    let args = [
        "--profile",
        s.profile.to_str().unwrap(),
        "call",
        "downloadBill",
        "--json",
        &format!(r#"{{"token":"{token}"}}"#),
        "--out",
        out.to_str().unwrap(),
    ];
    let output = wechatpay(&args, None);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("not signed"),
        "{}",
        text(&output.stderr)
    );
    let bill = std::fs::read(&out).unwrap();
    // The file is the one the application's digest names.
    let digest = Command::new("openssl")
        .args(["dgst", "-sha1", "-r", out.to_str().unwrap()])
        .output()
        .unwrap();
    let hash = text(&digest.stdout);
    assert_eq!(applied["hash_type"], "SHA1");
    assert!(!bill.is_empty());
    assert!(
        hash.starts_with(applied["hash_value"].as_str().unwrap()),
        "{hash}"
    );
}

#[test]
fn an_e_invoice_upload_carries_the_sm3_of_the_file() {
    let s = setup();
    let pdf = s.dir.path().join("fapiao.pdf");
    std::fs::write(&pdf, b"%PDF-1.7 an e-invoice from the command line").unwrap();
    let out = ok(
        &s,
        &[
            "call",
            "fapiaoUploadFile",
            "--json",
            r#"{"file_type":"PDF"}"#,
            "--file",
            pdf.to_str().unwrap(),
        ],
    );
    assert!(json(&out)["fapiao_media_id"].is_string(), "{out}");
    // The mock found the SM3 of the file part in `meta`; openssl computes the same.
    let logged = s.mock.last_request("fapiaoUploadFile").unwrap();
    let meta = logged.plaintext_body.expect("the meta JSON");
    let sm3 = openssl(&["dgst", "-sm3", "-r", pdf.to_str().unwrap()]);
    let sm3 = text(&sm3.stdout);
    assert_eq!(meta["digest"], sm3.split_whitespace().next().unwrap());
    assert_eq!(meta["digest_alogrithm"], "SM3");
}
