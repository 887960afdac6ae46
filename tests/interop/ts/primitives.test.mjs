// Interop test: resources, prompts, completions and elicitation with the official TypeScript MCP client
// (@modelcontextprotocol/sdk, pinned in package.json; legacy era, 2025-11-25) against the quickstart, over stdio and
// over Streamable HTTP.
//
//   cargo build --example quickstart
//   cd tests/interop/ts && npm ci && npm test
//
// Env:
//   MCP_SERVER_CMD  stdio server executable (default: <repo root>/target/debug/examples/quickstart)
//   MCP_SERVER_BIN  HTTP server executable (same default); `--http 127.0.0.1:PORT` is appended
//   RUST_LOG        passed through to the server (default: warn)
//
// The quickstart serves its notes as resources (notes://all, and the template notes://{number} with completions for
// `number`), a prompt summarize_notes (optional `style`, completed from short / detailed / "as a poem"), and a tool
// clear_notes that asks the user to confirm through elicitation (schema {confirm: boolean}). The client declares the
// `elicitation` capability and answers with client.setRequestHandler(ElicitRequestSchema, ...): the server sends
// elicitation/create while the call is open (over HTTP, on the call's own SSE stream) and uses the answer.
//
// Each transport gets one client (and one server); its tests run in order and share the notes they add.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEFAULT_SERVER = `${REPO_ROOT}target/debug/examples/quickstart`;
const SERVER_CMD = process.env.MCP_SERVER_CMD ?? DEFAULT_SERVER;
const SERVER_BIN = process.env.MCP_SERVER_BIN ?? DEFAULT_SERVER;
const SERVER_ENV = { RUST_LOG: process.env.RUST_LOG ?? 'warn', RUST_BACKTRACE: '1' };
const NOTES = ['buy milk', 'héllo ✓ "quoted"'];
const CONFIRM_PROPERTIES = { confirm: { type: 'boolean', description: 'Check to go ahead.' } };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ----------------------------------------------------------------------------------------------------------------
// Connections: a wire tap on the transport, and for HTTP a recording fetch that also notes which JSON-RPC messages
// each SSE response carried (so a test can tell on which stream a server-to-client request arrived).
// ----------------------------------------------------------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const accepts = (port) =>
  new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    sock.once('connect', () => { sock.destroy(); resolve(true); });
    sock.once('error', () => resolve(false));
  });

