//! What each command does.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};
use wechatpay_api::certificates::DownloadCertificates;
use wechatpay_api::{Certificate, CertificateRefresh, Client, EncryptedResource, Upload};
use wechatpay_spec::ir::{self, Api, ParamLocation, SuccessKind, Ty, TypeKind};

use crate::call::{Answered, SpecCall};
use crate::config::Config;
use crate::notification;
use crate::{Cli, Command, Failure, Input};

/// The largest input JSON or upload read (5 MiB: WeChat Pay's largest uploads are videos of
/// 5 MiB).
const MAX_INPUT_BYTES: usize = 5 << 20;

pub(crate) async fn run(cli: Cli) -> Result<(), Failure> {
    let profile = cli.profile.as_deref();
    match cli.command {
        Command::List { group, filter } => list(&load_api(cli.spec.as_deref())?, group, filter),
        Command::Show { operation } => {
            let api = load_api(cli.spec.as_deref())?;
            show(&api, find(&api, &operation)?)
        }
        Command::Build { operation, input } => {
            let api = load_api(cli.spec.as_deref())?;
            let op = find(&api, &operation)?;
            let call = SpecCall::new(&api, op, read_input(&input)?, read_file(&input)?)?;
            build(&Config::load(profile)?, &call).await
        }
        Command::Call {
            operation,
            input,
            out,
        } => {
            let api = load_api(cli.spec.as_deref())?;
            let op = find(&api, &operation)?;
            let call = SpecCall::new(&api, op, read_input(&input)?, read_file(&input)?)?;
            call_operation(&Config::load(profile)?, &call, out.as_deref()).await
        }
        Command::Certificates { out } => certificates(&Config::load(profile)?, out).await,
        Command::Notify { file } => notify(&Config::load(profile)?, file.as_deref()).await,
        Command::Encrypt { text } => encrypt(&Config::load(profile)?, &text).await,
        Command::Decrypt { ciphertext } => decrypt(&Config::load(profile)?, &ciphertext),
        Command::Serve { port, dir } => serve(cli.spec, port, dir).await,
    }
}

/// An error's text with its causes, each once.
pub(crate) fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = cause.source();
    }
    text
}

/// The spec: `dir`, or the one built in.
fn load_api(dir: Option<&Path>) -> Result<Api, Failure> {
    let api = match dir {
        Some(dir) => wechatpay_spec::load_dir(dir),
        None => wechatpay_spec::lower(&wechatpay_mock::embedded_spec()).map_err(Into::into),
    };
    api.map_err(|e| Failure::usage(format!("the spec does not load:\n{e}")))
}

/// An operation by id, or by `METHOD /path/{template}`.
fn find<'a>(api: &'a Api, name: &str) -> Result<&'a ir::Operation, Failure> {
    let by_route = name
        .split_once(' ')
        .map(|(method, path)| (method.to_ascii_uppercase(), path.trim()));
    let found = api.operations().find(|op| match &by_route {
        Some((method, path)) => op.method.as_str() == method && op.path == *path,
        None => op.id == name,
    });
    found.ok_or_else(|| {
        let lower = name.to_ascii_lowercase();
        // Those containing the name, the ones starting with it and the shortest first.
        let mut close: Vec<&str> = (api.operations())
            .map(|op| op.id.as_str())
            .filter(|id| id.to_ascii_lowercase().contains(&lower))
            .collect();
        close.sort_by_key(|id| (!id.to_ascii_lowercase().starts_with(&lower), id.len()));
        close.truncate(8);
        let hint = if close.is_empty() {
            "`wechatpay list --filter TEXT` finds operations".to_owned()
        } else {
            format!("did you mean: {}?", close.join(", "))
        };
        Failure::usage(format!("no operation `{name}` in the spec; {hint}"))
    })
}

/// The product line of a group: its cargo feature, or its file name.
fn group_name(group: &ir::Group) -> &str {
    group
        .feature
        .as_deref()
        .unwrap_or_else(|| group.file.trim_end_matches(".yaml"))
}

