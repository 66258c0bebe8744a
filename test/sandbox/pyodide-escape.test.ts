/**
 * Escape attempts from Python in the hardened Pyodide sandbox. Each one must fail in Python
 * and, where it would act on the host, leave the host untouched: no file written, no
 * connection made, no secret seen, no cached snapshot changed.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox } from '../../src/sandbox/create-sandbox.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { type LoopbackServer, startLoopbackServer, TEST_CACHE_DIR } from './support.js';

const SECRET = 'sk-planted-123';
const THIS_FILE = fileURLToPath(import.meta.url);
const HOST_FILE = join(tmpdir(), `fleet-rlm-escape-${process.pid}`);

/** Python that finds Object through the FFI (an Array iterator inherits Object's constructor). */
const FFI_PRELUDE = [
  'import json',
  'from pyodide.ffi import to_js, create_proxy, JsException',
  'Object = to_js([1]).entries().constructor',
  'bridge = [getattr(SUBMIT.__self__.transport, name) for name in ("_recv", "_send", "_take_payload", "sleep")]',
  'def attempt(fn):',
  '    try:',
  '        return "OK " + str(fn())',
  '    except BaseException as error:',
  '        return type(error).__name__ + " " + str(error)',
].join('\n');

describe('pyodide sandbox escape attempts', () => {
  let sandbox: Sandbox;
  let server: LoopbackServer;
  const logs: string[] = [];
  const python = async (code: string) => {
    const result = await sandbox.execute({ context: 'root', code, timeoutMs: 20_000 });
    expect(result.stateLost).toBeUndefined();
    return result;
  };
  /** Runs code that prints a JSON value and returns it. */
  const probe = async (code: string): Promise<unknown> => {
    const result = await python(`${FFI_PRELUDE}\n${code}`);
    expect(result.error, result.stderr).toBeUndefined();
    return JSON.parse(result.stdout);
  };

  beforeAll(async () => {
    process.env.FLEET_TEST_SECRET = SECRET;
    server = await startLoopbackServer();
    sandbox = await createSandbox({
      provider: 'pyodide',
      cacheDir: TEST_CACHE_DIR,
      log: (line) => logs.push(line),
    });
    await sandbox.start();
  });
  afterAll(async () => {
    await sandbox?.shutdown();
    await server?.close();
    delete process.env.FLEET_TEST_SECRET;
    rmSync(HOST_FILE, { force: true });
  });
  afterEach(() => {
    expect(existsSync(HOST_FILE)).toBe(false);
    expect(server.hits()).toBe(0);
  });

  it('has no js module', async () => {
    const result = await python('import js');
    expect(result.error?.type).toBe('ModuleNotFoundError');
    expect(result.error?.message).toBe("No module named 'js'");
  });

  it('has no pyodide_js module, nor its _api submodule left in sys.modules', async () => {
    for (const code of [
      'import pyodide_js',
      'import pyodide_js._api',
      'from pyodide_js import mountNodeFS',
    ]) {
      expect((await python(code)).error?.type).toBe('ModuleNotFoundError');
    }
    const left = await probe(
      'import sys\nprint(json.dumps([n for n in sys.modules if n.partition(".")[0] in ("js", "pyodide_js")]))',
    );
    expect(left).toEqual([]);
  });

  it('leaves no JS object in the Python heap but the four bridge functions', async () => {
    // A walk over everything the garbage collector knows and everything those objects refer to.
    const found = (await probe(
      [
        'import gc, sys',
        'from pyodide.ffi import JsProxy',
        'from _pyodide._importhook import JsLoader',
        'del bridge, Object',
        'gc.collect()',
        'seen, proxies, stack = set(), {}, list(gc.get_objects()) + [sys.modules]',
        'while stack:',
        '    item = stack.pop()',
        '    if id(item) in seen:',
        '        continue',
        '    seen.add(id(item))',
        '    if isinstance(item, JsProxy):',
        '        proxies[id(item)] = [item.typeof, str(item).split("(")[0]]',
        '        continue',
        '    stack.extend(gc.get_referents(item))',
        'loaders = [loader.jsproxy for loader in gc.get_objects() if isinstance(loader, JsLoader)]',
        'print(json.dumps({"proxies": sorted(proxies.values()), "loaders": [repr(p) for p in loaders]}))',
      ].join('\n'),
    )) as { proxies: [string, string][]; loaders: string[] };
    expect(found.proxies).toEqual([
      ['function', 'function recv'],
      ['function', 'function send'],
      ['function', 'function sleep'],
      ['function', 'function takePayload'],
    ]);
    expect(found.loaders.every((loader) => loader === 'None')).toBe(true);
  });

  it('blocks FFI constructor escapes through every JsProxy it can reach', async () => {
    // A JSON string is also a Python string literal.
    const write = JSON.stringify(
      `require('fs').writeFileSync(${JSON.stringify(HOST_FILE)}, 'x'); return process`,
    );
    const outcomes = (await probe(
      [
        'routes = {',
        `    "to_js": lambda: to_js([1]).constructor.constructor(${write})(),`,
        `    "bridge": lambda: [f.constructor(${write})() for f in bridge],`,
        `    "proto": lambda: getattr(bridge[0], "__proto__").constructor(${write})(),`,
        `    "descriptor": lambda: Object.getOwnPropertyDescriptor(getattr(bridge[1], "__proto__"), "constructor").value(${write})(),`,
        `    "create_proxy": lambda: create_proxy(lambda: 1).constructor.constructor(${write})(),`,
        `    "error": lambda: attempt(lambda: to_js([1]).nope()) and bridge[2](None),`,
        '}',
        'print(json.dumps({name: attempt(route) for name, route in routes.items()}))',
      ].join('\n'),
    )) as Record<string, string>;
    for (const [route, outcome] of Object.entries(outcomes)) {
      expect(outcome.startsWith('OK'), `${route}: ${outcome}`).toBe(false);
    }
    // `constructor` is undefined wherever a Function constructor used to be. Pyodide words the
    // failed call "Expected callable" when it is made as a method call on a JsProxy.
    const notCallable = /^TypeError ('NoneType' object is not callable|Expected callable)$/;
    for (const route of ['to_js', 'bridge', 'proto', 'descriptor', 'create_proxy']) {
      expect(outcomes[route], route).toMatch(notCallable);
    }
  });

  it('cannot plant getters on the shared JS intrinsics', async () => {
    // Left unfrozen, this crashed the whole host process (a V8 fatal error).
    const outcome = (await probe(
      [
        'getter = create_proxy(lambda *args: None, capture_this=True)',
        'descriptor = Object.fromEntries(to_js([["get", getter], ["configurable", True]]))',
        'targets = {"Object.prototype": Object.prototype, "Array.prototype": to_js([1]).constructor.prototype,',
        '           "Function.prototype": getattr(bridge[0], "__proto__")}',
        'print(json.dumps({',
        '    name: [attempt(lambda: Object.defineProperty(target, "then", descriptor)), Object.isFrozen(target)]',
        '    for name, target in targets.items()',
        '}))',
      ].join('\n'),
    )) as Record<string, [string, boolean]>;
    for (const [name, [defined, frozen]] of Object.entries(outcome)) {
      expect(defined, name).toMatch(
        /^JsException TypeError: Cannot define property then, object is not extensible/,
      );
      expect(frozen, name).toBe(true);
    }
  });

  it('sees no host environment and no host secret anywhere in its file system', async () => {
    const seen = (await probe(
      [
        'import os',
        'hits = []',
        'for root, dirs, files in os.walk("/"):',
        '    dirs[:] = [d for d in dirs if os.path.join(root, d) not in ("/dev", "/proc")]',
        '    for name in files:',
        '        path = os.path.join(root, name)',
        '        try:',
        '            with open(path, "rb") as handle:',
        `                if b"${SECRET}" in handle.read(4 * 2**20):`,
        '                    hits.append(path)',
        '        except OSError:',
        '            pass',
        'print(json.dumps({"environ": dict(os.environ), "hits": hits}))',
      ].join('\n'),
    )) as { environ: Record<string, string>; hits: string[] };
    expect(JSON.stringify(seen.environ)).not.toContain(SECRET);
    expect(seen.environ.FLEET_TEST_SECRET).toBeUndefined();
    expect(JSON.stringify(seen.environ)).not.toContain(process.cwd());
    expect(seen.hits).toEqual([]);
  });

  it('cannot run a host shell with os.system or os.popen', async () => {
    const outcome = await probe(
      `import os\nprint(json.dumps([os.system("touch ${HOST_FILE}"), attempt(lambda: os.popen("touch ${HOST_FILE}").read())]))`,
    );
    expect(outcome).toEqual([32512, 'OSError [Errno 138] emscripten does not support processes.']);
  });

  it('cannot start processes with subprocess', async () => {
    const outcome = await probe(
      [
        'import subprocess',
        `print(json.dumps([attempt(lambda: subprocess.run(["touch", "${HOST_FILE}"])),`,
        `                  attempt(lambda: subprocess.run("touch ${HOST_FILE}", shell=True))]))`,
      ].join('\n'),
    );
    expect(outcome).toEqual([
      'OSError [Errno 138] emscripten does not support processes.',
      'OSError [Errno 138] emscripten does not support processes.',
    ]);
  });

  it("sees an in-memory file system, not the host's", async () => {
    const outcome = (await probe(
      [
        'import os',
        `print(json.dumps({"passwd": attempt(lambda: open("/etc/passwd").read()), "this_test": attempt(lambda: open(${JSON.stringify(THIS_FILE)}).read()),`,
        '                  "root": sorted(os.listdir("/"))}))',
      ].join('\n'),
    )) as { passwd: string; this_test: string; root: string[] };
    expect(outcome.passwd).toMatch(/^FileNotFoundError/);
    expect(outcome.this_test).toMatch(/^FileNotFoundError/);
    expect(readFileSync(THIS_FILE, 'utf8')).toContain('in-memory file system'); // it is there on the host
    for (const hostDir of ['etc', 'usr', 'work', 'root']) expect(outcome.root).not.toContain(hostDir);
  });

  it('cannot reach a loopback server by socket, urllib or http.client', async () => {
    const outcome = (await probe(
      [
        'import socket, urllib.request, http.client',
        'def connect():',
        `    with socket.create_connection(("127.0.0.1", ${server.port}), timeout=3) as s:`,
        '        s.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n")',
        '        return s.recv(100)',
        'def http_client():',
        `    connection = http.client.HTTPConnection("127.0.0.1", ${server.port}, timeout=3)`,
        '    connection.request("GET", "/")',
        '    return connection.getresponse().read()',
        `print(json.dumps([attempt(connect), attempt(lambda: urllib.request.urlopen("http://127.0.0.1:${server.port}/", timeout=3).read()),`,
        '                  attempt(http_client)]))',
      ].join('\n'),
    )) as string[];
    expect(outcome[0]).toBe('OSError [Errno 23] Host is unreachable');
    expect(outcome[1]).toBe('URLError <urlopen error [Errno 23] Host is unreachable>');
    expect(outcome[2]).toBe('OSError [Errno 23] Host is unreachable');
  });

  it("cannot run JS through pyodide's own helpers", async () => {
    const outcome = await probe(
      [
        'import pyodide.code, pyodide.http, pyodide.ffi',
        `print(json.dumps([attempt(lambda: pyodide.code.run_js("require('fs').writeFileSync('${HOST_FILE}', 'x')")),`,
        `                  attempt(lambda: pyodide.http.open_url("http://127.0.0.1:${server.port}/")),`,
        '                  attempt(lambda: pyodide.ffi.register_js_module("escape", bridge[0]) or __import__("escape").constructor),',
        '                  attempt(lambda: pyodide.ffi.run_sync(None))]))',
      ].join('\n'),
    );
    expect(outcome).toEqual([
      "ModuleNotFoundError No module named 'js'",
      "NameError name 'XMLHttpRequest' is not defined",
      'OK None',
      expect.stringMatching(/^RuntimeError|TypeError/),
    ]);
  });

  it('cannot forge control messages to the host through the bridge', async () => {
    const snapshots = () =>
      readdirSync(TEST_CACHE_DIR).map((name) => [
        name,
        createHash('sha256')
          .update(readFileSync(join(TEST_CACHE_DIR, name)))
          .digest('hex'),
      ]);
    const before = snapshots();
    const memoryBefore = sandbox.stats().memoryBytes;
    const outcome = await probe(
      [
        'send = bridge[1]',
        'forged = [Object.fromEntries(to_js([["kind", "snapshot"], ["bytes", to_js(b"planted state")]])),',
        '          Object.fromEntries(to_js([["kind", "memory"], ["bytes", 1]]))]',
        'print(json.dumps([attempt(lambda: send(message)) for message in forged]))',
      ].join('\n'),
    );
    expect(outcome).toEqual(['OK None', 'OK None']);
    // They arrived as text lines, which the host rejects as malformed protocol.
    expect(logs.filter((line) => line.includes('[object Object]'))).toHaveLength(2);
    expect(snapshots()).toEqual(before);
    expect(sandbox.stats().memoryBytes).toBe(memoryBefore);
  });

  it('cannot reach eval through ctypes and emscripten_run_script (the worker dies instead)', async () => {
    await python('marker = 1');
    const script = `require('fs').writeFileSync('${HOST_FILE}', 'x')`;
    const result = await sandbox.execute({
      context: 'root',
      code: `import ctypes\nctypes.CDLL(None).emscripten_run_script(${JSON.stringify(script)}.encode())`,
    });
    expect(result.stateLost).toBe(true);
    expect(result.error?.type).toBe('SandboxRestarted');
    expect(result.error?.message).toContain('eval is not a function');
    // A fresh worker takes over, hardened again.
    expect((await python('marker')).error?.type).toBe('NameError');
    expect((await python('import js')).error?.type).toBe('ModuleNotFoundError');
  });
});