/** Starts `quickstart --http 127.0.0.1:PORT`; a port taken between picking and binding is retried. */
async function startHttpServer(conn) {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    conn.exited = null;
    const proc = spawn(SERVER_BIN, ['--http', `127.0.0.1:${port}`], {
      env: { ...process.env, ...SERVER_ENV },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    proc.stderr.on('data', (d) => { conn.stderr += d; });
    proc.once('exit', (code, signal) => { conn.exited = { code, signal }; });
    conn.proc = proc;
    const deadline = performance.now() + 10_000;
    while (performance.now() < deadline && !conn.exited) {
      if (await accepts(port)) return `http://127.0.0.1:${port}/mcp`;
      await sleep(20);
    }
    proc.kill('SIGKILL');
  }
  throw new Error(`quickstart --http did not start; its stderr:\n${conn.stderr}`);
}

/** Passes an SSE body through unchanged, recording the JSON-RPC message of every `data:` line into `events`. */
function tapEvents(body, events) {
  const decoder = new TextDecoder();
  let text = '';
  return body.pipeThrough(new TransformStream({
    transform(chunk, controller) {
      text += decoder.decode(chunk, { stream: true });
      let nl;
      while ((nl = text.indexOf('\n')) !== -1) {
        const line = text.slice(0, nl).replace(/\r$/, '');
        text = text.slice(nl + 1);
        if (line.startsWith('data:')) {
          try {
            events.push(JSON.parse(line.slice(5)));
          } catch {
            events.push({ unparsed: line });
          }
        }
      }
      controller.enqueue(chunk);
    },
  }));
}

function recordingFetch(conn) {
  return async (input, init = {}) => {
    let rpc;
    let id;
    if (typeof init.body === 'string') {
      try {
        const body = JSON.parse(init.body);
        rpc = body.method ?? 'response';
        id = body.id;
      } catch {
        rpc = '?';
      }
    }
    const entry = { method: init.method ?? 'GET', rpc, id, events: [] };
    conn.http.push(entry);
    const response = await fetch(input, init);
    entry.status = response.status;
    entry.contentType = response.headers.get('content-type') ?? undefined;
    if (entry.contentType?.startsWith('text/event-stream') && response.body) {
      return new Response(tapEvents(response.body, entry.events), {
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
      });
    }
    return response;
  };
}

/**
 * Connects a client over `kind` ('stdio' | 'http'). With `elicitation`, the client declares the capability and
 * answers elicitation/create with `conn.answer` (set by each test), recording each request in `conn.asked`.
 */
async function connect(kind, { elicitation = true } = {}) {
  const conn = { kind, wire: [], http: [], stderr: '', asked: [], answer: undefined, exited: null, errors: [] };
  let transport;
  if (kind === 'stdio') {
    if (!existsSync(SERVER_CMD)) throw new Error(`server binary not found: ${SERVER_CMD}`);
    transport = new StdioClientTransport({ command: SERVER_CMD, args: [], env: SERVER_ENV, stderr: 'pipe' });
    transport.stderr.on('data', (d) => { conn.stderr += d; });
  } else {
    if (!existsSync(SERVER_BIN)) throw new Error(`server binary not found: ${SERVER_BIN}`);
    const url = await startHttpServer(conn);
    transport = new StreamableHTTPClientTransport(new URL(url), { fetch: recordingFetch(conn) });
  }
  transport.onmessage = (msg) => conn.wire.push({ dir: 'S->C', msg });
  const send = transport.send.bind(transport);
  transport.send = (msg, opts) => {
    conn.wire.push({ dir: 'C->S', msg });
    return send(msg, opts);
  };

  const client = new Client(
    { name: 'mcp-toolkit-ts-primitives', version: '0.1.0' },
    { capabilities: elicitation ? { elicitation: {} } : {} },
  );
  client.onerror = (e) => conn.errors.push(e);
  if (elicitation) {
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      conn.asked.push(request.params);
      assert.ok(conn.answer, `unexpected elicitation: ${JSON.stringify(request.params)}`);
      return conn.answer;
    });
  }
  await client.connect(transport, { timeout: 10_000 });
  conn.client = client;
  conn.transport = transport;
  conn.close = async () => {
    await client.close().catch(() => {});
    if (conn.proc && !conn.exited) {
      conn.proc.kill('SIGTERM');
      let timer;
      await Promise.race([
        new Promise((r) => conn.proc.once('exit', r)),
        new Promise((r) => { timer = setTimeout(r, 5_000); }),
      ]);
      clearTimeout(timer);
      if (!conn.exited) conn.proc.kill('SIGKILL');
    }
    assert.doesNotMatch(conn.stderr, /panicked at/, `server panicked:\n${conn.stderr}`);
  };
  return conn;
}

const dump = (conn) =>
  conn.wire.map((w) => `${w.dir} ${JSON.stringify(w.msg)}`).join('\n') +
  (conn.http.length ? `\n-- HTTP\n${conn.http.map((e) => JSON.stringify(e)).join('\n')}` : '');

const text = (result) => {
  assert.equal(result.content.length, 1, JSON.stringify(result));
  assert.equal(result.content[0].type, 'text');
  return result.content[0].text;
};

/** Checks the one elicitation round trip the last clear_notes call made, on the wire (and over HTTP, its streams). */
async function checkElicitationWire(conn, answer) {
  const calls = conn.wire.filter((w) => w.dir === 'C->S' && w.msg.method === 'tools/call' && w.msg.params?.name === 'clear_notes');
  const callId = calls.at(-1).msg.id;
  const start = conn.wire.indexOf(calls.at(-1));
  const after = conn.wire.slice(start);
  const asks = after.filter((w) => w.dir === 'S->C' && w.msg.method === 'elicitation/create');
  assert.equal(asks.length, 1, dump(conn));
  const ask = asks[0].msg;
  assert.equal(ask.params.mode, 'form');
  assert.deepEqual(ask.params.requestedSchema.properties, CONFIRM_PROPERTIES);
  assert.deepEqual(ask.params.requestedSchema.required, ['confirm']);
  const replies = after.filter((w) => w.dir === 'C->S' && !w.msg.method && w.msg.id === ask.id);
  assert.equal(replies.length, 1, dump(conn));
  assert.deepEqual(replies[0].msg.result, answer);
  const response = after.findIndex((w) => w.dir === 'S->C' && !w.msg.method && w.msg.id === callId);
  assert.ok(after.indexOf(asks[0]) < after.indexOf(replies[0]) && after.indexOf(replies[0]) < response,
    'ask, then answer, then the result');

  if (conn.kind === 'http') {
    // The question travels on the tools/call POST's own SSE stream (not the session's GET stream), the answer is its
    // own POST (202), and the result ends the call's stream.
    const post = conn.http.findLast((e) => e.rpc === 'tools/call' && e.id === callId);
    assert.equal(post.status, 200);
    assert.match(post.contentType, /^text\/event-stream/, dump(conn));
    assert.deepEqual(post.events.map((m) => m.method ?? `response ${m.id}`), ['elicitation/create', `response ${callId}`],
      dump(conn));
    // The SDK does not wait for the answer's POST to be acknowledged, and the result may overtake its 202.
    const answerPost = conn.http.find((e) => e.rpc === 'response' && e.id === ask.id);
    assert.ok(answerPost, dump(conn));
    for (let i = 0; i < 100 && answerPost.status === undefined; i++) await sleep(20);
    assert.equal(answerPost.status, 202, dump(conn));
    const gets = conn.http.filter((e) => e.method === 'GET');
    assert.ok(gets.every((e) => !e.events.some((m) => m.method === 'elicitation/create')), 'asked on the GET stream');
  }
}