fn list(api: &Api, group: Option<String>, filter: Option<String>) -> Result<(), Failure> {
    if let Some(name) = &group {
        if !api.groups.iter().any(|g| group_name(g) == name) {
            return Err(Failure::usage(format!(
                "no product line `{name}`; `wechatpay list` shows them all"
            )));
        }
    }
    let filter = filter.map(|f| f.to_lowercase());
    let mut out = std::io::stdout().lock();
    let mut shown = 0;
    for g in &api.groups {
        if group.as_deref().is_some_and(|name| group_name(g) != name) {
            continue;
        }
        let ops: Vec<&ir::Operation> = (g.operations.iter())
            .filter(|op| {
                filter.as_deref().is_none_or(|f| {
                    op.id.to_lowercase().contains(f)
                        || op.path.to_lowercase().contains(f)
                        || op
                            .summary
                            .as_deref()
                            .is_some_and(|s| s.to_lowercase().contains(f))
                })
            })
            .collect();
        if ops.is_empty() {
            continue;
        }
        print_line(
            &mut out,
            format!("{} — {} ({} operations)", group_name(g), g.title, ops.len()),
        )?;
        for op in ops {
            let summary = op.summary.as_deref().unwrap_or("");
            print_line(
                &mut out,
                format!(
                    "  {:<44} {:<6} {}  {summary}",
                    op.id,
                    op.method.as_str(),
                    op.path
                ),
            )?;
            shown += 1;
        }
    }
    if shown == 0 {
        return Err(Failure::usage("no operation matches"));
    }
    Ok(())
}

fn print_line(out: &mut impl Write, line: String) -> Result<(), Failure> {
    writeln!(out, "{line}").map_err(|e| Failure::failed(format!("cannot write: {e}")))
}

/// A type as a reader sees it.
fn type_name(ty: &Ty) -> String {
    match ty {
        Ty::String => "string".into(),
        Ty::DateTime => "date-time".into(),
        Ty::I32 | Ty::I64 => "integer".into(),
        Ty::F64 => "number".into(),
        Ty::Bool => "boolean".into(),
        Ty::Json => "any JSON".into(),
        Ty::File => "file".into(),
        Ty::Vec(inner) => format!("array of {}", type_name(inner)),
        Ty::Map(inner) => format!("map of {}", type_name(inner)),
        Ty::Named(name) => name.clone(),
    }
}

fn show(api: &Api, op: &ir::Operation) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    let host = match op.host {
        ir::Host::Mainland => "mainland (api.mch.weixin.qq.com)",
        ir::Host::HongKong => "Hong Kong (apihk.mch.weixin.qq.com)",
    };
    let mut lines = vec![
        format!("{} — {}", op.id, op.summary.as_deref().unwrap_or("")),
        format!("{} {}", op.method.as_str(), op.path),
        format!("host: {host}"),
        format!(
            "idempotent: {}{}",
            if op.idempotent { "yes" } else { "no" },
            if op.deprecated { "; deprecated" } else { "" }
        ),
    ];
    if let Some(description) = &op.description {
        lines.push(String::new());
        lines.extend(description.lines().map(|l| format!("  {l}")));
    }
    if !op.params.is_empty() {
        lines.push("\nparameters:".into());
        for p in &op.params {
            let location = match p.location {
                ParamLocation::Path => "path",
                ParamLocation::Query => "query",
                ParamLocation::Header => "header",
            };
            lines.push(format!(
                "  {:<28} {location:<6} {:<9} {}{}",
                p.wire_name,
                if p.required { "required" } else { "optional" },
                type_name(&p.ty),
                if p.encrypted {
                    " (sensitive: encrypted on the wire)"
                } else {
                    ""
                }
            ));
        }
    }
    if let Some(body) = &op.body {
        lines.push(format!("\nbody ({}):", type_name(body)));
        if let Ty::Named(name) = body {
            if let Some(ir::TypeDef {
                kind: TypeKind::Struct(fields),
                ..
            }) = api.types.get(name)
            {
                for f in fields {
                    lines.push(format!(
                        "  {:<28} {:<9} {}",
                        f.wire_name,
                        if f.required { "required" } else { "optional" },
                        type_name(&f.ty)
                    ));
                }
            }
        }
    }
    if let Some(upload) = &op.upload {
        let types = upload.media_types.as_deref().unwrap_or("any");
        lines.push(format!("\nupload: a file (--file), media types {types}"));
    }
    if !op.encrypted_fields.is_empty() {
        lines.push(format!(
            "\nsensitive body fields (encrypted with the WeChat Pay key): {}",
            op.encrypted_fields.join(", ")
        ));
    }
    if !op.encrypted_answer_fields.is_empty() {
        lines.push(format!(
            "sensitive answer fields (decrypted with the merchant key): {}",
            op.encrypted_answer_fields.join(", ")
        ));
    }
    lines.push(format!(
        "\nanswer: {} {}",
        op.success.status,
        match &op.success.kind {
            SuccessKind::Empty | SuccessKind::Accepted => "no body".to_owned(),
            SuccessKind::Json(ty) => format!("JSON ({})", type_name(ty)),
            SuccessKind::Bytes => "a download".to_owned(),
        }
    ));
    let example = example_input(op);
    if !example.is_empty() {
        let text = serde_json::to_string(&Value::Object(example)).unwrap_or_default();
        lines.push(format!(
            "\nexample input:\n  wechatpay call {} --json '{text}'",
            op.id
        ));
    }
    for line in lines {
        print_line(&mut out, line)?;
    }
    Ok(())
}

