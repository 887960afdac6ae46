"""Interop test: drive the `quickstart` example server with the official Python MCP client.

The client is PyPI `mcp` (pinned in requirements.txt). Every test runs three times:

* ``auto``       -- the client probes ``server/discover`` and must settle on 2026-07-28
                    (no fallback to ``initialize``);
* ``2026-07-28`` -- pinned modern mode: no handshake at all, the first request the server sees is
                    an ordinary ``_meta``-stamped request (fully stateless handling);
* ``legacy``     -- ``initialize`` / ``notifications/initialized`` at 2025-11-25.

Run from the repository root::

    cargo build --example quickstart
    python -m venv .venv && .venv/bin/pip install -r tests/interop/python/requirements.txt
    .venv/bin/python -m pytest -q tests/interop/python

``MCP_SERVER_CMD`` overrides the server command (a path, optionally followed by arguments;
relative paths are resolved against the repository root). The default is
``target/debug/examples/quickstart``.

Besides the client's public API, every connection goes through a small wire tap (a ``Transport``
wrapping ``stdio_client``) that records each JSON-RPC message in both directions. Assertions about
what was *not* sent (a response to a cancelled request, log messages below the requested level)
are made against that record, which is complete and ordered at the moment a call returns, so they
need no sleeps.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import shutil
import time
import warnings
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError
from mcp.shared.message import SessionMessage
from mcp_types import REQUEST_TIMEOUT

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_SERVER = "target/debug/examples/quickstart"

MODES = ["auto", "2026-07-28", "legacy"]
EXPECTED_VERSION = {"auto": "2026-07-28", "2026-07-28": "2026-07-28", "legacy": "2025-11-25"}
MODERN = "2026-07-28"

TOOL_NAMES = {"add", "divide", "add_note", "list_notes", "countdown", "clear_notes"}

# A cancelled countdown: 100 steps x 50 ms would run for 5 s.
SLOW_ARGS = {"from": 100, "step_ms": 50}


def _server_params() -> StdioServerParameters:
    cmd = shlex.split(os.environ.get("MCP_SERVER_CMD", DEFAULT_SERVER))
    if os.sep in cmd[0]:  # a path: relative ones are relative to the repository root
        exe = REPO_ROOT / cmd[0]
        found = exe.is_file()
    else:  # a bare command name: looked up on PATH
        exe, found = Path(cmd[0]), shutil.which(cmd[0]) is not None
    if not found:
        pytest.fail(f"server {exe} not found: run `cargo build --example quickstart` or set MCP_SERVER_CMD")
    # The SDK passes only HOME/LOGNAME/PATH/SHELL/TERM/USER to the child; anything else must be explicit.
    return StdioServerParameters(
        command=str(exe),
        args=cmd[1:],
        env={"RUST_LOG": "warn", "RUST_BACKTRACE": "1"},
        cwd=str(REPO_ROOT),
    )


# --------------------------------------------------------------------------------------------
# Wire tap
# --------------------------------------------------------------------------------------------


class Wire:
    """Every JSON-RPC message on one connection, in order: (monotonic time, "C>" | "S>", dict)."""

    def __init__(self) -> None:
        self.log: list[tuple[float, str, dict[str, Any]]] = []

    def record(self, direction: str, item: object) -> None:
        if isinstance(item, SessionMessage):
            msg = item.message.model_dump(by_alias=True, mode="json", exclude_unset=True)
            self.log.append((time.monotonic(), direction, msg))

    def sent(self) -> list[dict[str, Any]]:
        return [m for _, d, m in self.log if d == "C>"]

    def received(self) -> list[dict[str, Any]]:
        return [m for _, d, m in self.log if d == "S>"]

    def request_id(self, method: str, tool: str | None = None) -> Any:
        ids = [
            m["id"]
            for m in self.sent()
            if m.get("method") == method and "id" in m and (tool is None or m["params"]["name"] == tool)
        ]
        assert len(ids) == 1, f"expected exactly one {method} {tool or ''} request, got ids {ids}"
        return ids[0]

    def response(self, rid: Any) -> dict[str, Any]:
        found = [m for m in self.received() if "method" not in m and m.get("id") == rid]
        assert len(found) == 1, f"expected one response for id {rid!r}, got {found}"
        return found[0]

    def notifications(self, method: str) -> list[dict[str, Any]]:
        return [m.get("params", {}) for m in self.received() if m.get("method") == method and "id" not in m]

    def dump(self) -> str:
        return "\n".join(f"{d} {json.dumps(m)}" for _, d, m in self.log)


class _TapRead:
    def __init__(self, inner: Any, wire: Wire) -> None:
        self._inner, self._wire = inner, wire

    async def receive(self) -> Any:
        item = await self._inner.receive()
        self._wire.record("S>", item)
        return item

    def __aiter__(self) -> _TapRead:
        return self

    async def __anext__(self) -> Any:
        item = await self._inner.__anext__()
        self._wire.record("S>", item)
        return item

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _TapRead:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class _TapWrite:
    def __init__(self, inner: Any, wire: Wire) -> None:
        self._inner, self._wire = inner, wire

    async def send(self, item: Any, /) -> None:
        self._wire.record("C>", item)
        await self._inner.send(item)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _TapWrite:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


@asynccontextmanager
async def _tapped_stdio(params: StdioServerParameters, wire: Wire, errlog: Any):
    async with stdio_client(params, errlog=errlog) as (read, write):
        yield _TapRead(read, wire), _TapWrite(write, wire)


class Harness:
    """Spawns the server (one process per client) and keeps its wire record and stderr."""

    def __init__(self, mode: str, tmp_path: Path) -> None:
        self.mode = mode
        self.params = _server_params()
        self.stderr_path = tmp_path / "server-stderr.log"
        self._stderr = self.stderr_path.open("w+")
        self.wires: list[Wire] = []

    @property
    def wire(self) -> Wire:
        return self.wires[-1]

    def client(self, **kw: Any) -> Client:
        wire = Wire()
        self.wires.append(wire)
        # cache=None: modern tools/list carries ttlMs, which would otherwise let the client
        # answer repeat listings from memory and hide wire traffic.
        return Client(
            _tapped_stdio(self.params, wire, self._stderr),
            mode=self.mode,
            read_timeout_seconds=10,
            cache=None,
            **kw,
        )

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text()

    def close(self) -> None:
        self._stderr.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def server(mode: str, tmp_path: Path):
    h = Harness(mode, tmp_path)
    yield h
    err = h.stderr()
    h.close()
    assert "panicked" not in err, f"server panicked:\n{err}"


pytestmark = pytest.mark.anyio


def _text(result: Any) -> str:
    assert len(result.content) == 1, result.content
    block = result.content[0]
    assert block.type == "text", block
    return block.text


def _walk_keys(node: Any) -> set[str]:
    keys: set[str] = set()
    if isinstance(node, dict):
        for k, v in node.items():
            keys.add(k)
            keys |= _walk_keys(v)
    elif isinstance(node, list):
        for v in node:
            keys |= _walk_keys(v)
    return keys


async def _wait_for(pred, what: str, timeout: float = 3.0) -> None:
    try:
        with anyio.fail_after(timeout):
            while not pred():
                await anyio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None


async def _enable_logging(c: Client, level: str) -> None:
    """Modern: `Client(log_level=...)` stamps every request. Legacy: the deprecated logging/setLevel."""
    if c.protocol_version != MODERN:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            await c.set_logging_level(level)


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


async def test_negotiation(server: Harness) -> None:
    async with server.client() as c:
        assert c.protocol_version == EXPECTED_VERSION[server.mode]
        await c.list_tools()
        if server.mode != "2026-07-28":
            # Pinned mode adopts a synthesized discover result (empty capabilities, no serverInfo).
            assert c.server_info is not None and c.server_info.name == "quickstart"
            assert c.server_capabilities.tools is not None
            assert c.server_capabilities.logging is not None
            assert c.instructions and "countdown" in c.instructions

    methods = [m.get("method") for m in server.wire.sent()]
    if server.mode == "auto":
        assert methods[0] == "server/discover"
        assert "initialize" not in methods, "client fell back to initialize: discover was not accepted"
        discover = server.wire.response(server.wire.sent()[0]["id"])["result"]
        assert MODERN in discover["supportedVersions"]
        # Required on every 2026-07-28 result (the Python client is lenient on discover only).
        assert discover["resultType"] == "complete"
        assert isinstance(discover["ttlMs"], int) and discover["ttlMs"] >= 0
        assert discover["cacheScope"] in ("private", "public")
        assert discover["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "quickstart"
    elif server.mode == "legacy":
        assert methods[:3] == ["initialize", "notifications/initialized", "tools/list"]
    else:
        assert methods == ["tools/list"], "pinned modern mode must need no handshake"


async def test_list_tools_schemas(server: Harness) -> None:
    async with server.client() as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
    assert set(tools) == TOOL_NAMES

    for name, tool in tools.items():
        schema = tool.input_schema
        assert schema["type"] == "object", name
        keys = _walk_keys(schema) | _walk_keys(tool.output_schema or {})
        assert not keys & {"$ref", "$schema", "$defs", "definitions"}, f"{name}: {keys}"
        jsonschema.validators.validator_for(schema).check_schema(schema)
        assert tool.description, name

    add = tools["add"]
    assert add.description == "Add two integers."
    assert add.input_schema["required"] == ["a", "b"]
    assert add.input_schema["properties"]["a"]["type"] == "integer"
    assert add.input_schema["properties"]["a"]["description"] == "The first addend."
    assert add.input_schema["properties"]["b"]["description"] == "The second addend."
    # A bare i64 is structured output too, wrapped as {"result": n} (structuredContent is an object).
    assert add.output_schema == {
        "type": "object",
        "properties": {"result": {"type": "integer"}},
        "required": ["result"],
    }
    assert add.annotations is not None
    assert add.annotations.read_only_hint is True
    assert add.annotations.idempotent_hint is True
    assert add.annotations.open_world_hint is False

    divide = tools["divide"]
    assert divide.description == "Divide `dividend` by `divisor`."
    assert sorted(divide.input_schema["required"]) == ["dividend", "divisor"]
    assert {p["type"] for p in divide.input_schema["properties"].values()} == {"number"}
    assert divide.output_schema == {
        "type": "object",
        "properties": {"result": {"type": "number"}},
        "required": ["result"],
    }

    add_note = tools["add_note"]
    assert add_note.input_schema["required"] == ["text"]
    assert add_note.input_schema["properties"] == {
        "text": {"type": "string", "description": "The text to remember."}
    }
    # State<Notes> is an extractor, not an argument.
    assert add_note.annotations is not None and add_note.annotations.idempotent_hint is False

    list_notes = tools["list_notes"]
    assert list_notes.description == "List the notes saved so far."
    assert list_notes.input_schema.get("properties", {}) == {}
    assert not list_notes.input_schema.get("required")
    out = list_notes.output_schema
    assert out is not None
    assert out["type"] == "object"
    assert sorted(out["required"]) == ["count", "notes"]
    assert out["properties"]["notes"]["type"] == "array"
    assert out["properties"]["notes"]["items"] == {"type": "string"}
    assert out["properties"]["notes"]["description"] == "The notes, oldest first."
    assert out["properties"]["count"]["type"] == "integer"
    assert out["properties"]["count"]["description"] == "How many there are."
    jsonschema.validators.validator_for(out).check_schema(out)

    countdown = tools["countdown"]
    props = countdown.input_schema["properties"]
    assert countdown.input_schema["required"] == ["from"]  # step_ms has a serde default
    assert props["from"]["type"] == "integer" and props["from"]["description"] == "Where to start."
    assert props["step_ms"]["type"] == "integer" and props["step_ms"]["default"] == 100
    assert props["step_ms"]["description"] == "Milliseconds per step."


async def test_add(server: Harness) -> None:
    async with server.client() as c:
        r = await c.call_tool("add", {"a": 2, "b": 3})
    assert r.is_error is False
    assert _text(r) == "5"
    assert r.structured_content == {"result": 5}


async def test_divide(server: Harness) -> None:
    async with server.client() as c:
        ok = await c.call_tool("divide", {"dividend": 7, "divisor": 2})
        assert ok.is_error is False and _text(ok) == "3.5"

        r = await c.call_tool("divide", {"dividend": 1, "divisor": 0})
        assert r.is_error is True
        assert _text(r).startswith("cannot divide by zero: ")
        # An error is text only, though divide has an outputSchema (the spec allows it).
        assert r.structured_content is None
        # The session is still usable after a tool-level error.
        assert _text(await c.call_tool("add", {"a": 2, "b": 3})) == "5"


async def test_notes_structured_content(server: Harness) -> None:
    async with server.client() as c:
        tools = {t.name: t for t in (await c.list_tools()).tools}
        assert _text(await c.call_tool("add_note", {"text": "buy milk"})) == "saved note #1"
        assert _text(await c.call_tool("add_note", {"text": "héllo ✓"})) == "saved note #2"

        # call_tool has already run the client's own outputSchema check (validate_tool_result);
        # run it once more explicitly so a silently skipped validation cannot pass this test.
        r = await c.call_tool("list_notes", {})
        await c.session.validate_tool_result("list_notes", r)

        # ...and show that the check is live: a non-conforming result is rejected.
        bad = r.model_copy(update={"structured_content": {"notes": "nope", "count": -1}})
        with pytest.raises(RuntimeError, match="Invalid structured content"):
            await c.session.validate_tool_result("list_notes", bad)

    assert r.is_error is False
    expected = {"notes": ["buy milk", "héllo ✓"], "count": 2}
    assert r.structured_content == expected
    jsonschema.validate(r.structured_content, tools["list_notes"].output_schema)
    # Backwards compatibility: the structured result is also serialized into a text block.
    assert json.loads(_text(r)) == expected


async def test_progress(server: Harness) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async with server.client() as c:
        r = await c.call_tool("countdown", {"from": 4, "step_ms": 20}, progress_callback=on_progress)
        assert _text(r) == "counted down from 4"
        await _wait_for(lambda: len(seen) >= 4, "progress callbacks")

    assert [p for p, _, _ in seen] == [1.0, 2.0, 3.0, 4.0]
    assert {t for _, t, _ in seen} == {4.0}
    assert [m for _, _, m in seen] == ["3 to go", "2 to go", "1 to go", "0 to go"]

    # The token is echoed with its original JSON type (the Python client sends the integer id).
    rid = server.wire.request_id("tools/call", "countdown")
    tokens = {n["progressToken"] for n in server.wire.notifications("notifications/progress")}
    assert tokens == {rid} and type(next(iter(tokens))) is type(rid)


async def test_no_progress_without_token(server: Harness) -> None:
    async with server.client() as c:
        assert _text(await c.call_tool("countdown", {"from": 3, "step_ms": 5})) == "counted down from 3"
    assert server.wire.notifications("notifications/progress") == []


@pytest.mark.parametrize(
    ("level", "expect_info"),
    [("debug", True), ("info", True), ("warning", False), (None, False)],
)
async def test_logging(server: Harness, level: str | None, expect_info: bool) -> None:
    if level is None and server.mode == "legacy":
        pytest.skip("legacy: without logging/setLevel the server may log at its own default level")
    got: list[Any] = []

    async def on_log(params: Any) -> None:
        got.append(params)

    kw: dict[str, Any] = {"logging_callback": on_log}
    if level is not None:
        kw["log_level"] = level
    async with server.client(**kw) as c:
        if level is not None:
            await _enable_logging(c, level)
        assert _text(await c.call_tool("countdown", {"from": 1, "step_ms": 1})) == "counted down from 1"
        if expect_info:
            await _wait_for(lambda: got, "log callback")

    on_wire = server.wire.notifications("notifications/message")
    if expect_info:
        assert [(m["level"], m["data"]) for m in on_wire] == [("info", "countdown finished")]
        assert [(p.level, p.data) for p in got] == [("info", "countdown finished")]
    else:
        assert on_wire == [], f"log sent below the requested level ({level}) or without opt-in"
        assert got == []


async def test_cancellation(server: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="mcp.shared.jsonrpc_dispatcher")
    progress: list[float] = []

    async def on_progress(p: float, total: float | None, message: str | None) -> None:
        progress.append(p)

    async with server.client() as c:
        with anyio.move_on_after(0.2) as scope:
            await c.call_tool("countdown", SLOW_ARGS, progress_callback=on_progress)
        assert scope.cancelled_caught, "countdown finished before it could be cancelled"

        wire = server.wire
        rid = wire.request_id("tools/call", "countdown")
        cancels = [m for m in wire.sent() if m.get("method") == "notifications/cancelled"]
        assert [m["params"]["requestId"] for m in cancels] == [rid]
        n_before_cancel = len(wire.log)

        # Ten more steps would fit in this window if the server ignored the cancellation.
        await anyio.sleep(0.5)
        r = await c.call_tool("add", {"a": 2, "b": 3})
        assert _text(r) == "5"

    after_cancel = [m for _, d, m in wire.log[n_before_cancel:] if d == "S>"]
    late_progress = [
        m for m in after_cancel if m.get("method") == "notifications/progress" and m["params"]["progressToken"] == rid
    ]
    # One or two steps may already be in flight when the notification lands; ignoring it would
    # produce about ten here.
    assert len(late_progress) <= 2, f"server kept working after cancellation: {late_progress}"
    assert not [m for m in wire.received() if "method" not in m and m.get("id") == rid], (
        "server answered a cancelled request"
    )
    assert not [m for m in caplog.messages if "late request id" in m]
    assert "countdown finished" not in json.dumps(wire.notifications("notifications/message"))


async def test_timeout_cancels(server: Harness) -> None:
    async with server.client() as c:
        with pytest.raises(MCPError) as ei:
            await c.call_tool("countdown", SLOW_ARGS, read_timeout_seconds=0.3)
        assert ei.value.code == REQUEST_TIMEOUT
        rid = server.wire.request_id("tools/call", "countdown")
        cancels = [m["params"] for m in server.wire.sent() if m.get("method") == "notifications/cancelled"]
        assert [p["requestId"] for p in cancels] == [rid]
        await anyio.sleep(0.3)
        assert _text(await c.call_tool("add", {"a": 2, "b": 3})) == "5"
    assert not [m for m in server.wire.received() if "method" not in m and m.get("id") == rid]


async def test_unknown_tool(server: Harness) -> None:
    async with server.client() as c:
        with pytest.raises(MCPError) as ei:
            await c.call_tool("does_not_exist", {})
        assert ei.value.code == -32602
        assert "does_not_exist" in ei.value.error.message
        # A protocol error does not poison the session.
        assert _text(await c.call_tool("add", {"a": 2, "b": 3})) == "5"


async def test_invalid_arguments_are_tool_errors(server: Harness) -> None:
    # 2025-11-25 (SEP-1303): argument validation failures are tool execution errors (isError),
    # so the model can see them and retry, not JSON-RPC protocol errors.
    async with server.client() as c:
        wrong_type = await c.call_tool("add", {"a": "two", "b": 3})
        missing = await c.call_tool("add", {"a": 2})
    for r in (wrong_type, missing):
        assert r.is_error is True
        assert "add" in _text(r)
    assert "b" in _text(missing)


async def test_exits_on_stdin_eof(server: Harness) -> None:
    # On leaving the context the client closes the server's stdin, waits up to 2 s, then escalates
    # to SIGTERM; an idle server should exit on EOF by itself.
    async with server.client() as c:
        assert _text(await c.call_tool("add", {"a": 2, "b": 3})) == "5"
        start = time.monotonic()
    assert time.monotonic() - start < 1.5, "server did not exit promptly on stdin EOF"
