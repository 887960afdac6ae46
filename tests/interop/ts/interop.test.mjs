// Interop test: the official TypeScript MCP client (@modelcontextprotocol/sdk, pinned in package.json)
// drives the `quickstart` example over stdio.
//
//   cargo build --example quickstart
//   cd tests/interop/ts && npm ci && npm test
//
// Env:
//   MCP_SERVER_CMD  server executable (default: <repo root>/target/debug/examples/quickstart)
//   RUST_LOG        passed through to the server (default: warn)
//
// The SDK's stdio transport does NOT inherit process.env (only HOME, LOGNAME, PATH, SHELL, TERM, USER), so the
// server's env is set explicitly below. Server stderr is piped and always drained: a Rust server writing to a full
// stderr pipe blocks.
//
// Top-level tests in one file run in order and share one client and one server process; later tests rely on the
// state left by earlier ones (tools/list cached for output validation, notes saved, logging level).
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import {
  ErrorCode,
  LATEST_PROTOCOL_VERSION,
  LoggingMessageNotificationSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SERVER_CMD = process.env.MCP_SERVER_CMD ?? `${REPO_ROOT}target/debug/examples/quickstart`;
const EXPECTED_TOOLS = ['add', 'add_note', 'clear_notes', 'countdown', 'divide', 'list_notes'];

// How long after a cancel a progress notification already in the pipe may still show up.
const IN_FLIGHT_MS = 100;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Notification handlers in the SDK run on a later microtask; give them a turn of the event loop.
const settle = () => sleep(20);

let client;
let transport;
let stderrBuf = '';
let closed = false; // set once the shutdown test has closed the client on purpose
let serverGone = false; // the transport closed (server exited or its stdout closed)
const clientErrors = []; // client.onerror: dropped/unparseable messages, late responses, unknown progress tokens
const logs = []; // notifications/message params, in arrival order
const wire = []; // every JSON-RPC message: { dir: 'C->S' | 'S->C', at: performance.now(), msg }
const validations = []; // every structuredContent validation the SDK ran: { schema, data, valid, errorMessage }

const wireIn = (pred) => wire.filter((w) => w.dir === 'S->C' && pred(w.msg));
const wireOut = (pred) => wire.filter((w) => w.dir === 'C->S' && pred(w.msg));
const dump = (entries) => entries.map((w) => `${w.dir} +${w.at.toFixed(0)}ms ${JSON.stringify(w.msg)}`).join('\n');

/** The id the client gave to the most recent tools/call of `name`. */
function lastCallId(name) {
  const calls = wireOut((m) => m.method === 'tools/call' && m.params?.name === name);
  assert.ok(calls.length > 0, `no tools/call ${name} on the wire`);
  return calls.at(-1).msg.id;
}

/** Everything the server sent about request `id` (its response, or progress for it) at or after `since`. */
function trafficFor(id, since) {
  return wireIn(
    (m) => m.id === id || (m.method === 'notifications/progress' && m.params?.progressToken === id),
  ).filter((w) => w.at >= since);
}

/** Wraps the SDK's default (ajv) validator so the test can see that structuredContent really was validated. */
class RecordingValidator {
  #inner = new AjvJsonSchemaValidator();
  getValidator(schema) {
    const validate = this.#inner.getValidator(schema);
    return (data) => {
      const r = validate(data);
      validations.push({ schema, data, valid: r.valid, errorMessage: r.errorMessage });
      return r;
    };
  }
}

before(async () => {
  if (!existsSync(SERVER_CMD)) {
    throw new Error(`server binary not found: ${SERVER_CMD}\nrun \`cargo build --example quickstart\` or set MCP_SERVER_CMD`);
  }
  transport = new StdioClientTransport({
    command: SERVER_CMD,
    args: [],
    env: { RUST_LOG: process.env.RUST_LOG ?? 'warn', RUST_BACKTRACE: '1' },
    stderr: 'pipe',
  });
  transport.stderr.on('data', (d) => { stderrBuf += d; }); // the PassThrough exists before start()
  // Wire tap. Protocol.connect() chains an onmessage that is already set, so this sees every incoming message
  // (including the initialize response) before the SDK does. Outgoing messages are tapped at send().
  transport.onmessage = (msg) => wire.push({ dir: 'S->C', at: performance.now(), msg });
  const send = transport.send.bind(transport);
  transport.send = (msg, opts) => {
    wire.push({ dir: 'C->S', at: performance.now(), msg });
    return send(msg, opts);
  };
  transport.onclose = () => { serverGone = true; }; // chained by Protocol.connect(), like onmessage

  client = new Client(
    { name: 'mcp-toolkit-ts-interop', version: '0.1.0' },
    { capabilities: {}, jsonSchemaValidator: new RecordingValidator() },
  );
  client.onerror = (e) => clientErrors.push(e);
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => { logs.push(n.params); });
  await client.connect(transport, { timeout: 10_000 }); // initialize + notifications/initialized
});