/// An input built from the spec's examples: the parameters', then the body example's members.
fn example_input(op: &ir::Operation) -> Map<String, Value> {
    let mut input = Map::new();
    for p in &op.params {
        if let Some(example) = &p.example {
            input.insert(p.wire_name.clone(), example.clone());
        }
    }
    let whole = op
        .members
        .iter()
        .any(|m| m.target == ir::MemberTarget::Body);
    match &op.body_example {
        Some(example) if whole => {
            input.insert("body".into(), example.clone());
        }
        Some(Value::Object(members)) if op.upload.is_none() => {
            input.extend(members.clone());
        }
        _ => {}
    }
    input
}

/// The input JSON: `--json`, `--input FILE` (`-` for standard input), or `{}`.
fn read_input(input: &Input) -> Result<Value, Failure> {
    let text = match (&input.json, &input.input) {
        (Some(text), _) => text.clone().into_bytes(),
        (None, Some(path)) => read_bounded(path, MAX_INPUT_BYTES)?,
        (None, None) => return Ok(Value::Object(Map::new())),
    };
    serde_json::from_slice(&text).map_err(|e| Failure::usage(format!("the input is not JSON: {e}")))
}

/// The upload's file, if one is named.
fn read_file(input: &Input) -> Result<Option<Upload>, Failure> {
    let Some(path) = &input.file else {
        return Ok(None);
    };
    let name = (path.file_name())
        .and_then(|n| n.to_str())
        .ok_or_else(|| Failure::usage(format!("{} has no usable file name", path.display())))?;
    let content = read_bounded(path, MAX_INPUT_BYTES)?;
    Ok(Some(Upload::new(name, content)))
}

/// Reads at most `limit` bytes of a file, or of standard input for `-`.
fn read_bounded(path: &Path, limit: usize) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    let take = limit as u64 + 1;
    let result = if path == Path::new("-") {
        std::io::stdin().lock().take(take).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(take).read_to_end(&mut bytes))
    };
    result.map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
    if bytes.len() > limit {
        return Err(Failure::usage(format!(
            "{} is larger than {limit} bytes",
            path.display()
        )));
    }
    Ok(bytes)
}

/// A client whose key store can verify answers and encrypt: a merchant that trusts platform
/// certificates (no public key configured) downloads them first.
async fn ready_client(config: &Config) -> Result<Client, Failure> {
    let client = config.client()?;
    if client.key_store().is_empty() {
        match client.refresh_certificates(&DownloadCertificates).await? {
            CertificateRefresh::Updated(_) => {}
            CertificateRefresh::NotAvailable => {
                return Err(Failure::usage(
                    "no WeChat Pay public key is configured and the platform has no certificates for this merchant: set WECHATPAY_PUBLIC_KEY_ID and WECHATPAY_PUBLIC_KEY_PATH",
                ))
            }
        }
    }
    Ok(client)
}

async fn build(config: &Config, call: &SpecCall<'_>) -> Result<(), Failure> {
    let client = ready_client(config).await?;
    let signed = client.sign(call).await?;
    let request = &signed.request;
    let mut text = String::new();
    text.push_str(&format!(
        "# the signed message ({} bytes; every line ends with \\n)\n",
        signed.message.len()
    ));
    text.push_str(&String::from_utf8_lossy(&signed.message));
    text.push_str("\n# the request\n");
    text.push_str(&format!("{} {}\n", request.method(), request.uri()));
    for (name, value) in request.headers() {
        text.push_str(&format!(
            "{}: {}\n",
            name,
            value.to_str().unwrap_or("<not text>")
        ));
    }
    text.push('\n');
    match std::str::from_utf8(request.body()) {
        Ok(body) => text.push_str(body),
        Err(_) => text.push_str(&format!("<{} bytes, not text>", request.body().len())),
    }
    text.push('\n');
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| Failure::failed(format!("cannot write: {e}")))?;
    eprintln!("signed, not sent (the platform accepts a signature for 5 minutes)");
    Ok(())
}

