"""Interop test over Streamable HTTP: the official Python MCP client against ``quickstart --http``.

The stdio tests (test_interop.py) drive the server as a child process. Here each test starts
``quickstart --http 127.0.0.1:PORT`` itself and connects the client to ``http://127.0.0.1:PORT/mcp``
through the SDK's ``streamable_http_client``. Every test runs in the same three modes:

* ``auto``       -- ``server/discover`` over HTTP, settling on 2026-07-28 (stateless: no session);
* ``2026-07-28`` -- pinned modern mode, no handshake, every POST stamped with
                    ``MCP-Protocol-Version`` / ``Mcp-Method`` / ``Mcp-Name`` headers and ``_meta``;
* ``legacy``     -- ``initialize`` at 2025-11-25, which opens an ``Mcp-Session-Id`` session
                    that the client ends with ``DELETE`` when it leaves.

``MCP_SERVER_BIN`` names the server executable (default ``target/debug/examples/quickstart``,
relative paths against the repository root); ``--http ADDR`` is appended.

Two records are kept per connection: the JSON-RPC messages in both directions (the same wire tap
as the stdio tests, wrapped around the HTTP transport) and every HTTP exchange (method, the MCP
headers, status, content type), from httpx2 event hooks. Both are attached to a failure report.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import warnings
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

# The stdio test module's wire tap and helpers (pytest puts this directory on sys.path).
from test_interop import EXPECTED_VERSION, MODERN, MODES, TOOL_NAMES, Wire, _TapRead, _TapWrite, _text, _wait_for

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_SERVER = "target/debug/examples/quickstart"
LEGACY = "2025-11-25"


def _server_bin() -> Path:
    exe = Path(os.environ.get("MCP_SERVER_BIN", DEFAULT_SERVER))
    if not exe.is_absolute():
        exe = REPO_ROOT / exe
    if not exe.is_file():
        pytest.fail(f"server {exe} not found: run `cargo build --example quickstart` or set MCP_SERVER_BIN")
    return exe


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HttpServer:
    """``quickstart --http 127.0.0.1:PORT`` on a free port; ready once the port accepts."""

    def __init__(self, exe: Path, stderr_path: Path) -> None:
        self.exe = exe
        self.stderr_path = stderr_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def start(self) -> None:
        # The port is free when picked but another process may take it before the server binds:
        # the server then exits, and a new port is tried.
        for _ in range(5):
            self.port = _free_port()
            with self.stderr_path.open("ab") as err:
                self.proc = subprocess.Popen(
                    [str(self.exe), "--http", f"127.0.0.1:{self.port}"],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    env={**os.environ, "RUST_LOG": "warn", "RUST_BACKTRACE": "1"},
                    cwd=REPO_ROOT,
                )
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                    return
                except OSError:
                    time.sleep(0.02)
            self.stop()
        pytest.fail(f"quickstart --http did not start:\n{self.stderr_path.read_text()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: graceful shutdown
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class Exchange:
    """One HTTP request and the head of its response."""

    method: str
    rpc: str | None  # the JSON-RPC method (or "response") of a POST body
    request_headers: dict[str, str]
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        mcp_req = {k: v for k, v in self.request_headers.items() if k.startswith("mcp-") or k == "last-event-id"}
        mcp_resp = {k: v for k, v in self.response_headers.items() if k.startswith("mcp-") or k == "content-type"}
        return f"{self.method} {self.rpc or ''} {mcp_req} -> {self.status} {mcp_resp}"


class HttpWire(Wire):
    """The JSON-RPC record plus the HTTP exchanges that carried it."""

    def __init__(self) -> None:
        super().__init__()
        self.http: list[Exchange] = []

    async def on_request(self, request: httpx2.Request) -> None:
        rpc = None
        if request.method == "POST":
            try:
                body = json.loads(request.content)
                rpc = body.get("method", "response") if isinstance(body, dict) else "batch"
            except ValueError:
                rpc = "?"
        request.extensions["interop_exchange"] = ex = Exchange(
            request.method, rpc, {k.lower(): v for k, v in request.headers.items()}
        )
        self.http.append(ex)

    async def on_response(self, response: httpx2.Response) -> None:
        ex = response.request.extensions.get("interop_exchange")
        if ex is not None:
            ex.status = response.status_code
            ex.response_headers = {k.lower(): v for k, v in response.headers.items()}

    def posts(self, rpc: str) -> list[Exchange]:
        return [e for e in self.http if e.method == "POST" and e.rpc == rpc]

    def dump(self) -> str:
        return super().dump() + "\n-- HTTP\n" + "\n".join(str(e) for e in self.http)


@asynccontextmanager
async def _tapped_http(url: str, wire: HttpWire):
    hooks = {"request": [wire.on_request], "response": [wire.on_response]}
    async with httpx2.AsyncClient(timeout=httpx2.Timeout(30, read=60), event_hooks=hooks) as http:
        async with streamable_http_client(url, http_client=http) as (read, write):
            yield _TapRead(read, wire), _TapWrite(write, wire)


class Harness:
    """One HTTP server per test; every client of the test connects to it."""

    def __init__(self, mode: str, tmp_path: Path) -> None:
        self.mode = mode
        self.stderr_path = tmp_path / "server-stderr.log"
        self.http = HttpServer(_server_bin(), self.stderr_path)
        self.wires: list[HttpWire] = []

    @property
    def wire(self) -> HttpWire:
        return self.wires[-1]

    @property
    def url(self) -> str:
        return self.http.url

    def client(self, **kw: Any) -> Client:
        wire = HttpWire()
        self.wires.append(wire)
        return Client(_tapped_http(self.url, wire), mode=self.mode, read_timeout_seconds=10, cache=None, **kw)

    def stderr(self) -> str:
        return self.stderr_path.read_text() if self.stderr_path.exists() else ""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def server(mode: str, tmp_path: Path):
    h = Harness(mode, tmp_path)
    h.http.start()
    try:
        yield h
    finally:
        h.http.stop()
    err = h.stderr()
    assert "panicked" not in err, f"server panicked:\n{err}"


pytestmark = pytest.mark.anyio


def _index(wire: Wire, pred) -> list[int]:
    return [i for i, (_, _, m) in enumerate(wire.log) if pred(m)]


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


async def test_negotiation_and_headers(server: Harness) -> None:
    async with server.client() as c:
        assert c.protocol_version == EXPECTED_VERSION[server.mode]
        tools = await c.list_tools()
        assert {t.name for t in tools.tools} == TOOL_NAMES
        if server.mode != MODERN:
            assert c.server_info is not None and c.server_info.name == "quickstart"
            assert c.server_capabilities.tools is not None

    wire = server.wire
    methods = [m.get("method") for m in wire.sent()]
    posts = [e for e in wire.http if e.method == "POST"]
    assert posts and all(e.status is not None for e in posts), wire.dump()

    if server.mode == "legacy":
        assert methods[:3] == ["initialize", "notifications/initialized", "tools/list"]
        [init] = wire.posts("initialize")
        assert init.status == 200
        sid = init.response_headers.get("mcp-session-id")
        assert sid, f"initialize answered without Mcp-Session-Id: {init}"
        assert all(0x21 <= ord(ch) <= 0x7E for ch in sid), "session id must be visible ASCII"
        # Everything after initialize carries the session and the negotiated version.
        for e in wire.http[wire.http.index(init) + 1 :]:
            assert e.request_headers.get("mcp-session-id") == sid, str(e)
            assert e.request_headers.get("mcp-protocol-version") == LEGACY, str(e)
        [note] = wire.posts("notifications/initialized")
        assert note.status == 202, str(note)
        [listing] = wire.posts("tools/list")
        assert listing.status == 200 and listing.response_headers["content-type"].startswith("application/json")
        # The client ends its session on the way out.
        deletes = [e for e in wire.http if e.method == "DELETE"]
        assert [e.status for e in deletes] in ([200], [204]), wire.dump()
        # The client opens the optional GET stream after `initialized`: the quickstart has
        # resources a session may subscribe to, so the stream opens for their updates.
        gets = [e for e in wire.http if e.method == "GET"]
        assert {e.status for e in gets} <= {200}, wire.dump()
        assert all(e.response_headers["content-type"].startswith("text/event-stream") for e in gets)
    else:
        if server.mode == "auto":
            assert methods == ["server/discover", "tools/list"]
        else:
            assert methods == ["tools/list"], "pinned modern mode must need no handshake"
        for e in posts:
            assert e.request_headers.get("mcp-protocol-version") == MODERN, str(e)
            assert e.request_headers.get("mcp-method") == e.rpc, str(e)
            assert "mcp-session-id" not in e.response_headers, f"stateless era got a session: {e}"
            assert e.status == 200, str(e)
        # Stateless: no GET stream, nothing to DELETE.
        assert [e.method for e in wire.http] == ["POST"] * len(wire.http), wire.dump()


async def test_add(server: Harness) -> None:
    async with server.client() as c:
        r = await c.call_tool("add", {"a": 2, "b": 3})
    assert r.is_error is False
    assert _text(r) == "5"
    [call] = server.wire.posts("tools/call")
    if server.mode != "legacy":
        assert call.request_headers.get("mcp-name") == "add", str(call)
    assert call.response_headers["content-type"].startswith("application/json"), str(call)


async def test_progress_streams_before_result(server: Harness) -> None:
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

    wire = server.wire
    rid = wire.request_id("tools/call", "countdown")
    progress = _index(wire, lambda m: m.get("method") == "notifications/progress")
    response = _index(wire, lambda m: "method" not in m and m.get("id") == rid)
    assert len(progress) == 4 and len(response) == 1, wire.dump()
    assert max(progress) < response[0], "progress must arrive before the result"
    tokens = {n["progressToken"] for n in wire.notifications("notifications/progress")}
    assert tokens == {rid}
    # Notifications before the result: the call is answered as an SSE stream.
    [call] = wire.posts("tools/call")
    assert call.status == 200 and call.response_headers["content-type"].startswith("text/event-stream"), str(call)


async def test_concurrent_calls_stream_separately(server: Harness) -> None:
    # Several streaming calls at once (one session in the legacy era, independent POSTs in the
    # modern one): each call's progress arrives on its own stream, for its own token only.
    seen: dict[int, list[float]] = {n: [] for n in (3, 4, 5)}
    results: dict[int, str] = {}

    async with server.client() as c:

        async def run(n: int) -> None:
            async def on_progress(p: float, total: float | None, message: str | None) -> None:
                assert total == n, (n, total)
                seen[n].append(p)

            r = await c.call_tool("countdown", {"from": n, "step_ms": 15}, progress_callback=on_progress)
            results[n] = _text(r)

        async with anyio.create_task_group() as tg:
            for n in seen:
                tg.start_soon(run, n)
            assert _text(await c.call_tool("add", {"a": 1, "b": 2})) == "3"
        await _wait_for(lambda: all(len(v) == n for n, v in seen.items()), "progress callbacks")

    assert results == {n: f"counted down from {n}" for n in seen}
    assert seen == {n: [float(i) for i in range(1, n + 1)] for n in seen}
    calls = server.wire.posts("tools/call")
    assert len(calls) == 4 and all(e.status == 200 for e in calls), server.wire.dump()


async def test_divide_by_zero_is_error_result(server: Harness) -> None:
    async with server.client() as c:
        r = await c.call_tool("divide", {"dividend": 1, "divisor": 0})
        assert r.is_error is True
        assert _text(r).startswith("cannot divide by zero: ")
        ok = await c.call_tool("divide", {"dividend": 7, "divisor": 2})
        assert ok.is_error is False and _text(ok) == "3.5"


async def test_unknown_tool(server: Harness) -> None:
    async with server.client() as c:
        with pytest.raises(MCPError) as ei:
            await c.call_tool("does_not_exist", {})
        assert ei.value.code == -32602
        assert "does_not_exist" in ei.value.error.message
        assert _text(await c.call_tool("add", {"a": 2, "b": 3})) == "5"


async def test_structured_content(server: Harness) -> None:
    async with server.client() as c:
        await c.list_tools()
        assert _text(await c.call_tool("add_note", {"text": "héllo ✓"})) == "saved note #1"
        r = await c.call_tool("list_notes", {})
        await c.session.validate_tool_result("list_notes", r)
    assert r.structured_content == {"notes": ["héllo ✓"], "count": 1}


async def test_logging(server: Harness) -> None:
    got: list[Any] = []

    async def on_log(params: Any) -> None:
        got.append(params)

    async with server.client(logging_callback=on_log, log_level="info") as c:
        if c.protocol_version != MODERN:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                await c.set_logging_level("info")
        assert _text(await c.call_tool("countdown", {"from": 1, "step_ms": 1})) == "counted down from 1"
        await _wait_for(lambda: got, "log callback")
    assert [(p.level, p.data) for p in got] == [("info", "countdown finished")]


async def test_cancellation(server: Harness) -> None:
    progress: list[float] = []

    async def on_progress(p: float, total: float | None, message: str | None) -> None:
        progress.append(p)

    async with server.client() as c:
        with anyio.move_on_after(0.3) as scope:
            await c.call_tool("countdown", {"from": 100, "step_ms": 50}, progress_callback=on_progress)
        assert scope.cancelled_caught, "countdown finished before it could be cancelled"
        assert progress, "no progress arrived before the cancel"
        rid = server.wire.request_id("tools/call", "countdown")
        await anyio.sleep(0.3)
        # Legacy: a notifications/cancelled POST. Modern: the client closes the call's stream.
        cancels = server.wire.posts("notifications/cancelled")
        if server.mode == "legacy":
            assert [e.status for e in cancels] == [202], server.wire.dump()
        else:
            assert cancels == [], "no client-to-server notifications in the stateless era"

        assert _text(await c.call_tool("add", {"a": 2, "b": 3})) == "5"
    assert not [m for m in server.wire.received() if "method" not in m and m.get("id") == rid], (
        "server answered a cancelled request"
    )


async def test_legacy_session_ends_with_delete(server: Harness) -> None:
    if server.mode != "legacy":
        pytest.skip("sessions exist only in the legacy era")
    async with server.client() as c:
        assert _text(await c.call_tool("add", {"a": 1, "b": 1})) == "2"
    [init] = server.wire.posts("initialize")
    sid = init.response_headers["mcp-session-id"]
    [delete] = [e for e in server.wire.http if e.method == "DELETE"]
    assert delete.request_headers.get("mcp-session-id") == sid
    assert delete.status in (200, 204), str(delete)

    # The ended session is gone: a request on it is 404 with a JSON-RPC error.
    async with httpx2.AsyncClient(timeout=10) as http:
        resp = await http.post(
            server.url,
            headers={
                "accept": "application/json, text/event-stream",
                "content-type": "application/json",
                "mcp-session-id": sid,
                "mcp-protocol-version": LEGACY,
            },
            json={"jsonrpc": "2.0", "id": 7, "method": "tools/list"},
        )
    assert resp.status_code == 404, (resp.status_code, resp.headers, resp.text)
    body = resp.json()
    assert body["jsonrpc"] == "2.0" and "error" in body, body
