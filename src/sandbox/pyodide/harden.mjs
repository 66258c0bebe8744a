// @ts-check
/**
 * Locks down the Pyodide worker once its set-up code has run, so that Python cannot reach the
 * host: the recipe of shared/reference/pyodide-sandbox.md §7 plus what the escape suite
 * (test/sandbox/pyodide-escape.test.ts) found beyond it. After `harden()` the only JS objects
 * in the Python heap are the bridge functions, those cannot build code from strings, Node's
 * host-reaching modules are gone, and the shared JS intrinsics are frozen.
 *
 * This is defence in depth inside one process, not an OS boundary.
 */
import { createRequire } from 'node:module';

/** @param {any} pyodide the loaded Pyodide API object */
export function harden(pyodide) {
  dropJsModules(pyodide);
  neutralizePyodideApi(pyodide);
  disableHostAccess();
  blockCodeFromStrings();
  lockIntrinsics();
}

/**
 * No `js` / `pyodide_js` modules. Unregistering is not enough: start-up imports
 * `pyodide_js._api` (Pyodide's internal API, whose `public_api.mountNodeFS` mounts host
 * directories) as its own sys.modules entry; pyodide._package_loader and pyodide.webloop keep
 * JsProxies of it as globals; and the import system's JsLoader objects stay alive (found by
 * gc.get_objects()) holding `js` and `pyodide_js`. All of them go.
 * @param {any} pyodide
 */
function dropJsModules(pyodide) {
  pyodide.unregisterJsModule('js');
  pyodide.unregisterJsModule('pyodide_js');
  pyodide.runPython(`
import gc, sys
from pyodide.ffi import JsProxy
from _pyodide._importhook import JsLoader
for _name in [n for n in sys.modules if n.partition(".")[0] in ("js", "pyodide_js")]:
    del sys.modules[_name]
for _module in list(sys.modules.values()):
    _globals = getattr(_module, "__dict__", None)
    if isinstance(_globals, dict):
        for _key in [k for k, v in _globals.items() if isinstance(v, JsProxy)]:
            del _globals[_key]
gc.collect()
for _loader in gc.get_objects():
    if isinstance(_loader, JsLoader):
        _loader.jsproxy = None
del _name, _module, _globals, _loader, JsProxy, JsLoader
`);
}

/**
 * Should a JsProxy of the Pyodide API ever leak to Python again, the entry points that reach
 * the host (host directory mounts, Node sockets, package downloads, JS module registration)
 * are gone. The worker only needs checkInterrupt from here on.
 * @param {any} pyodide
 */
function neutralizePyodideApi(pyodide) {
  const disabled = () => {
    throw new Error('disabled in the sandbox');
  };
  for (const key of [
    'mountNodeFS',
    'mountNativeFS',
    'useNodeSockFS',
    'loadPackage',
    'loadPackagesFromImports',
    'registerJsModule',
    'unpackArchive',
  ]) {
    if (typeof pyodide[key] === 'function') pyodide[key] = disabled;
  }
  if (pyodide._api && typeof pyodide._api === 'object') pyodide._api.initializeNodeSockFS = disabled;
  const filesystems = pyodide.FS?.filesystems;
  if (filesystems) {
    delete filesystems.NODEFS;
    delete filesystems.NODESOCKFS;
  }
}

/**
 * What any FFI escape would look for in this realm: `require` (pyodide.mjs installs a shim
 * that hands out fs and child_process), builtin-module loaders, fetch, sockets (Emscripten's
 * socket emulation opens WebSockets through the bundled `ws`), and a host shell (`os.system`
 * ends in child_process.spawnSync).
 */
function disableHostAccess() {
  const requireFromPyodide = createRequire(import.meta.resolve('pyodide'));
  const childProcess = requireFromPyodide('node:child_process');
  childProcess.spawnSync = () => ({ status: 127, signal: null, output: [], pid: 0, stdout: '', stderr: '' });
  childProcess.spawn =
    childProcess.exec =
    childProcess.execSync =
    childProcess.execFileSync =
      () => {
        throw new Error('processes are disabled in the sandbox');
      };
  try {
    const wsPath = requireFromPyodide.resolve('ws');
    requireFromPyodide(wsPath);
    const cached = requireFromPyodide.cache[wsPath];
    if (cached) {
      cached.exports = function NoSockets() {
        throw new Error('network access is disabled in the sandbox');
      };
    }
  } catch {
    // ws not installed: the socket emulation has nothing to connect with
  }
  const anyGlobal = /** @type {any} */ (globalThis);
  delete anyGlobal.require;
  anyGlobal.fetch = undefined;
  anyGlobal.WebSocket = undefined;
  const anyProcess = /** @type {any} */ (process);
  for (const key of ['getBuiltinModule', 'binding', '_linkedBinding', 'dlopen']) anyProcess[key] = undefined;
}

/**
 * No function from a string: the `constructor` of every function kind is gone (the FFI
 * `anything.constructor.constructor("return process")()` escape), and so is `eval`, which
 * Emscripten's dynamic linker and emscripten_run_script call on strings (EM_JS code in a side
 * module that Python could write and load through ctypes).
 */