async fn call_operation(
    config: &Config,
    call: &SpecCall<'_>,
    out: Option<&Path>,
) -> Result<(), Failure> {
    let client = ready_client(config).await?;
    if call.is_download() {
        return download(&client, call, out).await;
    }
    let response = client.execute(call).await?;
    let request_id = response.request_id.as_deref().unwrap_or("none");
    eprintln!(
        "HTTP {} (Request-ID {request_id}), answer verified",
        response.status
    );
    let text = match response.data {
        Answered::Json(value) => serde_json::to_string_pretty(&value).unwrap_or_default() + "\n",
        Answered::Empty => String::new(),
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| Failure::failed(format!("cannot write: {e}")))
}

/// A download (bills, images): unsigned, so streamed into `out` (or standard output) as the
/// bytes arrive, at most the client's download limit. No digest is checked here: a bill's
/// `hash_value` is in the answer of the call that gave the download's URL.
async fn download(client: &Client, call: &SpecCall<'_>, out: Option<&Path>) -> Result<(), Failure> {
    let downloaded = match out {
        Some(path) => {
            let mut file = tokio::fs::File::create(path)
                .await
                .map_err(|e| Failure::failed(format!("cannot create {}: {e}", path.display())))?;
            let result = client.download(call, &mut file, None).await;
            if result.is_err() {
                // What was written is incomplete: not left behind as if it were the file.
                let _ = tokio::fs::remove_file(path).await;
            }
            result?
        }
        None => {
            client
                .download(call, &mut tokio::io::stdout(), None)
                .await?
        }
    };
    eprintln!(
        "downloaded {} bytes (a download is not signed by the platform)",
        downloaded.len
    );
    Ok(())
}

async fn certificates(config: &Config, out: Option<PathBuf>) -> Result<(), Failure> {
    let apiv3_key = config.apiv3_key()?;
    let client = config.client()?;
    let trusted = match client.refresh_certificates(&DownloadCertificates).await? {
        CertificateRefresh::Updated(serials) => serials,
        CertificateRefresh::NotAvailable => {
            return Err(Failure::failed(
                "the platform has no certificates for this merchant (a merchant of the WeChat Pay public key)",
            ))
        }
    };
    // Verified now by a certificate just installed; listed to print and save them. Only the
    // ones the refresh checked and trusted are shown, each checked again against its serial.
    let listed = client.execute(&DownloadCertificates).await?.data;
    if let Some(dir) = &out {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::failed(format!("cannot create {}: {e}", dir.display())))?;
    }
    let format = time::format_description::well_known::Rfc3339;
    for certificate in (listed.data.iter()).filter(|c| trusted.contains(&c.serial_no)) {
        let serial = &certificate.serial_no;
        // The serial names a file: hex digits only, as WeChat Pay's are.
        if serial.is_empty() || serial.len() > 64 || !serial.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(Failure::failed(format!(
                "the platform lists a certificate serial that is not hex: {serial:?}"
            )));
        }
        let sealed = &certificate.encrypt_certificate;
        let resource = EncryptedResource {
            algorithm: sealed.algorithm.as_str().to_owned(),
            nonce: sealed.nonce.clone(),
            associated_data: Some(sealed.associated_data.clone()),
            ciphertext: sealed.ciphertext.clone(),
            original_type: None,
        };
        let pem = resource
            .decrypt(&apiv3_key)
            .map_err(|e| Failure::failed(format!("certificate {serial}: {e}")))?;
        let pem = std::str::from_utf8(&pem)
            .map_err(|_| Failure::failed(format!("certificate {serial} is not PEM text")))?;
        let parsed = Certificate::from_pem(pem)
            .map_err(|e| Failure::failed(format!("certificate {serial}: {e}")))?;
        if !parsed.serial.eq_ignore_ascii_case(serial) {
            return Err(Failure::failed(format!(
                "the certificate listed as {serial} has the serial {}",
                parsed.serial
            )));
        }
        let effective = certificate
            .effective_time
            .format(&format)
            .unwrap_or_default();
        let expires = certificate.expire_time.format(&format).unwrap_or_default();
        let saved = match &out {
            Some(dir) => {
                let path = dir.join(format!("{serial}.pem"));
                // A new file: never written through a link someone left there.
                let _ = std::fs::remove_file(&path);
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .and_then(|mut file| file.write_all(pem.as_bytes()))
                    .map_err(|e| {
                        Failure::failed(format!("cannot write {}: {e}", path.display()))
                    })?;
                format!("  saved as {}", path.display())
            }
            None => String::new(),
        };
        println!("{serial}  valid {effective} to {expires}  verified{saved}");
    }
    Ok(())
}