// If the server died, say so (with its stderr) instead of failing every later test with "Not connected".
beforeEach(() => {
  if (serverGone && !closed) throw new Error(`the server exited early; its stderr:\n${stderrBuf}`);
});

after(async () => {
  if (!closed) await client?.close();
  if (process.env.INTEROP_WIRE_DUMP) console.error(dump(wire));
});

test('initialize: serverInfo, protocolVersion 2025-11-25, capabilities tools + logging', () => {
  const info = client.getServerVersion();
  assert.equal(info?.name, 'quickstart');
  assert.match(info?.version ?? '', /^\d+\.\d+\.\d+/);

  // The client offered the latest version; the server must answer with it (the client has no getter for the
  // negotiated version over stdio, so read it off the wire).
  const [init] = wireOut((m) => m.method === 'initialize');
  assert.equal(init.msg.params.protocolVersion, LATEST_PROTOCOL_VERSION);
  assert.equal(LATEST_PROTOCOL_VERSION, '2025-11-25');
  const [resp] = wireIn((m) => m.id === init.msg.id);
  assert.deepEqual(Object.keys(resp.msg).sort(), ['id', 'jsonrpc', 'result'], 'no extra envelope keys');
  assert.equal(resp.msg.result.protocolVersion, '2025-11-25');

  const caps = client.getServerCapabilities();
  assert.equal(typeof caps?.tools, 'object', 'tools capability');
  assert.equal(typeof caps?.logging, 'object', 'logging capability');
  assert.match(client.getInstructions() ?? '', /countdown/);
  assert.equal(wireOut((m) => m.method === 'notifications/initialized').length, 1);
});

