#!/usr/bin/env bash
# The MCP Inspector CLI against the quickstart server over Streamable HTTP: starts
# `quickstart --http 127.0.0.1:PORT` on a free port, then lists tools and calls one in each
# protocol era the CLI negotiates (--protocol-era legacy: initialize + Mcp-Session-Id; modern:
# stateless 2026-07-28; auto: server/discover first), plus an isError result; and in each era adds
# a note (the server's notes outlive a connection), then lists resources and templates, reads the
# notes (notes://all and notes://N), gets the prompt with an argument, and reads a missing note.
# The Inspector needs Node 22, which the pinned `node` package puts first on PATH.
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

# Resources and prompts. Each era adds one note, so note #n is the one era n added.
n=0
for era in legacy modern auto; do
    n=$((n + 1))
    note="a note from the $era era"
    inspect --protocol-era "$era" --method tools/call --tool-name add_note --tool-arg "text=$note" \
        | check "r['content'] == [{'type': 'text', 'text': 'saved note #$n'}]" "add_note ($era)"
    inspect --protocol-era "$era" --method resources/list \
        | check "[(x['uri'], x['name'], x['mimeType']) for x in r['resources']] == [('notes://all', 'all_notes', 'text/plain')]" "resources/list ($era)"
    inspect --protocol-era "$era" --method resources/templates/list \
        | check "[(t['uriTemplate'], t['name']) for t in r['resourceTemplates']] == [('notes://{number}', 'note')]" "resources/templates/list ($era)"
    inspect --protocol-era "$era" --method resources/read --uri notes://all \
        | check "[(c['uri'], c['mimeType']) for c in r['contents']] == [('notes://all', 'text/plain')] and r['contents'][0]['text'].split('\\n') == [f'a note from the {e} era' for e in ['legacy', 'modern', 'auto'][:$n]]" "resources/read notes://all ($era)"
    inspect --protocol-era "$era" --method resources/read --uri "notes://$n" \
        | check "r['contents'] == [{'uri': 'notes://$n', 'mimeType': 'text/plain', 'text': '$note'}]" "resources/read notes://$n ($era)"
    inspect --protocol-era "$era" --method prompts/get --prompt-name summarize_notes --prompt-args "style=as a poem" \
        | check "r['messages'][0]['role'] == 'user' and r['messages'][0]['content']['text'].startswith('Summarize these notes (as a poem):\\n- a note from the legacy era') and r['messages'][0]['content']['text'].endswith('$note')" "prompts/get ($era)"
    set +e
    missing=$(inspect --protocol-era "$era" --method resources/read --uri notes://99 2>&1 >/dev/null)
    status=$?
    set -e
    [ "$status" -eq 1 ] || { echo "FAILED: resources/read notes://99 ($era) exited $status"; exit 1; }
    echo "$missing" | check "r['error']['message'] == 'there is no note #99'" "resources/read of a missing note ($era)"
    checks=$((checks + 7))
done

# The Inspector exits with 5 when a tool reports isError.
for era in legacy modern; do
    set +e
    divided=$(inspect --protocol-era "$era" --method tools/call --tool-name divide --tool-arg dividend=1 --tool-arg divisor=0 2>/dev/null)
    status=$?
    set -e
    [ "$status" -eq 5 ] || { echo "FAILED: divide by zero ($era) exited $status"; exit 1; }
    echo "$divided" | check "r['isError'] is True and r['content'][0]['text'].startswith('cannot divide by zero')" "isError result ($era)"
    # The CLI declares no elicitation capability: clear_notes must not ask (legacy) or return
    # input_required (modern); it reports that it could not, and the notes stay.
    set +e
    cleared=$(inspect --protocol-era "$era" --method tools/call --tool-name clear_notes 2>/dev/null)
    status=$?
    set -e
    [ "$status" -eq 5 ] || { echo "FAILED: clear_notes ($era) exited $status"; exit 1; }
    echo "$cleared" | check "r['isError'] is True and 'elicitation' in r['content'][0]['text']" "clear_notes without elicitation ($era)"
    inspect --protocol-era "$era" --method resources/read --uri notes://all \
        | check "len(r['contents'][0]['text'].split('\\n')) == $n" "notes kept ($era)"
    checks=$((checks + 3))
done

if grep -q "panicked" "$stderr_log"; then
    echo "FAILED: the server panicked:"
    cat "$stderr_log"
    exit 1
fi
echo "MCP Inspector CLI over HTTP: $checks checks passed"
