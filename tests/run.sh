#!/usr/bin/env bash
# Runs every test: Rust unit, protocol, stdio-process and compile-fail tests, a 30 s fuzz smoke,
# then the interop tests that drive the quickstart server with the official Python and
# TypeScript MCP clients and the MCP Inspector CLI, over stdio and over Streamable HTTP (the HTTP
# tests start `quickstart --http 127.0.0.1:PORT` themselves, on a free port).
# MCP_SERVER_CMD is the stdio server command; MCP_SERVER_BIN the binary the HTTP tests start.
# Installs what the interop tests need (pinned) under target/interop on first use, and the Debian
# package redis-server when missing (the Redis tests start real redis-server processes on free
# loopback ports and stop them by PID).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    echo "== installing redis-server (the Redis tests run real Redis servers)"
    as_root=()
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null; then
            echo "tests/run.sh: redis-server is missing, and installing it needs root or sudo:" \
                "install the Debian package redis-server" >&2
            exit 1
        fi
        as_root=(sudo)
    fi
    if ! { "${as_root[@]}" apt-get update -qq &&
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; } ||
        ! command -v redis-server >/dev/null; then
        echo "tests/run.sh: could not install the Debian package redis-server (apt-get failed)" >&2
        exit 1
    fi
fi

echo "== cargo test"
cargo build --examples
cargo test --workspace --all-targets
cargo test --workspace --doc

echo "== fuzz smoke (30 s of mutated messages through the fuzz checks; README, Fuzzing)"
MCP_FUZZ_SMOKE_SECS=30 cargo test --workspace --lib fuzz_smoke -- --ignored --nocapture

server="$root/target/debug/examples/quickstart"
interop="$root/target/interop"
mkdir -p "$interop"

echo "== Python mcp client (modern and legacy eras; stdio and Streamable HTTP)"
venv="$interop/venv"
requirements="$root/tests/interop/python/requirements.txt"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$requirements" "$venv/requirements.txt"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/requirements.txt"
fi
MCP_SERVER_CMD="$server" MCP_SERVER_BIN="$server" "$venv/bin/python" -m pytest -q -p no:cacheprovider "$root/tests/interop/python"

echo "== TypeScript SDK client (legacy era; stdio and Streamable HTTP)"
(cd "$root/tests/interop/ts" && npm ci --silent --no-audit --no-fund && MCP_SERVER_CMD="$server" MCP_SERVER_BIN="$server" npm test --silent)

echo "== MCP Inspector CLI"
(cd "$root/tests/interop/inspector" && npm ci --silent --no-audit --no-fund --loglevel=error && MCP_SERVER_CMD="$server" bash run.sh)

echo "== MCP Inspector CLI over Streamable HTTP (legacy, modern and auto eras)"
(cd "$root/tests/interop/inspector" && MCP_SERVER_BIN="$server" bash run_http.sh)

echo "== MCP conformance suites (examples/conformance_server over Streamable HTTP)"
bash "$root/tests/conformance/run.sh"