test('tools/list: SDK-valid, expected schemas, no $ref/$schema', async (t) => {
  // ajv prints `unknown format "uint" ignored ...` for schemars' non-standard formats while compiling the
  // outputSchema validators; unknown formats are to be ignored per JSON Schema, so keep them as diagnostics.
  const warnings = [];
  const warn = console.warn;
  console.warn = (...a) => warnings.push(a.join(' '));
  let result;
  try {
    result = await client.listTools(); // zod-validates every tool, compiles an ajv validator per outputSchema
  } finally {
    console.warn = warn;
  }
  for (const w of warnings) t.diagnostic(`ajv: ${w}`);
  for (const w of warnings) assert.match(w, /unknown format/, 'only unknown-format warnings expected from ajv');

  const { tools, nextCursor } = result;
  assert.equal(nextCursor, undefined);
  assert.deepEqual(tools.map((x) => x.name).sort(), EXPECTED_TOOLS);
  const byName = Object.fromEntries(tools.map((x) => [x.name, x]));

  // No JSON-Schema indirection or dialect markers anywhere: clients differ on $ref/$defs support.
  const forbidden = new Set(['$ref', '$schema', '$defs', 'definitions', '$id']);
  const walk = (node, path) => {
    if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        assert.ok(!forbidden.has(k), `${path}.${k} present`);
        walk(v, `${path}.${k}`);
      }
    }
  };
  for (const tool of tools) {
    assert.equal(typeof tool.description, 'string', `${tool.name} description`);
    assert.equal(tool.inputSchema.type, 'object', `${tool.name} inputSchema.type`);
    walk(tool.inputSchema, `${tool.name}.inputSchema`);
    if (tool.outputSchema) walk(tool.outputSchema, `${tool.name}.outputSchema`);
  }

  const { add, divide, add_note: addNote, list_notes: listNotes, countdown } = byName;
  assert.equal(add.description, 'Add two integers.');
  assert.deepEqual(add.inputSchema.required, ['a', 'b']);
  assert.equal(add.inputSchema.properties.a.type, 'integer');
  assert.equal(add.inputSchema.properties.a.description, 'The first addend.');
  assert.equal(add.inputSchema.properties.b.type, 'integer');
  assert.equal(add.inputSchema.properties.b.description, 'The second addend.');
  assert.deepEqual(add.outputSchema, { type: 'object', properties: { result: { type: 'integer' } }, required: ['result'] },
    'a bare i64 result is structured output wrapped as {"result": n}');
  assert.deepEqual(add.annotations, { readOnlyHint: true, idempotentHint: true, openWorldHint: false });

  assert.equal(divide.description, 'Divide `dividend` by `divisor`.');
  assert.deepEqual([...divide.inputSchema.required].sort(), ['dividend', 'divisor']);
  assert.equal(divide.inputSchema.properties.dividend.type, 'number');
  assert.equal(divide.inputSchema.properties.divisor.type, 'number');
  assert.deepEqual(divide.outputSchema, { type: 'object', properties: { result: { type: 'number' } }, required: ['result'] });

  assert.equal(addNote.description, 'Remember a note.');
  assert.deepEqual(addNote.inputSchema.required, ['text']);
  assert.equal(addNote.inputSchema.properties.text.type, 'string');
  assert.equal(addNote.inputSchema.properties.text.description, 'The text to remember.');
  assert.deepEqual(Object.keys(addNote.inputSchema.properties), ['text'], 'State<_> is not a parameter');
  assert.equal(addNote.annotations?.idempotentHint, false);

  assert.equal(listNotes.description, 'List the notes saved so far.');
  assert.deepEqual(listNotes.inputSchema.properties ?? {}, {});
  assert.ok(!listNotes.inputSchema.required?.length);
  const out = listNotes.outputSchema;
  assert.ok(out, 'list_notes declares an outputSchema');
  assert.equal(out.type, 'object');
  assert.deepEqual([...out.required].sort(), ['count', 'notes']);
  assert.equal(out.properties.notes.type, 'array');
  assert.equal(out.properties.notes.items.type, 'string');
  assert.equal(out.properties.notes.description, 'The notes, oldest first.');
  assert.equal(out.properties.count.type, 'integer');
  assert.equal(out.properties.count.description, 'How many there are.');

  assert.equal(countdown.description,
    'Count down from `from` to zero, one step every `step_ms` milliseconds, reporting progress.');
  assert.deepEqual(countdown.inputSchema.required, ['from'], 'step_ms has a serde default, so it is optional');
  assert.equal(countdown.inputSchema.properties.from.type, 'integer');
  assert.equal(countdown.inputSchema.properties.from.description, 'Where to start.');
  assert.equal(countdown.inputSchema.properties.step_ms.type, 'integer');
  assert.equal(countdown.inputSchema.properties.step_ms.default, 100);
  assert.equal(countdown.inputSchema.properties.step_ms.description, 'Milliseconds per step.');
  assert.deepEqual(Object.keys(countdown.inputSchema.properties).sort(), ['from', 'step_ms'],
    'RequestContext is not a parameter');
});

test('tools/call add: 2 + 3 = "5"', async () => {
  const r = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
  assert.notEqual(r.isError, true);
  assert.deepEqual(r.content, [{ type: 'text', text: '5' }]);
  assert.deepEqual(r.structuredContent, { result: 5 });
});

test('tools/call divide by zero: a result with isError, not a JSON-RPC error', async () => {
  const r = await client.callTool({ name: 'divide', arguments: { dividend: 1, divisor: 0 } });
  assert.equal(r.isError, true);
  assert.equal(r.content.length, 1);
  assert.equal(r.content[0].type, 'text');
  assert.match(r.content[0].text, /^cannot divide by zero: /);
  const ok = await client.callTool({ name: 'divide', arguments: { dividend: 7, divisor: 2 } });
  assert.notEqual(ok.isError, true);
  assert.equal(Number(ok.content[0].text), 3.5);
});

