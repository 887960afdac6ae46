#!/usr/bin/env bash
# The MCP Inspector CLI against the quickstart server over Streamable HTTP: starts
# `quickstart --http 127.0.0.1:PORT` on a free port, then lists tools and calls one in each
# protocol era the CLI negotiates (--protocol-era legacy: initialize + Mcp-Session-Id; modern:
# stateless 2026-07-28; auto: server/discover first), plus an isError result. The Inspector needs
# Node 22, which the pinned `node` package puts first on PATH.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
server=${MCP_SERVER_BIN:?set MCP_SERVER_BIN to the quickstart binary}
export PATH="$here/node_modules/.bin:$PATH"
check() { python3 -c "import json,sys; r=json.load(sys.stdin); assert $1, r" || { echo "FAILED: $2"; exit 1; }; }

stderr_log=$(mktemp)
pid=
stop() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
}
trap 'stop; rm -f "$stderr_log"' EXIT

# A free port is picked by binding port 0 and releasing it; if another process takes it before the
# server binds, the server exits and another port is tried.
for _ in 1 2 3 4 5; do
    port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
    RUST_LOG=warn "$server" --http "127.0.0.1:$port" 2>>"$stderr_log" &
    pid=$!
    if python3 - "$port" "$pid" <<'EOF'
import os, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        sys.exit(0)
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            sys.exit(1)  # the server exited (port taken)
        time.sleep(0.02)
sys.exit(1)
EOF
    then
        break
    fi
    stop
    pid=
done
[ -n "$pid" ] || { echo "FAILED: quickstart --http did not start"; cat "$stderr_log"; exit 1; }
url="http://127.0.0.1:$port/mcp"

# --stored-auth-only: never start an interactive OAuth flow (a no-op for a server without auth).
inspect() { mcp-inspector --cli "$url" --transport http --stored-auth-only "$@"; }

checks=0
for era in legacy modern auto; do
    inspect --protocol-era "$era" --method tools/list \
        | check "[t['name'] for t in r['tools']] == ['add','divide','add_note','list_notes','countdown','clear_notes'] and r['tools'][0]['inputSchema']['required'] == ['a','b']" "tools/list ($era)"
    inspect --protocol-era "$era" --method tools/call --tool-name add --tool-arg a=2 --tool-arg b=3 \
        | check "r['content'] == [{'type': 'text', 'text': '5'}]" "tools/call add ($era)"
    checks=$((checks + 2))
done

# The Inspector exits with 5 when a tool reports isError.
for era in legacy modern; do
    set +e
    divided=$(inspect --protocol-era "$era" --method tools/call --tool-name divide --tool-arg dividend=1 --tool-arg divisor=0 2>/dev/null)
    status=$?
    set -e
    [ "$status" -eq 5 ] || { echo "FAILED: divide by zero ($era) exited $status"; exit 1; }
    echo "$divided" | check "r['isError'] is True and r['content'][0]['text'].startswith('cannot divide by zero')" "isError result ($era)"
    checks=$((checks + 1))
done

if grep -q "panicked" "$stderr_log"; then
    echo "FAILED: the server panicked:"
    cat "$stderr_log"
    exit 1
fi
echo "MCP Inspector CLI over HTTP: $checks checks passed"
