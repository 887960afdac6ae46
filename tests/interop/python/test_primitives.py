"""Interop test: resources, prompts, completions and elicitation with the official Python MCP client.

The quickstart serves its notes as resources (``notes://all``, and the template
``notes://{number}`` with completions for ``number``), a prompt ``summarize_notes`` (optional
argument ``style``, completed from short / detailed / "as a poem"), and a tool ``clear_notes``
that asks the user to confirm (elicitation, schema ``{"confirm": boolean}``).

Every test runs over both transports (stdio: test_interop.py's harness, one server process per
client; Streamable HTTP: test_http.py's, one ``quickstart --http`` per test) in each of the three
modes those files use:

* ``auto``       -- ``server/discover``, settling on 2026-07-28;
* ``2026-07-28`` -- pinned modern mode, no handshake;
* ``legacy``     -- ``initialize`` at 2025-11-25.

Elicitation differs by era. Legacy: the server sends ``elicitation/create`` on the call's stream
(stdio, or the call's SSE stream over HTTP) and the client's ``elicitation_callback`` answers it.
2026-07-28 (multi-round-trip requests, SEP-2322): the call returns ``resultType:
"input_required"`` with ``inputRequests: {"confirm": {elicitation/create}}`` and a ``requestState``;
the Python client (2.x) runs the same callback for each input request and retries the call with
``inputResponses`` and the echoed ``requestState`` by itself (``mcp.client._input_required``).
The tests check the outcome through the client API and the exchange through the wire record.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import types
from mcp.shared.exceptions import MCPError

# The stdio and HTTP test modules' harnesses and helpers (pytest puts this directory on sys.path).
from test_http import LEGACY
from test_http import Harness as HttpHarness
from test_interop import MODES, Wire, _text
from test_interop import Harness as StdioHarness

TRANSPORTS = ["stdio", "http"]
NOTES = ["buy milk", "héllo ✓"]
CONFIRM_SCHEMA = {
    "type": "object",
    "properties": {"confirm": {"type": "boolean", "description": "Check to go ahead."}},
    "required": ["confirm"],
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _param_id(p: tuple[str, str]) -> str:
    return f"{p[0]}-{p[1]}"


@pytest.fixture(params=[(t, m) for t in TRANSPORTS for m in MODES], ids=_param_id)
def server(request: pytest.FixtureRequest, tmp_path: Path):
    transport, mode = request.param
    if transport == "stdio":
        h: Any = StdioHarness(mode, tmp_path)
        try:
            yield h
        finally:
            err = h.stderr()
            h.close()
    else:
        h = HttpHarness(mode, tmp_path)
        h.transport = "http"
        h.http.start()
        try:
            yield h
        finally:
            h.http.stop()
            err = h.stderr()
    assert "panicked" not in err, f"server panicked:\n{err}"


pytestmark = pytest.mark.anyio


def _transport(h: Any) -> str:
    return getattr(h, "transport", "stdio")


def _modern(h: Any) -> bool:
    return h.mode != "legacy"


async def _add_notes(c: Any, notes: list[str] = NOTES) -> None:
    for i, text in enumerate(notes, 1):
        assert _text(await c.call_tool("add_note", {"text": text})) == f"saved note #{i}"


def _responses(wire: Wire, method: str) -> list[dict[str, Any]]:
    """The server's responses to every `method` request the client sent, in order."""
    return [wire.response(m["id"]) for m in wire.sent() if m.get("method") == method and "id" in m]


def _server_requests(wire: Wire) -> list[dict[str, Any]]:
    """Requests the server sent to the client (server-to-client RPCs)."""
    return [m for m in wire.received() if "method" in m and "id" in m]