test('add_note + list_notes: structuredContent validated by the SDK against outputSchema', async () => {
  const a = await client.callTool({ name: 'add_note', arguments: { text: 'first' } });
  assert.deepEqual(a.content, [{ type: 'text', text: 'saved note #1' }]);
  const b = await client.callTool({ name: 'add_note', arguments: { text: 'second ✓ "quoted"' } });
  assert.deepEqual(b.content, [{ type: 'text', text: 'saved note #2' }]);

  validations.length = 0;
  const r = await client.callTool({ name: 'list_notes', arguments: {} });
  assert.notEqual(r.isError, true);
  assert.deepEqual(r.structuredContent, { notes: ['first', 'second ✓ "quoted"'], count: 2 });
  // The SDK ran the outputSchema validator (cached by listTools above) on exactly this payload, and it passed.
  assert.equal(validations.length, 1, 'SDK validated structuredContent once');
  assert.equal(validations[0].valid, true, validations[0].errorMessage);
  assert.deepEqual(validations[0].data, r.structuredContent);
  // Back-compat: the text block carries the same JSON.
  assert.equal(r.content[0].type, 'text');
  assert.deepEqual(JSON.parse(r.content[0].text), r.structuredContent);
});

test('unknown tool: JSON-RPC error -32602', async () => {
  await assert.rejects(client.callTool({ name: 'no_such_tool', arguments: {} }), (e) => {
    assert.ok(e instanceof McpError, `McpError expected, got ${e}`);
    assert.equal(e.code, ErrorCode.InvalidParams);
    assert.match(e.message, /no_such_tool/);
    return true;
  });
  const [resp] = wireIn((m) => m.id === lastCallId('no_such_tool'));
  assert.ok(resp.msg.error && !('result' in resp.msg), dump([resp]));
});

test('ping', async () => {
  assert.deepEqual(await client.ping({ timeout: 5_000 }), {});
});

test('countdown with onprogress: increasing progress with total; no log messages before setLevel', async () => {
  const seen = [];
  const r = await client.callTool({ name: 'countdown', arguments: { from: 3, step_ms: 40 } }, undefined, {
    onprogress: (p) => seen.push(p),
    timeout: 10_000,
  });
  assert.deepEqual(r.content, [{ type: 'text', text: 'counted down from 3' }]);
  await settle();
  assert.ok(seen.length >= 2, `progress notifications: ${JSON.stringify(seen)}`);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i].progress > seen[i - 1].progress, 'progress increases');
  const expected = [
    { progress: 1, total: 3, message: '2 to go' },
    { progress: 2, total: 3, message: '1 to go' },
    { progress: 3, total: 3, message: '0 to go' },
  ];
  // onprogress may miss the last one: SDK 1.x dispatches notifications on a microtask but responses synchronously,
  // so when the final progress and the response arrive in one read, the response retires the handler first and the
  // progress goes to client.onerror as "unknown token" (client-side race, typescript-sdk issue #2580).
  assert.deepEqual(seen, expected.slice(0, seen.length));
  // On the wire the server sent every step, echoing our token (the request id), all before the response.
  const id = lastCallId('countdown');
  const traffic = trafficFor(id, 0);
  assert.deepEqual(
    traffic.map((w) => w.msg.params ?? { result: w.msg.result }),
    [...expected.map((p) => ({ progressToken: id, ...p })), { result: r }],
    dump(traffic),
  );
  // quickstart sends notifications/message only once the client has asked for a level.
  assert.deepEqual(logs, [], 'no notifications/message before logging/setLevel');
});

test('logging/setLevel info: "countdown finished" arrives; warning filters it out', async () => {
  assert.deepEqual(await client.setLoggingLevel('info'), {});
  logs.length = 0;
  await client.callTool({ name: 'countdown', arguments: { from: 1, step_ms: 1 } });
  await settle();
  assert.ok(
    logs.some((l) => l.level === 'info' && l.data === 'countdown finished'),
    `logs: ${JSON.stringify(logs)}`,
  );

  await client.setLoggingLevel('warning');
  logs.length = 0;
  await client.callTool({ name: 'countdown', arguments: { from: 1, step_ms: 1 } });
  await settle();
  assert.deepEqual(logs, [], 'info message must be filtered at level warning');
  await client.setLoggingLevel('info');
});