for (const kind of ['stdio', 'http']) {
  describe(`${kind}: resources, prompts, completions, elicitation`, () => {
    let conn;
    let client;

    before(async () => {
      conn = await connect(kind);
      client = conn.client;
    });

    after(async () => {
      if (process.env.INTEROP_WIRE_DUMP && conn) console.error(dump(conn));
      await conn?.close();
    });

    it('initialize: the server offers resources, prompts and completions', () => {
      const caps = client.getServerCapabilities();
      assert.equal(typeof caps?.resources, 'object');
      assert.equal(typeof caps?.prompts, 'object');
      assert.equal(typeof caps?.completions, 'object');
      const [init] = conn.wire.filter((w) => w.msg.method === 'initialize');
      assert.deepEqual(init.msg.params.capabilities, { elicitation: {} });
    });

    it('resources/list and resources/templates/list', async () => {
      const { resources, nextCursor } = await client.listResources();
      assert.equal(nextCursor, undefined);
      assert.deepEqual(resources, [{
        uri: 'notes://all',
        name: 'all_notes',
        description: 'Every note, oldest first, one per line.',
        mimeType: 'text/plain',
      }]);
      const { resourceTemplates } = await client.listResourceTemplates();
      assert.deepEqual(resourceTemplates, [{
        uriTemplate: 'notes://{number}',
        name: 'note',
        description: 'One note by its number (1 is the oldest).',
        mimeType: 'text/plain',
      }]);
    });

    it('resources/read notes://all and notes://{number} after adding notes; an unknown number is -32002', async () => {
      assert.deepEqual((await client.readResource({ uri: 'notes://all' })).contents,
        [{ uri: 'notes://all', mimeType: 'text/plain', text: '' }]);
      for (const [i, note] of NOTES.entries()) {
        assert.equal(text(await client.callTool({ name: 'add_note', arguments: { text: note } })), `saved note #${i + 1}`);
      }
      assert.deepEqual((await client.readResource({ uri: 'notes://all' })).contents,
        [{ uri: 'notes://all', mimeType: 'text/plain', text: NOTES.join('\n') }]);
      assert.deepEqual((await client.readResource({ uri: 'notes://1' })).contents,
        [{ uri: 'notes://1', mimeType: 'text/plain', text: NOTES[0] }]);
      assert.deepEqual((await client.readResource({ uri: 'notes://2' })).contents,
        [{ uri: 'notes://2', mimeType: 'text/plain', text: NOTES[1] }]);
      await assert.rejects(client.readResource({ uri: 'notes://3' }), (e) => {
        assert.ok(e instanceof McpError, String(e));
        assert.equal(e.code, -32002);
        assert.match(e.message, /there is no note #3/);
        return true;
      });
      await assert.rejects(client.readResource({ uri: 'other://1' }), (e) => {
        assert.ok(e instanceof McpError, String(e));
        assert.equal(e.code, -32002);
        assert.deepEqual(e.data, { uri: 'other://1' });
        return true;
      });
    });

    it('prompts/list and prompts/get summarize_notes with and without `style`', async () => {
      const { prompts } = await client.listPrompts();
      assert.deepEqual(prompts, [{
        name: 'summarize_notes',
        description: 'Ask the model to summarize the notes.',
        arguments: [{ name: 'style', description: 'How to summarize (short, detailed ...).', required: false }],
      }]);
      const body = NOTES.join('\n- ');
      const poem = await client.getPrompt({ name: 'summarize_notes', arguments: { style: 'as a poem' } });
      assert.deepEqual(poem.messages, [
        { role: 'user', content: { type: 'text', text: `Summarize these notes (as a poem):\n- ${body}` } },
      ]);
      const plain = await client.getPrompt({ name: 'summarize_notes' });
      assert.equal(plain.messages[0].content.text, `Summarize these notes (short):\n- ${body}`);
      await assert.rejects(client.getPrompt({ name: 'no_such_prompt' }),
        (e) => e instanceof McpError && e.code === ErrorCode.InvalidParams);
    });

    it('completion/complete: the prompt argument `style` and the template variable `number`', async () => {
      const style = (value) =>
        client.complete({ ref: { type: 'ref/prompt', name: 'summarize_notes' }, argument: { name: 'style', value } });
      const number = (value) =>
        client.complete({ ref: { type: 'ref/resource', uri: 'notes://{number}' }, argument: { name: 'number', value } });
      assert.deepEqual((await style('')).completion, { values: ['short', 'detailed', 'as a poem'], total: 3, hasMore: false });
      assert.deepEqual((await style('as')).completion.values, ['as a poem']);
      assert.deepEqual((await style('zzz')).completion.values, []);
      assert.deepEqual((await number('')).completion, { values: ['1', '2'], total: 2, hasMore: false });
      assert.deepEqual((await number('2')).completion.values, ['2']);
      assert.deepEqual((await number('9')).completion.values, []);
    });

    it('clear_notes, declined: the client is asked, answers decline, and the notes stay', async () => {
      conn.asked.length = 0;
      conn.answer = { action: 'decline' };
      const r = await client.callTool({ name: 'clear_notes', arguments: {} }, undefined, { timeout: 10_000 });
      assert.notEqual(r.isError, true);
      assert.equal(text(r), 'kept the notes');
      assert.equal(conn.asked.length, 1);
      assert.equal(conn.asked[0].message, `Forget all ${NOTES.length} notes?`);
      assert.deepEqual(conn.asked[0].requestedSchema.properties, CONFIRM_PROPERTIES);
      await checkElicitationWire(conn, { action: 'decline' });
      assert.equal((await client.readResource({ uri: 'notes://all' })).contents[0].text, NOTES.join('\n'));
    });

    it('clear_notes, accepted with confirm: false: the notes stay', async () => {
      conn.answer = { action: 'accept', content: { confirm: false } };
      const r = await client.callTool({ name: 'clear_notes', arguments: {} }, undefined, { timeout: 10_000 });
      assert.equal(text(r), 'kept the notes');
      await checkElicitationWire(conn, { action: 'accept', content: { confirm: false } });
      assert.equal((await client.readResource({ uri: 'notes://1' })).contents[0].text, NOTES[0]);
    });

    it('clear_notes, accepted with confirm: true: the notes are gone', async () => {
      conn.asked.length = 0;
      conn.answer = { action: 'accept', content: { confirm: true } };
      const r = await client.callTool({ name: 'clear_notes', arguments: {} }, undefined, { timeout: 10_000 });
      assert.notEqual(r.isError, true);
      assert.equal(text(r), `forgot ${NOTES.length} notes`);
      assert.equal(conn.asked.length, 1);
      await checkElicitationWire(conn, { action: 'accept', content: { confirm: true } });
      assert.equal((await client.readResource({ uri: 'notes://all' })).contents[0].text, '');
      await assert.rejects(client.readResource({ uri: 'notes://1' }), (e) => e instanceof McpError && e.code === -32002);
      assert.deepEqual((await client.callTool({ name: 'list_notes', arguments: {} })).structuredContent, { notes: [], count: 0 });
      conn.answer = undefined;
    });

    it('no stray client errors', () => {
      assert.deepEqual(conn.errors.map((e) => e.message), [], dump(conn));
    });
  });
}

describe('without the elicitation capability', () => {
  for (const kind of ['stdio', 'http']) {
    it(`${kind}: clear_notes does not ask, and reports that it could not`, async () => {
      const conn = await connect(kind, { elicitation: false });
      try {
        await conn.client.callTool({ name: 'add_note', arguments: { text: 'keep me' } });
        const r = await conn.client.callTool({ name: 'clear_notes', arguments: {} });
        assert.equal(r.isError, true);
        assert.match(text(r), /elicitation/);
        assert.deepEqual(conn.wire.filter((w) => w.dir === 'S->C' && w.msg.method && w.msg.id !== undefined), [],
          'no server-to-client request');
        assert.equal((await conn.client.readResource({ uri: 'notes://all' })).contents[0].text, 'keep me');
      } finally {
        await conn.close();
      }
    });
  }
});
