#!/usr/bin/env bash
# Runs the crypto benchmarks of both backends and `openssl speed rsa2048` in the same run, and
# prints the table with the ratios to OpenSSL (targets: sign >= 0.9x, verify >= 0.8x).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -q -p wechatpay-core --all-features --bench crypto -- --warm-up-time 1 --measurement-time 4 >target/bench-crypto.log 2>&1
speed=$(openssl speed -seconds 4 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ {print $6, $7}')
python3 - "$speed" <<'PY'
import json, sys
sign_s, verify_s = (float(x) for x in sys.argv[1].split())
def mean_ns(backend, name):
    with open(f"target/criterion/{backend}/{name}/new/estimates.json") as f:
        return json.load(f)["mean"]["point_estimate"]
print(f"openssl speed rsa2048: {sign_s:.0f} sign/s, {verify_s:.0f} verify/s\n")
print("| backend | sign | verify | OAEP encrypt | AES-GCM decrypt 1 KiB | notification parse | sign vs OpenSSL | verify vs OpenSSL |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for backend in ["aws-lc", "rust-crypto"]:
    t = {n: mean_ns(backend, n) for n in ["sign", "verify", "oaep_encrypt", "aes_gcm_decrypt_1k", "notification_parse"]}
    us = lambda n: f"{t[n] / 1000:.1f} µs"
    print(f"| {backend} | {us('sign')} | {us('verify')} | {us('oaep_encrypt')} | {us('aes_gcm_decrypt_1k')} | {us('notification_parse')} "
          f"| {1e9 / t['sign'] / sign_s:.2f}x | {1e9 / t['verify'] / verify_s:.2f}x |")
PY