test('cancel a slow countdown: server stops, sends nothing more for it, keeps serving', async () => {
  const ac = new AbortController();
  const seen = [];
  const p = client.callTool({ name: 'countdown', arguments: { from: 100, step_ms: 50 } }, undefined, {
    signal: ac.signal,
    onprogress: (x) => seen.push(x),
    timeout: 10_000,
  });
  await sleep(200);
  const id = lastCallId('countdown');
  assert.ok(seen.length >= 1, 'progress arrived before the cancel');

  const abortAt = performance.now();
  ac.abort('interop cancel');
  // The SDK rejects locally and at once, with RequestTimeout (-32001) even for a user abort.
  await assert.rejects(p, (e) => e instanceof McpError && e.code === ErrorCode.RequestTimeout && /interop cancel/.test(e.message));
  const cancels = wireOut((m) => m.method === 'notifications/cancelled');
  assert.deepEqual(cancels.at(-1).msg.params, { requestId: id, reason: 'interop cancel' });

  // A following call works, promptly.
  const t0 = performance.now();
  const r = await client.callTool({ name: 'add', arguments: { a: 40, b: 2 } }, undefined, { timeout: 5_000 });
  assert.deepEqual(r.content, [{ type: 'text', text: '42' }]);
  assert.ok(performance.now() - t0 < 1_000, 'server answered promptly after the cancel');

  // Watch the wire for 10 more countdown steps. Progress already in the pipe when the cancel went out may still
  // arrive (allow up to IN_FLIGHT_MS, two 50 ms steps, for a busy machine); after that, nothing for this request:
  // no progress (the work stopped) and never a response (spec: receivers SHOULD NOT respond to a cancelled request).
  await sleep(500);
  const late = trafficFor(id, abortAt);
  assert.ok(late.every((w) => w.msg.method === 'notifications/progress'), `response to a cancelled request:\n${dump(late)}`);
  assert.deepEqual(late.filter((w) => w.at - abortAt >= IN_FLIGHT_MS), [],
    `server kept working after the cancel:\n${dump(late)}`);
});

test('request timeout: SDK cancels; server stays quiet for it and keeps serving', async () => {
  const started = performance.now();
  await assert.rejects(
    client.callTool({ name: 'countdown', arguments: { from: 100, step_ms: 50 } }, undefined, {
      onprogress: () => {},
      timeout: 200,
    }),
    (e) => e instanceof McpError && e.code === ErrorCode.RequestTimeout && e.data?.timeout === 200,
  );
  const cancelAt = performance.now();
  const id = lastCallId('countdown');
  const cancels = wireOut((m) => m.method === 'notifications/cancelled');
  assert.equal(cancels.at(-1).msg.params.requestId, id);
  assert.ok(cancelAt - started < 1_000);
  assert.deepEqual(await client.ping({ timeout: 5_000 }), {});
  await sleep(300);
  const late = trafficFor(id, cancelAt);
  assert.ok(late.every((w) => w.msg.method === 'notifications/progress'), `response to a cancelled request:\n${dump(late)}`);
  assert.deepEqual(late.filter((w) => w.at - cancelAt >= IN_FLIGHT_MS), [],
    `server kept working after the cancel:\n${dump(late)}`);
});

test('shutdown: server exits promptly on stdin EOF, no panic, no stray client errors', async (t) => {
  const t0 = performance.now();
  await client.close(); // stdin.end(); SIGTERM only if the server is still alive after 2 s
  closed = true;
  const took = performance.now() - t0;
  assert.ok(took < 1_500, `server took ${took.toFixed(0)} ms to exit after stdin EOF`);
  if (stderrBuf) t.diagnostic(`server stderr:\n${stderrBuf}`);
  assert.doesNotMatch(stderrBuf, /panicked at/);
  // Allowed: "unknown token" for a countdown's progress that raced its response or its cancel (SDK issue #2580;
  // what the server sent after a cancel is policed on the wire above).
  const countdownIds = new Set(wireOut((m) => m.method === 'tools/call' && m.params?.name === 'countdown').map((w) => w.msg.id));
  const unexpected = clientErrors.filter((e) => {
    const m = /Received a progress notification for an unknown token: .*"progressToken":(\d+)/.exec(e.message);
    return !(m && countdownIds.has(Number(m[1])));
  });
  for (const e of clientErrors) t.diagnostic(`client.onerror: ${e.message}`);
  assert.deepEqual(unexpected.map((e) => e.message), [], 'client.onerror');
});
