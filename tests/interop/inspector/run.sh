#!/usr/bin/env bash
# The MCP Inspector CLI against the quickstart server over stdio: list tools, call one, get a
# structured result and an isError result. The Inspector needs Node 22, which the pinned `node`
# package puts first on PATH.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
server=${MCP_SERVER_CMD:?set MCP_SERVER_CMD to the quickstart binary}
export PATH="$here/node_modules/.bin:$PATH"
inspect() { mcp-inspector --cli "$server" -e RUST_LOG=warn "$@"; }
check() { python3 -c "import json,sys; r=json.load(sys.stdin); assert $1, r" || { echo "FAILED: $2"; exit 1; }; }

inspect --method tools/list \
    | check "[t['name'] for t in r['tools']] == ['add','divide','add_note','list_notes','countdown','clear_notes'] and r['tools'][0]['inputSchema']['required'] == ['a','b']" "tools/list"
inspect --method tools/call --tool-name add --tool-arg a=2 --tool-arg b=3 \
    | check "r['content'] == [{'type': 'text', 'text': '5'}]" "tools/call add"
inspect --method tools/call --tool-name list_notes \
    | check "r['structuredContent'] == {'notes': [], 'count': 0}" "structured result"
# The Inspector exits with 5 when a tool reports isError.
set +e
divided=$(inspect --method tools/call --tool-name divide --tool-arg dividend=1 --tool-arg divisor=0 2>/dev/null)
status=$?
set -e
[ "$status" -eq 5 ] || { echo "FAILED: divide by zero exited $status"; exit 1; }
echo "$divided" | check "r['isError'] is True and r['content'][0]['text'].startswith('cannot divide by zero')" "isError result"
echo "MCP Inspector CLI: 4 checks passed"
