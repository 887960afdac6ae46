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

inspect --method resources/list \
    | check "r['resources'] == [{'name': 'all_notes', 'uri': 'notes://all', 'description': 'Every note, oldest first, one per line.', 'mimeType': 'text/plain'}]" "resources/list"
inspect --method resources/templates/list \
    | check "[(t['name'], t['uriTemplate'], t['mimeType']) for t in r['resourceTemplates']] == [('note', 'notes://{number}', 'text/plain')]" "resources/templates/list"
inspect --method resources/read --uri notes://all \
    | check "r['contents'] == [{'uri': 'notes://all', 'mimeType': 'text/plain', 'text': ''}]" "resources/read notes://all"
# A template match with no such note: the handler's error; the CLI exits 1 with it on stderr.
set +e
missing=$(inspect --method resources/read --uri notes://1 2>&1 >/dev/null)
status=$?
set -e
[ "$status" -eq 1 ] || { echo "FAILED: resources/read notes://1 exited $status"; exit 1; }
echo "$missing" | check "r['error']['message'] == 'there is no note #1'" "resources/read of a missing note"
inspect --method prompts/list \
    | check "[(p['name'], p['arguments']) for p in r['prompts']] == [('summarize_notes', [{'name': 'style', 'description': 'How to summarize (short, detailed ...).', 'required': False}])]" "prompts/list"
inspect --method prompts/get --prompt-name summarize_notes --prompt-args style=detailed \
    | check "r['messages'] == [{'role': 'user', 'content': {'type': 'text', 'text': 'Summarize these notes (detailed):\\n- '}}]" "prompts/get"
# The CLI declares no elicitation capability: clear_notes must not ask, and reports that (isError, exit 5).
set +e
cleared=$(inspect --method tools/call --tool-name clear_notes 2>/dev/null)
status=$?
set -e
[ "$status" -eq 5 ] || { echo "FAILED: clear_notes exited $status"; exit 1; }
echo "$cleared" | check "r['isError'] is True and 'elicitation' in r['content'][0]['text']" "clear_notes without elicitation"
echo "MCP Inspector CLI: 12 checks passed"