function blockCodeFromStrings() {
  const constructors = [Function, async () => {}, function* () {}, async function* () {}].map((fn) =>
    fn === Function ? Function : Object.getPrototypeOf(fn).constructor,
  );
  for (const ctor of constructors) {
    Object.defineProperty(ctor.prototype, 'constructor', {
      value: undefined,
      writable: false,
      configurable: false,
    });
  }
  /** @type {any} */ (globalThis).eval = undefined;
}

/**
 * Python reaches Object, Object.prototype and friends through any JsProxy (`.__proto__`,
 * `.constructor`) and can define JS functions (`create_proxy`). Left unfrozen, it can plant
 * getters on shared prototypes that then run inside Pyodide's and Node's internals; the escape
 * suite crashed the whole host process that way (a V8 fatal error in the deoptimizer). So the
 * ECMAScript intrinsics are frozen, as Node's --frozen-intrinsics would do (Workers reject
 * that flag). Node's own classes (MessagePort, URL, ...) are left alone: the bridge runs on
 * them. A few properties that code assigns on instances (`this.name = ...` in an Error
 * subclass) become accessors that define the property on the instance instead, so freezing
 * does not break that code (the "override mistake").
 */
function lockIntrinsics() {
  const { defineProperty, getOwnPropertyDescriptor, getPrototypeOf, preventExtensions } = Object;
  const generator = getPrototypeOf(function* () {});
  const asyncGenerator = getPrototypeOf(async function* () {});
  const anyGlobal = /** @type {any} */ (globalThis);
  const roots = [
    ...INTRINSICS.map((name) => anyGlobal[name]),
    ...Object.values(anyGlobal.WebAssembly),
    getPrototypeOf(Uint8Array), // %TypedArray%
    getPrototypeOf(getPrototypeOf([][Symbol.iterator]())), // %IteratorPrototype%
    getPrototypeOf([][Symbol.iterator]()),
    getPrototypeOf(new Map()[Symbol.iterator]()),
    getPrototypeOf(new Set()[Symbol.iterator]()),
    getPrototypeOf(''[Symbol.iterator]()),
    getPrototypeOf(/x/[Symbol.matchAll]('')),
    getPrototypeOf(async () => {}).constructor,
    generator.constructor,
    generator,
    generator.prototype,
    asyncGenerator.constructor,
    asyncGenerator,
    asyncGenerator.prototype,
    getPrototypeOf(asyncGenerator.prototype), // %AsyncIteratorPrototype%
  ].filter((value) => (typeof value === 'function' || typeof value === 'object') && value !== null);
  /** @type {Set<any>} */
  const targets = new Set();
  for (const value of roots) {
    targets.add(value);
    // Function.prototype is itself a function, hence no check of its type.
    if (typeof value === 'function' && value.prototype) targets.add(value.prototype);
  }
  for (const target of targets) {
    for (const key of Reflect.ownKeys(target)) {
      const descriptor = /** @type {PropertyDescriptor} */ (getOwnPropertyDescriptor(target, key));
      if (!descriptor.configurable) continue;
      if (target === Error && key === 'stackTraceLimit') {
        defineProperty(target, key, { configurable: false }); // stays writable: Pyodide's PythonError assigns it
      } else if ('value' in descriptor && descriptor.writable && overridable(target, key)) {
        const value = descriptor.value;
        defineProperty(target, key, {
          get() {
            return value;
          },
          set(next) {
            if (this === target) throw new TypeError(`Cannot assign to read only property '${String(key)}'`);
            defineProperty(this, key, { value: next, writable: true, enumerable: true, configurable: true });
          },
          enumerable: descriptor.enumerable,
          configurable: false,
        });
      } else if ('value' in descriptor) {
        defineProperty(target, key, { writable: false, configurable: false });
      } else {
        defineProperty(target, key, { configurable: false });
      }
    }
    preventExtensions(target);
  }
}

/** The ECMAScript intrinsics reachable by name (plus WebAssembly, which holds the memory cap). */
const INTRINSICS = [
  'Object',
  'Function',
  'Array',
  'Number',
  'Boolean',
  'String',
  'Symbol',
  'BigInt',
  'Date',
  'RegExp',
  'Promise',
  'Proxy',
  'Reflect',
  'JSON',
  'Math',
  'Atomics',
  'Error',
  'AggregateError',
  'EvalError',
  'RangeError',
  'ReferenceError',
  'SyntaxError',
  'TypeError',
  'URIError',
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'WeakRef',
  'FinalizationRegistry',
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Uint8Array',
  'Int8Array',
  'Uint16Array',
  'Int16Array',
  'Uint32Array',
  'Int32Array',
  'Float32Array',
  'Float64Array',
  'Uint8ClampedArray',
  'BigUint64Array',
  'BigInt64Array',
  'WebAssembly',
];

/**
 * Properties that code assigns on instances, kept assignable there. `constructor` only on
 * Object.prototype and Error prototypes: on Array or Promise it would turn off V8's species
 * fast paths.
 * @param {any} target
 * @param {string | symbol} key
 */
function overridable(target, key) {
  if (key === 'constructor')
    return target === Object.prototype || target === Error.prototype || target instanceof Error;
  return key === 'name' || key === 'message' || key === 'toString' || key === 'valueOf' || key === 'toJSON';
}