def _check_modern_results(h: Any, method: str) -> None:
    """2026-07-28: every result of `method` is stamped with resultType and the serverInfo _meta."""
    if not _modern(h):
        return
    for resp in _responses(h.wire, method):
        if "result" in resp:
            assert resp["result"]["resultType"] in ("complete", "input_required"), resp
            assert resp["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "quickstart", resp


# --------------------------------------------------------------------------------------------
# Resources
# --------------------------------------------------------------------------------------------


async def test_list_resources_and_templates(server: Any) -> None:
    async with server.client() as c:
        resources = (await c.list_resources()).resources
        templates = (await c.list_resource_templates()).resource_templates

    assert [(r.uri, r.name, r.mime_type) for r in resources] == [("notes://all", "all_notes", "text/plain")]
    assert resources[0].description == "Every note, oldest first, one per line."
    assert [(t.uri_template, t.name, t.mime_type) for t in templates] == [("notes://{number}", "note", "text/plain")]
    assert templates[0].description == "One note by its number (1 is the oldest)."
    _check_modern_results(server, "resources/list")
    _check_modern_results(server, "resources/templates/list")


async def test_read_resources(server: Any) -> None:
    async with server.client() as c:
        empty = await c.read_resource("notes://all")
        await _add_notes(c)
        everything = await c.read_resource("notes://all")
        first = await c.read_resource("notes://1")
        second = await c.read_resource("notes://2")

        # A number the template matches but no note has: the handler's own error.
        with pytest.raises(MCPError) as missing:
            await c.read_resource("notes://3")
        # A URI no resource or template serves: the toolkit's "resource not found", whose code
        # depends on the era (-32002 in 2025-11-25, -32602 with data.uri in 2026-07-28).
        with pytest.raises(MCPError) as unknown:
            await c.read_resource("other://1")
        # A template match whose variable does not parse as the handler's type.
        with pytest.raises(MCPError) as malformed:
            await c.read_resource("notes://abc")
        # The session still serves after protocol errors.
        assert (await c.read_resource("notes://1")).contents[0].text == NOTES[0]

    assert [(x.uri, x.mime_type, x.text) for x in empty.contents] == [("notes://all", "text/plain", "")]
    assert [(x.uri, x.mime_type, x.text) for x in everything.contents] == [
        ("notes://all", "text/plain", "\n".join(NOTES))
    ]
    assert [(x.uri, x.text) for x in first.contents] == [("notes://1", NOTES[0])]
    assert [(x.uri, x.text) for x in second.contents] == [("notes://2", NOTES[1])]

    # The quickstart's handler answers -32002; in 2026-07-28, which retired that code, the server
    # sends it as -32602 with data.uri.
    expected_code = -32602 if _modern(server) else -32002
    assert (missing.value.code, missing.value.error.message) == (expected_code, "there is no note #3")
    assert unknown.value.code == (-32602 if _modern(server) else -32002)
    assert unknown.value.error.data == {"uri": "other://1"}
    assert malformed.value.code == -32602
    assert "number" in malformed.value.error.message

    _check_modern_results(server, "resources/read")
    if _transport(server) == "http" and _modern(server):
        reads = server.wire.posts("resources/read")
        assert [e.request_headers.get("mcp-name") for e in reads[:2]] == ["notes://all", "notes://all"]
        assert all(e.status == 200 for e in reads), server.wire.dump()


# --------------------------------------------------------------------------------------------
# Prompts and completions
# --------------------------------------------------------------------------------------------


async def test_prompts(server: Any) -> None:
    async with server.client() as c:
        prompts = (await c.list_prompts()).prompts
        await _add_notes(c)
        detailed = await c.get_prompt("summarize_notes", {"style": "detailed"})
        default = await c.get_prompt("summarize_notes")
        with pytest.raises(MCPError) as unknown:
            await c.get_prompt("no_such_prompt")

    [p] = prompts
    assert p.name == "summarize_notes"
    assert p.description == "Ask the model to summarize the notes."
    assert [(a.name, a.required) for a in p.arguments or []] == [("style", False)]
    assert p.arguments[0].description == "How to summarize (short, detailed ...)."

    notes = "\n- ".join(NOTES)
    for result, style in ((detailed, "detailed"), (default, "short")):
        [m] = result.messages
        assert m.role == "user"
        assert m.content.type == "text"
        assert m.content.text == f"Summarize these notes ({style}):\n- {notes}"
    assert unknown.value.code == -32602
    _check_modern_results(server, "prompts/get")
    if _transport(server) == "http" and _modern(server):
        gets = server.wire.posts("prompts/get")
        assert [e.request_headers.get("mcp-name") for e in gets] == ["summarize_notes"] * 2 + ["no_such_prompt"]


async def test_completions(server: Any) -> None:
    prompt = types.PromptReference(type="ref/prompt", name="summarize_notes")
    template = types.ResourceTemplateReference(type="ref/resource", uri="notes://{number}")
    async with server.client() as c:
        styles_all = await c.complete(prompt, {"name": "style", "value": ""})
        styles_d = await c.complete(prompt, {"name": "style", "value": "d"})
        styles_none = await c.complete(prompt, {"name": "style", "value": "x"})
        numbers_none = await c.complete(template, {"name": "number", "value": ""})
        await _add_notes(c, [f"note {i}" for i in range(1, 13)])
        numbers_all = await c.complete(template, {"name": "number", "value": ""})
        numbers_1 = await c.complete(template, {"name": "number", "value": "1"})

    assert styles_all.completion.values == ["short", "detailed", "as a poem"]
    assert styles_d.completion.values == ["detailed"]
    assert styles_none.completion.values == []
    assert numbers_none.completion.values == []
    assert numbers_all.completion.values == [str(n) for n in range(1, 13)]
    assert numbers_1.completion.values == ["1", "10", "11", "12"]
    for r in (styles_all, styles_d, numbers_1):
        assert r.completion.total == len(r.completion.values)
        assert r.completion.has_more is False
    _check_modern_results(server, "completion/complete")


# --------------------------------------------------------------------------------------------
# Elicitation: clear_notes asks the user to confirm
# --------------------------------------------------------------------------------------------


class Answers:
    """An elicitation callback that gives a fixed answer and records what it was asked."""

    def __init__(self, result: types.ElicitResult) -> None:
        self.result = result
        self.asked: list[tuple[Any, types.ElicitRequestParams]] = []

    async def __call__(self, ctx: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        self.asked.append((ctx.request_id, params))
        return self.result


def _check_question(h: Any, answers: Answers, count: int) -> None:
    [(request_id, params)] = answers.asked
    assert isinstance(params, types.ElicitRequestFormParams), params
    assert params.message == f"Forget all {count} notes?"
    schema = params.requested_schema
    assert {k: schema[k] for k in CONFIRM_SCHEMA} == CONFIRM_SCHEMA, schema
    if _modern(h):
        # The driver dispatches each inputRequests entry under its key.
        assert request_id == "confirm"


def _call_posts(wire: Any, name: str) -> list[Any]:
    """The HTTP exchanges that carried the tools/call requests for `name` (calls are sequential here,
    so the n-th tools/call message went in the n-th tools/call POST)."""
    sent = [m for m in wire.sent() if m.get("method") == "tools/call"]
    posts = wire.posts("tools/call")
    assert len(sent) == len(posts), wire.dump()
    return [e for m, e in zip(sent, posts) if m["params"]["name"] == name]


def _check_elicitation_wire(h: Any, answer: dict[str, Any]) -> None:
    """The round trip on the wire: one server-to-client request (legacy) or two calls (2026-07-28)."""
    wire = h.wire
    calls = [m for m in wire.sent() if m.get("method") == "tools/call" and m["params"]["name"] == "clear_notes"]
    if not _modern(h):
        [call] = calls
        [ask] = _server_requests(wire)
        assert ask["method"] == "elicitation/create", ask
        assert ask["params"]["mode"] == "form"
        assert ask["params"]["requestedSchema"]["properties"] == CONFIRM_SCHEMA["properties"]
        [reply] = [m for m in wire.sent() if "method" not in m and m.get("id") == ask["id"]]
        assert reply["result"] == answer, reply
        # The question comes while the call is open; the result after the answer.
        order = [id(m) for _, _, m in wire.log]
        response = wire.response(call["id"])
        assert order.index(id(call)) < order.index(id(ask)) < order.index(id(reply)) < order.index(id(response))
        if _transport(h) == "http":
            [post] = _call_posts(wire, "clear_notes")
            assert post.response_headers["content-type"].startswith("text/event-stream"), wire.dump()
            assert [e.status for e in wire.posts("response")] == [202], wire.dump()
        return

    # 2026-07-28: no server-to-client request at all; an input_required result, then a retry.
    assert _server_requests(wire) == [], "the modern era has no server-to-client requests"
    first, retry = calls
    asked = wire.response(first["id"])["result"]
    assert asked["resultType"] == "input_required", asked
    assert list(asked["inputRequests"]) == ["confirm"]
    ask = asked["inputRequests"]["confirm"]
    assert ask["method"] == "elicitation/create"
    assert ask["params"]["mode"] == "form"
    assert ask["params"]["requestedSchema"]["properties"] == CONFIRM_SCHEMA["properties"]
    assert isinstance(asked["requestState"], str) and asked["requestState"]
    assert "content" not in asked and "isError" not in asked
    # The retry is a new request carrying the answers under the same key and the state verbatim.
    assert retry["id"] != first["id"]
    assert retry["params"]["inputResponses"] == {"confirm": answer}
    assert retry["params"]["requestState"] == asked["requestState"]
    assert retry["params"]["arguments"] == first["params"]["arguments"]
    done = wire.response(retry["id"])["result"]
    assert done["resultType"] == "complete", done
    assert "inputRequests" not in done and "requestState" not in done
    if _transport(h) == "http":
        posts = _call_posts(wire, "clear_notes")
        assert [e.status for e in posts] == [200, 200], wire.dump()
        assert all(e.request_headers.get("mcp-name") == "clear_notes" for e in posts)
        assert wire.posts("response") == [], "no response POSTs in the stateless era"


async def test_elicitation_accept_clears(server: Any) -> None:
    answers = Answers(types.ElicitResult(action="accept", content={"confirm": True}))
    async with server.client(elicitation_callback=answers) as c:
        await _add_notes(c)
        r = await c.call_tool("clear_notes", {})
        assert r.is_error is False
        assert _text(r) == f"forgot {len(NOTES)} notes"
        assert (await c.read_resource("notes://all")).contents[0].text == ""
        with pytest.raises(MCPError):
            await c.read_resource("notes://1")
        listed = await c.call_tool("list_notes", {})
        assert listed.structured_content == {"notes": [], "count": 0}

    _check_question(server, answers, len(NOTES))
    _check_elicitation_wire(server, {"action": "accept", "content": {"confirm": True}})


@pytest.mark.parametrize(
    "answer",
    [
        {"action": "decline"},
        {"action": "cancel"},
        {"action": "accept", "content": {"confirm": False}},
    ],
    ids=["decline", "cancel", "accept-false"],
)
async def test_elicitation_refused_keeps(server: Any, answer: dict[str, Any]) -> None:
    answers = Answers(types.ElicitResult(**answer))
    async with server.client(elicitation_callback=answers) as c:
        await _add_notes(c)
        r = await c.call_tool("clear_notes", {})
        assert r.is_error is False
        assert _text(r) == "kept the notes"
        assert (await c.read_resource("notes://all")).contents[0].text == "\n".join(NOTES)
        assert (await c.read_resource("notes://2")).contents[0].text == NOTES[1]

    _check_question(server, answers, len(NOTES))
    _check_elicitation_wire(server, answer)


async def test_elicitation_without_capability(server: Any) -> None:
    # No elicitation_callback: the client declares no `elicitation` capability, so the server must
    # not ask; the tool reports that it could not (a tool error, not a protocol error).
    async with server.client() as c:
        await _add_notes(c)
        r = await c.call_tool("clear_notes", {})
        assert (await c.read_resource("notes://all")).contents[0].text == "\n".join(NOTES)
    assert r.is_error is True
    assert "elicitation" in _text(r)
    assert _server_requests(server.wire) == []
    for resp in _responses(server.wire, "tools/call"):
        assert resp.get("result", {}).get("resultType") != "input_required", resp


@pytest.mark.parametrize(
    "server", [(t, m) for t in TRANSPORTS for m in MODES if m != "legacy"], ids=_param_id, indirect=True
)
async def test_mrtr_by_hand(server: Any) -> None:
    """2026-07-28: the round trip driven through the session's lower-level API, step by step."""
    async with server.client(elicitation_callback=Answers(types.ElicitResult(action="decline"))) as c:
        await _add_notes(c)
        first = await c.session.call_tool("clear_notes", {}, allow_input_required=True)
        assert isinstance(first, types.InputRequiredResult), first
        assert list(first.input_requests or {}) == ["confirm"]
        [ask] = (first.input_requests or {}).values()
        assert isinstance(ask, types.ElicitRequest)
        assert ask.params.message == f"Forget all {len(NOTES)} notes?"
        state = first.request_state
        assert state

        # An altered requestState is refused (the server protects it), and changes nothing.
        forged = state[:-4] + ("AAAA" if not state.endswith("AAAA") else "BBBB")
        with pytest.raises(MCPError) as ei:
            await c.session.call_tool(
                "clear_notes",
                {},
                input_responses={"confirm": types.ElicitResult(action="accept", content={"confirm": True})},
                request_state=forged,
                allow_input_required=True,
            )
        assert ei.value.code == -32602
        assert "requestState" in ei.value.error.message
        assert (await c.read_resource("notes://all")).contents[0].text == "\n".join(NOTES)

        # The genuine state with an accepting answer completes the call.
        done = await c.session.call_tool(
            "clear_notes",
            {},
            input_responses={"confirm": types.ElicitResult(action="accept", content={"confirm": True})},
            request_state=state,
            allow_input_required=True,
        )
        assert isinstance(done, types.CallToolResult), done
        assert _text(done) == f"forgot {len(NOTES)} notes"
        assert (await c.read_resource("notes://all")).contents[0].text == ""


@pytest.mark.parametrize("server", [("http", "legacy")], ids=_param_id, indirect=True)
async def test_legacy_http_elicitation_rides_the_call_stream(server: Any) -> None:
    """Legacy HTTP, raw: the elicitation request arrives on the tools/call POST's own SSE stream,
    the answer is POSTed separately (202), and the result follows on the same stream."""
    base = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
    async with httpx2.AsyncClient(timeout=10) as http:
        init = await http.post(
            server.url,
            headers=base,
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": LEGACY,
                    "capabilities": {"elicitation": {"form": {}}},
                    "clientInfo": {"name": "raw", "version": "0"},
                },
            },
        )
        assert init.status_code == 200, init.text
        headers = {**base, "mcp-session-id": init.headers["mcp-session-id"], "mcp-protocol-version": LEGACY}
        note = await http.post(server.url, headers=headers, json={"jsonrpc": "2.0", "method": "notifications/initialized"})
        assert note.status_code == 202
        added = await http.post(
            server.url,
            headers=headers,
            json={"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "add_note", "arguments": {"text": "x"}}},
        )
        assert added.status_code == 200

        events: list[dict[str, Any]] = []
        replies: list[int] = []
        call = {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "clear_notes", "arguments": {}}}
        async with http.stream("POST", server.url, headers=headers, json=call) as resp:
            assert resp.status_code == 200
            assert resp.headers["content-type"].startswith("text/event-stream")
            async for line in resp.aiter_lines():
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                events.append(msg)
                if msg.get("method") == "elicitation/create":
                    answer = {"jsonrpc": "2.0", "id": msg["id"], "result": {"action": "accept", "content": {"confirm": True}}}
                    replies.append((await http.post(server.url, headers=headers, json=answer)).status_code)
                if msg.get("id") == 3 and "method" not in msg:
                    break
        await http.delete(server.url, headers=headers)

    assert [e.get("method", "response") for e in events] == ["elicitation/create", "response"], events
    assert events[0]["params"]["message"] == "Forget the one note?"
    assert replies == [202]
    assert events[1]["result"]["content"] == [{"type": "text", "text": "forgot 1 note"}]
