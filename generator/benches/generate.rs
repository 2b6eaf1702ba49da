//! Generator speed on synthetic specs of 10, 100 and 1,000 operations (spread over 10 files),
//! parse → IR → emit → prettyplease, median of several runs; then how the work grows with one
//! object's property count and one description's length (tenfold input, about tenfold time
//! when linear). Not a test: run with `cargo bench -p wechatpay-generator --bench generate`.

use std::time::{Duration, Instant};

use wechatpay_generator::{emit, lower, Source};

/// One file of `count` ordinary operations: path and query parameters, a body with an enum and a
/// nested object, a JSON answer.
fn synthetic_file(group: usize, count: usize) -> Source {
    let mut yaml =
        format!("openapi: 3.0.3\ninfo: {{ title: Synthetic {group}, version: \"1\" }}\npaths:\n");
    for i in 0..count {
        yaml.push_str(&format!(
            r#"  /v3/synthetic{group}/things/{{thing_id}}/op{i}:
    post:
      operationId: op{group}x{i}
      summary: 合成接口 {i}
      x-wechatpay-rate-limit: {{ requests: 200, per: minute }}
      parameters:
        - {{ name: thing_id, in: path, required: true, schema: {{ type: string }} }}
        - {{ name: limit, in: query, schema: {{ type: integer, format: int32 }} }}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [out_no, state]
              properties:
                out_no: {{ type: string, maxLength: 64, description: 商户单号 }}
                state: {{ type: string, enum: [OPEN, CLOSED, REFUNDED] }}
                amount:
                  type: object
                  required: [total]
                  properties:
                    total: {{ type: integer }}
                    currency: {{ type: string }}
                secret: {{ type: string, x-wechatpay-encrypted: true }}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [id]
                properties:
                  id: {{ type: string }}
                  created_at: {{ type: string, format: date-time }}
"#
        ));
    }
    Source {
        name: format!("synthetic{group}.yaml"),
        text: yaml,
    }
}

fn spec(operations: usize) -> Vec<Source> {
    let files = 10.min(operations);
    (0..files)
        .map(|g| synthetic_file(g, operations / files))
        .collect()
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn main() {
    println!("| operations | generate (median) | per operation |");
    println!("|---:|---:|---:|");
    for n in [10, 100, 1000] {
        let sources = spec(n);
        let runs = if n >= 1000 { 5 } else { 15 };
        let times: Vec<Duration> = (0..runs)
            .map(|_| {
                let start = Instant::now();
                let api = lower(&sources).expect("the synthetic spec is valid");
                let output = emit(&api, "wechatpay_api");
                assert_eq!(api.operations().count(), n);
                std::hint::black_box(output);
                start.elapsed()
            })
            .collect();
        let m = median(times);
        println!(
            "| {n} | {:.1} ms | {:.0} µs |",
            m.as_secs_f64() * 1e3,
            m.as_secs_f64() * 1e6 / n as f64
        );
    }
    growth("properties of one object", [2_000, 20_000], wide_object);
    growth(
        "characters of one description",
        [64_000, 640_000],
        long_description,
    );
}

/// Times generating the spec `make(n)` for the two sizes (median of 3) and prints the ratio.
fn growth(what: &str, sizes: [usize; 2], make: fn(usize) -> Source) {
    let time = |n: usize| {
        let source = make(n);
        let runs = (0..3)
            .map(|_| {
                let start = Instant::now();
                let api = lower(std::slice::from_ref(&source)).expect("the spec is valid");
                std::hint::black_box(emit(&api, "wechatpay_api"));
                start.elapsed()
            })
            .collect();
        median(runs)
    };
    let [small, large] = sizes.map(time);
    println!(
        "{what}: {} → {:.0} ms, {} → {:.0} ms: ×{:.1} for ×{}",
        sizes[0],
        small.as_secs_f64() * 1e3,
        sizes[1],
        large.as_secs_f64() * 1e3,
        large.as_secs_f64() / small.as_secs_f64(),
        sizes[1] / sizes[0]
    );
}

/// One operation whose body has `n` string properties.
fn wide_object(n: usize) -> Source {
    let properties: String = (0..n)
        .map(|i| format!("                p{i}: {{ type: string }}\n"))
        .collect();
    one_operation(&properties, "a wide body")
}

/// One operation whose body's one property has a description of `n` characters, all one
/// letter.
fn long_description(n: usize) -> Source {
    let text = "a".repeat(n);
    one_operation(
        &format!("                p: {{ type: string, description: \"{text}\" }}\n"),
        "a long description",
    )
}

fn one_operation(properties: &str, title: &str) -> Source {
    Source {
        name: "growth.yaml".to_owned(),
        text: format!("openapi: 3.0.3\ninfo: {{ title: {title}, version: \"1\" }}\npaths:\n  /v3/growth:\n    post:\n      operationId: growth\n      requestBody:\n        content:\n          application/json:\n            schema:\n              type: object\n              properties:\n{properties}      responses:\n        \"204\":\n          description: ok\n"),
    }
}