async fn notify(config: &Config, file: Option<&Path>) -> Result<(), Failure> {
    let text = read_bounded(
        file.unwrap_or(Path::new("-")),
        notification::MAX_NOTIFICATION_BYTES,
    )?;
    let captured = notification::parse(&text)?;
    let keys = config.key_store()?;
    let handler = if keys.is_empty() {
        ready_client(config).await?.notification_handler()?
    } else {
        wechatpay_api::NotificationHandler::new(keys, config.apiv3_key()?)
    };
    // The body as captured; if that fails and its length was not given, without the line
    // break a capture may have added. The signature decides: never both accepted wrongly.
    let n = match handler.parse(&captured.headers, &captured.body) {
        Ok(n) => n,
        Err(first) => match captured.without_trailing_line_break() {
            Some(body) => handler.parse(&captured.headers, body),
            None => Err(first),
        }
        .map_err(|e| Failure::failed(format!("the notification is refused: {}", describe(&e))))?,
    };
    let shown = json!({
        "id": n.id,
        "create_time": n.create_time_raw,
        "event_type": n.event_type,
        "resource_type": n.resource_type,
        "summary": n.summary,
        "original_type": n.original_type,
        "resource": n.resource,
    });
    eprintln!("signature verified, resource decrypted");
    println!(
        "{}",
        serde_json::to_string_pretty(&shown).unwrap_or_default()
    );
    Ok(())
}

/// `-` reads standard input (one trailing line break dropped).
fn argument(value: &str) -> Result<String, Failure> {
    if value != "-" {
        return Ok(value.to_owned());
    }
    let bytes = read_bounded(Path::new("-"), MAX_INPUT_BYTES)?;
    let text =
        String::from_utf8(bytes).map_err(|_| Failure::usage("standard input is not UTF-8"))?;
    Ok(text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(&text)
        .to_owned())
}

async fn encrypt(config: &Config, text: &str) -> Result<(), Failure> {
    let plaintext = argument(text)?;
    let keys = match config.key_store()? {
        keys if keys.is_empty() => ready_client(config).await?.key_store().clone(),
        keys => keys,
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let (serial, key) = keys
        .encryption_key(now)
        .map_err(|e| Failure::failed(e.to_string()))?
        .ok_or_else(|| Failure::usage("no WeChat Pay key to encrypt with"))?;
    let ciphertext = key
        .encrypt_field(&plaintext)
        .map_err(|e| Failure::failed(e.to_string()))?;
    eprintln!("Wechatpay-Serial: {serial}");
    println!("{ciphertext}");
    Ok(())
}

fn decrypt(config: &Config, ciphertext: &str) -> Result<(), Failure> {
    let ciphertext = argument(ciphertext)?;
    let plaintext = config
        .private_key()?
        .decrypt_field(ciphertext.trim())
        .map_err(|e| Failure::failed(format!("cannot decrypt: {e}")))?;
    println!("{}", plaintext.as_str());
    Ok(())
}

async fn serve(spec: Option<PathBuf>, port: u16, dir: Option<PathBuf>) -> Result<(), Failure> {
    let mut builder = wechatpay_mock::MockPlatform::builder()
        .port(port)
        .log_requests(false);
    if let Some(spec) = spec {
        builder = builder.spec_dir(spec);
    }
    let mock = builder
        .start_on_current_runtime()
        .map_err(|e| Failure::failed(format!("the mock does not start: {e}")))?;
    let dir = match dir {
        Some(dir) => dir,
        None => fresh_dir()?,
    };
    let profile = (mock.credentials())
        .write_profile(&dir, mock.base_url())
        .map_err(|e| Failure::failed(format!("cannot write into {}: {e}", dir.display())))?;
    let path = dir.join("profile.env");
    println!("# the mock platform listens on {}", mock.base_url());
    println!(
        "# test credentials made for this run; profile: {}",
        path.display()
    );
    print!("{profile}");
    std::io::stdout()
        .flush()
        .map_err(|e| Failure::failed(format!("cannot write: {e}")))?;
    std::future::pending::<()>().await;
    Ok(())
}

/// A new folder under the temporary one, made for this run (never one that already exists,
/// which someone else could have prepared), readable by its owner only.
fn fresh_dir() -> Result<PathBuf, Failure> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("wechatpay-mock-{}-{nanos}", std::process::id()));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(&dir)
        .map_err(|e| Failure::failed(format!("cannot create {}: {e}", dir.display())))?;
    Ok(dir)
}
