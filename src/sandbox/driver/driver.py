"""fleet-rlm sandbox driver: the Python half of the host-callback bridge.

One copy of this file runs inside every sandbox (CPython subprocess, Pyodide worker, Daytona
session). It owns the REPL namespaces (one per `context`), runs code with captured output,
turns `llm_query` / `sub_rlm` / tool calls into blocking host calls, and reports results.
Standard library only; runs on CPython >= 3.11 and on Pyodide.

Wire format: one JSON object per line (see src/sandbox/driver-protocol.ts for the schemas).
  host -> driver: execute, set_var, reset, register_tools, reply, shutdown
  driver -> host: hello, output, call, result, ack
While a call waits for its reply the driver keeps serving messages for other contexts, so a
child RLM can run in the same sandbox as its blocked parent.
"""

from __future__ import annotations

import ast
import builtins
import json
import linecache
import os
import signal
import sys
import time
import traceback

PROTOCOL_VERSION = 1
DEFAULT_MAX_OUTPUT_CHARS = 10_000
LIVE_OUTPUT_LIMIT = 1_000_000  # chars of live `output` per execution; the result keeps head+tail
LIVE_FLUSH_CHARS = 4096
LIVE_FLUSH_SECONDS = 0.005
RESERVED_NAMES = frozenset(
    {"llm_query", "llm_query_batched", "sub_rlm", "sub_rlm_batched", "SUBMIT", "print"}
)
_DRIVER_FILE = __file__ if "__file__" in globals() else "<fleet-driver>"


class CallError(RuntimeError):
    """A host callback failed; `kind` is the host's error type (e.g. `max_llm_calls`)."""

    def __init__(self, kind: str, message: str):
        super().__init__(f"[{kind}] {message}" if kind else message)
        self.kind = kind


class _Submit(BaseException):
    """Raised by SUBMIT so the rest of the block does not run (a BaseException, so
    `except Exception` in model code cannot swallow it)."""

    def __init__(self, payload: dict):
        super().__init__("SUBMIT")
        self.payload = payload


class _Shutdown(BaseException):
    pass


# ---------------------------------------------------------------------------- output capture


class OutputBuffer:
    """Keeps the head and tail of a stream (`limit` chars in all) and counts the rest."""

    def __init__(self, limit: int):
        self.head_limit = limit // 2
        self.tail_limit = limit - self.head_limit
        self.head: list[str] = []
        self.head_len = 0
        self.tail: list[str] = []
        self.tail_len = 0
        self.total = 0

    def write(self, text: str) -> None:
        self.total += len(text)
        room = self.head_limit - self.head_len
        if room > 0:
            piece = text[:room]
            self.head.append(piece)
            self.head_len += len(piece)
            text = text[room:]
            if not text:
                return
        self.tail.append(text)
        self.tail_len += len(text)
        if self.tail_len > 2 * self.tail_limit + 4096:
            joined = "".join(self.tail)[-self.tail_limit :]
            self.tail = [joined]
            self.tail_len = len(joined)

    def value(self) -> str:
        head = "".join(self.head)
        tail = "".join(self.tail)
        omitted = self.total - self.head_len - min(self.tail_len, self.tail_limit)
        if omitted <= 0:
            return head + tail
        return f"{head}\n... ({omitted} characters omitted) ...\n{tail[-self.tail_limit:]}"


class _Execution:
    """State of one running `execute` request (executions nest while calls wait)."""

    def __init__(self, driver: Driver, msg: dict):
        self.driver = driver
        self.id = msg["id"]
        self.context = msg.get("context", "root")
        limit = int(msg.get("max_output_chars") or DEFAULT_MAX_OUTPUT_CHARS)
        self.output_fields = list(msg.get("output_fields") or [])
        self.stdout = OutputBuffer(limit)
        self.stderr = OutputBuffer(limit)
        self.live_sent = 0
        self.live_pending: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self.live_pending_len = 0
        self.last_flush = 0.0
        self.submitted: dict | None = None

    def write(self, stream: str, text: str) -> None:
        (self.stdout if stream == "stdout" else self.stderr).write(text)
        if self.live_sent >= LIVE_OUTPUT_LIMIT:
            return
        self.live_pending[stream].append(text)
        self.live_pending_len += len(text)
        if self.live_pending_len >= LIVE_FLUSH_CHARS or (
            "\n" in text and time.monotonic() - self.last_flush >= LIVE_FLUSH_SECONDS
        ):
            self.flush_live()

    def flush_live(self) -> None:
        if not self.live_pending_len:
            return
        for stream in ("stdout", "stderr"):
            parts = self.live_pending[stream]
            if not parts:
                continue
            text = "".join(parts)
            parts.clear()
            room = LIVE_OUTPUT_LIMIT - self.live_sent
            if len(text) >= room:
                text = text[:room] + "\n[live output limit reached; the result keeps head and tail]\n"
            self.live_sent += len(text)
            self.driver.send({"type": "output", "id": self.id, "stream": stream, "text": text})
        self.live_pending_len = 0
        self.last_flush = time.monotonic()


class _StreamProxy:
    """Installed once as sys.stdout / sys.stderr; writes go to the innermost execution."""

    def __init__(self, driver: Driver, stream: str):
        self._driver = driver
        self._stream = stream
        self.encoding = "utf-8"
        self.errors = "replace"

    def write(self, text) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        execution = self._driver.current()
        if execution is not None:
            execution.write(self._stream, text)
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError("the sandbox's output stream has no file descriptor")

    def readable(self) -> bool:
        return False

    def writable(self) -> bool:
        return True


# ---------------------------------------------------------------------------- JSON helpers


def _json_safe(value, depth: int = 0):
    """Best-effort conversion of a SUBMIT/tool payload into JSON-compatible values."""
    if depth > 50:
        return repr(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else repr(value)
    if isinstance(value, dict):
        return {str(k): _json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return [_json_safe(v, depth + 1) for v in items]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    return repr(value)


def _dumps(msg: dict) -> str:
    # ensure_ascii keeps lone surrogates from model code encodable on every transport.
    return json.dumps(msg, ensure_ascii=True, separators=(",", ":"))


# ---------------------------------------------------------------------------- the driver


class Driver:
    def __init__(self, transport):
        self.transport = transport
        self.contexts: dict[str, dict] = {}
        self.cell_counts: dict[str, int] = {}
        self.tools: dict[str, dict] = {}
        self.executions: list[_Execution] = []
        self.waiting: list[str] = []
        self.stash: dict[str, dict] = {}
        self.call_seq = 0
        self.cells: list[str] = []
        self.stdout_proxy = _StreamProxy(self, "stdout")
        self.stderr_proxy = _StreamProxy(self, "stderr")

    # -- plumbing ------------------------------------------------------------------------

    def current(self) -> _Execution | None:
        return self.executions[-1] if self.executions else None

    def send(self, msg: dict) -> None:
        self.transport.send(_dumps(msg))

    def fd_write(self, stream: str, text: str) -> None:
        """Output written below sys.stdout (os.write, C code) lands in the current execution."""
        execution = self.current()
        if execution is not None:
            execution.write(stream, text)

    def hello(self) -> None:
        impl = "pyodide" if sys.platform == "emscripten" else sys.implementation.name
        self.send(
            {
                "type": "hello",
                "protocol": PROTOCOL_VERSION,
                "python": ".".join(map(str, sys.version_info[:3])),
                "implementation": impl,
            }
        )

    def serve(self) -> None:
        """Top-level loop: handle host messages until shutdown or end of input."""
        sys.stdout = self.stdout_proxy
        sys.stderr = self.stderr_proxy
        self.hello()
        while True:
            try:
                msg = self.transport.recv()
            except KeyboardInterrupt:
                continue  # a stale interrupt that arrived after its execution finished
            if msg is None:
                return
            try:
                self.handle(msg)
            except _Shutdown:
                return
            except KeyboardInterrupt:
                continue

    def handle(self, msg: dict) -> None:
        kind = msg.get("type")
        if kind == "execute":
            self.run_execute(msg)
        elif kind == "set_var":
            self.guarded_ack(msg, self.set_var)
        elif kind == "reset":
            self.guarded_ack(msg, self.reset)
        elif kind == "register_tools":
            self.guarded_ack(msg, self.register_tools)
        elif kind == "reply":
            pass  # a late reply for a call that was interrupted: drop it
        elif kind == "shutdown":
            raise _Shutdown()
        else:
            self.send({"type": "ack", "id": msg.get("id"), "error": _error_value("ProtocolError", f"unknown message type {kind!r}")})

    def guarded_ack(self, msg: dict, action) -> None:
        error = None
        try:
            action(msg)
        except _Shutdown:
            raise
        except BaseException as exc:  # noqa: BLE001 - reported to the host, never fatal
            error = _error_value(type(exc).__name__, str(exc))
        self.send_reliably({"type": "ack", "id": msg.get("id"), **({"error": error} if error else {})})

    def send_reliably(self, msg: dict) -> None:
        """Send even if an interrupt lands in driver code (the host drops duplicates)."""
        while True:
            try:
                self.send(msg)
                return
            except KeyboardInterrupt:
                continue

    # -- namespaces ----------------------------------------------------------------------

    def namespace(self, context: str) -> dict:
        ns = self.contexts.get(context)
        if ns is None:
            ns = {"__name__": "__main__", "__builtins__": builtins}
            self.contexts[context] = ns
            self.cell_counts[context] = 0
        ns.update(self.primitives())
        return ns

    def primitives(self) -> dict:
        funcs = {
            "llm_query": self.llm_query,
            "llm_query_batched": self.llm_query_batched,
            "sub_rlm": self.sub_rlm,
            "sub_rlm_batched": self.sub_rlm_batched,
            "SUBMIT": self.submit,
        }
        for name, spec in self.tools.items():
            funcs[name] = spec["func"]
        return funcs

    def set_var(self, msg: dict) -> None:
        name = msg["name"]
        if not isinstance(name, str) or not name.isidentifier() or name in RESERVED_NAMES:
            raise ValueError(f"cannot bind variable {name!r}: not an identifier or a reserved name")
        kind = msg.get("kind", "json")
        if "value" in msg:
            value = msg["value"]
        else:
            raw = self.transport.read_payload(msg)
            encoding = msg.get("encoding", "utf-8")
            if encoding not in ("utf-8", "latin-1"):
                raise ValueError(f"unknown text encoding {encoding!r}")
            if kind == "str":
                value = raw.decode(encoding)
            elif kind == "str_list":
                value, offset = [], 0
                view = memoryview(raw)
                for length in msg["byte_lengths"]:
                    value.append(str(view[offset : offset + length], encoding))
                    offset += length
                view.release()
            else:
                value = json.loads(raw)
            del raw
        self.namespace(msg.get("context", "root"))[name] = value

    def reset(self, msg: dict) -> None:
        context = msg.get("context", "root")
        if context == "*":
            self.contexts.clear()
            self.cell_counts.clear()
            return
        self.contexts.pop(context, None)
        self.cell_counts.pop(context, None)

    def register_tools(self, msg: dict) -> None:
        for spec in msg.get("tools", []):
            name = spec["name"]
            if not name.isidentifier() or name in RESERVED_NAMES:
                raise ValueError(f"cannot register tool {name!r}: not an identifier or a reserved name")
            self.tools[name] = {"func": self._make_tool(name, list(spec.get("params", [])), spec.get("doc"))}

    def _make_tool(self, name: str, params: list[str], doc: str | None):
        driver = self

        def tool(*args, **kwargs):
            if len(args) > len(params):
                raise TypeError(f"{name}() takes {len(params)} positional arguments but {len(args)} were given")
            bound = dict(zip(params, args))
            for key, value in kwargs.items():
                if key in bound:
                    raise TypeError(f"{name}() got multiple values for argument {key!r}")
                bound[key] = value
            return driver.call(name, _json_safe(bound))

        tool.__name__ = name
        tool.__qualname__ = name
        tool.__doc__ = doc or f"{name}({', '.join(params)}): a host tool."
        return tool

    # -- primitives exposed to model code ------------------------------------------------

    def llm_query(self, prompt: str) -> str:
        """Ask a sub-LM one question; returns its text answer."""
        _require_str("llm_query", "prompt", prompt)
        return self.call("llm_query", {"prompt": prompt})

    def llm_query_batched(self, prompts: list) -> list:
        """Ask a sub-LM many questions concurrently; answers come back in order.
        A failed item comes back as an "[ERROR] ..." string."""
        _require_str_list("llm_query_batched", prompts)
        return self.call("llm_query_batched", {"prompts": list(prompts)})

    def sub_rlm(self, prompt: str, context="") -> str:
        """Run a child RLM on `prompt` with its own REPL where `context` is a variable."""
        _require_str("sub_rlm", "prompt", prompt)
        return self.call("sub_rlm", {"prompt": prompt, "context": _json_safe(context)})

    def sub_rlm_batched(self, prompts: list, context="") -> list:
        """Run one child RLM per prompt (concurrently where the host can); answers in order."""
        _require_str_list("sub_rlm_batched", prompts)
        return self.call("sub_rlm_batched", {"prompts": list(prompts), "context": _json_safe(context)})

    def submit(self, *args, **kwargs):
        """SUBMIT(answer=...) ends the run with these output fields."""
        execution = self.current()
        fields = execution.output_fields if execution else []
        if args:
            if len(args) > len(fields):
                expected = ", ".join(fields) or "keyword arguments"
                raise TypeError(f"SUBMIT got {len(args)} positional values; expected: {expected}")
            for name, value in zip(fields, args):
                if name in kwargs:
                    raise TypeError(f"SUBMIT got multiple values for {name!r}")
                kwargs[name] = value
        payload = _json_safe(kwargs)
        if execution is not None:
            execution.submitted = payload
        raise _Submit(payload)

    # -- the blocking bridge --------------------------------------------------------------

    def call(self, name: str, args: dict):
        execution = self.current()
        if execution is None:
            raise RuntimeError(f"{name}() can only be called while code is executing")
        execution.flush_live()
        self.call_seq += 1
        call_id = f"{execution.id}.{self.call_seq}"
        self.waiting.append(call_id)
        try:
            self.send({"type": "call", "id": execution.id, "call_id": call_id, "name": name, "args": args})
            reply = self._wait_reply(call_id)
        finally:
            self.waiting.remove(call_id)
        error = reply.get("error")
        if error is not None:
            kind = error.get("type", "Error") if isinstance(error, dict) else "Error"
            message = error.get("message", "") if isinstance(error, dict) else str(error)
            if kind == "KeyboardInterrupt":
                raise KeyboardInterrupt(message)
            raise CallError(kind, message)
        return reply.get("result")

    def _wait_reply(self, call_id: str) -> dict:
        while True:
            if call_id in self.stash:
                return self.stash.pop(call_id)
            msg = self.transport.recv()
            if msg is None:
                raise _Shutdown()
            if msg.get("type") == "reply":
                target = msg.get("call_id")
                if target == call_id:
                    return msg
                if target in self.waiting:
                    self.stash[target] = msg  # an outer call's reply; it resumes when we unwind
                continue
            self.handle(msg)  # re-entrant: e.g. a child RLM's execute in another context

    # -- execute -------------------------------------------------------------------------

    def run_execute(self, msg: dict) -> None:
        """Run one execute request and always answer it exactly once (the host drops repeats)."""
        execution = _Execution(self, msg)
        self.executions.append(execution)
        result = None
        try:
            result = self._execute(execution, msg.get("code", ""))
        except KeyboardInterrupt:
            result = self._result(execution, 0.0, _error_value("KeyboardInterrupt", "execution interrupted"))
        finally:
            self.executions.pop()
        while True:
            try:
                execution.flush_live()
                break
            except KeyboardInterrupt:
                continue
        self.send_reliably(result)

    def _execute(self, execution: _Execution, code: str) -> dict:
        ns = self.namespace(execution.context)
        self.cell_counts[execution.context] = count = self.cell_counts.get(execution.context, 0) + 1
        filename = f"<cell {count}>" if execution.context == "root" else f"<{execution.context} cell {count}>"
        self._remember_source(filename, code)
        started = time.perf_counter()
        error = None
        final = None
        try:
            body, last = _compile_cell(code, filename)
            exec(body, ns)
            if last is not None:
                value = eval(last, ns)
                if value is not None:
                    execution.write("stdout", repr(value) + "\n")
        except _Submit as submit:
            final = submit.payload
        except SyntaxError as exc:
            error = _error_value(type(exc).__name__, str(exc), "".join(traceback.format_exception_only(type(exc), exc)))
        except BaseException as exc:  # noqa: BLE001 - model code errors are values
            if isinstance(exc, _Shutdown):
                raise
            error = _error_value(type(exc).__name__, str(exc), _user_traceback(exc))
        if final is None and execution.submitted is not None:
            final = execution.submitted  # SUBMIT was called but its signal was swallowed
        return self._result(execution, started, error, final)

    def _result(self, execution: _Execution, started: float, error=None, final=None) -> dict:
        result = {
            "type": "result",
            "id": execution.id,
            "stdout": execution.stdout.value(),
            "stderr": execution.stderr.value(),
            "stdout_chars": execution.stdout.total,
            "stderr_chars": execution.stderr.total,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3) if started else 0.0,
        }
        if error is not None:
            result["error"] = error
        if final is not None:
            result["final"] = final
        return result

    def _remember_source(self, filename: str, code: str) -> None:
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        self.cells.append(filename)
        if len(self.cells) > 200:
            linecache.cache.pop(self.cells.pop(0), None)


def _compile_cell(code: str, filename: str):
    """Compile a cell; a trailing expression is compiled apart so its value can be echoed."""
    tree = ast.parse(code, filename, "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = compile(ast.Expression(tree.body.pop().value), filename, "eval")
    return compile(tree, filename, "exec"), last


def _user_traceback(exc: BaseException) -> str:
    """Format a traceback without the driver's own frames."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != _DRIVER_FILE]
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)


def _error_value(kind: str, message: str, tb: str | None = None) -> dict:
    return {"type": kind, "message": message, "traceback": tb if tb is not None else f"{kind}: {message}\n"}


def _require_str(func: str, arg: str, value) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{func}() expects {arg} to be a str, got {type(value).__name__}")


def _require_str_list(func: str, values) -> None:
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        raise TypeError(f"{func}() expects a list of str prompts")


# ---------------------------------------------------------------------------- transports


class StreamTransport:
    """JSON lines over file descriptors (CPython subprocess, Daytona session).

    `prefix` marks protocol lines when they share a stream with other output. SIGINT raises
    KeyboardInterrupt only where model code is running; while the driver itself reads or writes
    the protocol it is deferred (a frame is never cut in half and no line is lost) and raised as
    soon as that I/O completes, if model code is still on the stack. Otherwise it is stale and
    dropped.
    """

    def __init__(self, fd_in: int, fd_out: int, prefix: str = ""):
        self.fd_in = fd_in
        self.fd_out = fd_out
        self.prefix = prefix.encode("ascii")
        self.buffer = bytearray()
        self.in_io = False
        self.pending_interrupt = False
        self.code_running = lambda: False

    def install_signal_handler(self, code_running) -> None:
        self.code_running = code_running
        signal.signal(signal.SIGINT, self._on_sigint)

    def _on_sigint(self, signum, frame):
        if self.in_io or not self.code_running():
            self.pending_interrupt = True
            return
        raise KeyboardInterrupt()

    def _deliver_pending(self) -> None:
        if self.pending_interrupt:
            self.pending_interrupt = False
            if self.code_running():
                raise KeyboardInterrupt()

    def send(self, line: str) -> None:
        data = self.prefix + line.encode("ascii") + b"\n"
        self.in_io = True
        try:
            view = memoryview(data)
            while view:
                written = os.write(self.fd_out, view)
                view = view[written:]
        finally:
            self.in_io = False
        self._deliver_pending()

    def recv(self) -> dict | None:
        self.in_io = True
        try:
            while True:
                newline = self.buffer.find(b"\n")
                if newline >= 0:
                    line = bytes(self.buffer[:newline])
                    del self.buffer[: newline + 1]
                    if line.strip():
                        break
                    continue
                chunk = os.read(self.fd_in, 1 << 20)
                if not chunk:
                    return None
                self.buffer += chunk
        finally:
            self.in_io = False
        if self.pending_interrupt and self.code_running():
            self.buffer[0:0] = line + b"\n"  # keep the line for the next read
            self._deliver_pending()
        self.pending_interrupt = False
        return json.loads(line)

    def read_payload(self, msg: dict) -> bytes:
        path = msg["path"]
        try:
            with open(path, "rb") as handle:
                return handle.read()
        finally:
            try:
                os.unlink(path)
            except OSError:
                pass


class JsTransport:
    """Pyodide: blocking functions provided by the worker (Atomics.wait on a shared buffer)."""

    def __init__(self, recv, send, take_payload, sleep):
        self._recv = recv
        self._send = send
        self._take_payload = take_payload
        self.sleep = sleep

    def send(self, line: str) -> None:
        self._send(line)

    def recv(self) -> dict | None:
        raw = self._recv()
        return None if raw is None else json.loads(raw)

    def read_payload(self, msg: dict):
        # to_bytes copies straight into a fresh bytes object: no zero-fill pass first.
        return self._take_payload(msg["id"]).to_bytes()


def create_pyodide_driver(recv, send, take_payload, sleep) -> Driver:
    """Entry point used by the Pyodide worker; it then calls `serve()` on the driver."""
    transport = JsTransport(recv, send, take_payload, sleep)
    time.sleep = lambda seconds: transport.sleep(float(seconds))
    return Driver(transport)


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="fleet-rlm sandbox driver")
    parser.add_argument("--fd-in", type=int, default=0, help="descriptor the host writes requests to")
    parser.add_argument("--fd-out", type=int, default=1, help="descriptor for protocol output")
    parser.add_argument("--prefix", default="", help="marker before each protocol line (shared streams)")
    parser.add_argument("--memory-limit-mb", type=int, default=0, help="address-space cap (RLIMIT_AS)")
    options = parser.parse_args(argv)
    _die_with_parent()
    if options.memory_limit_mb > 0:
        import resource

        cap = options.memory_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    fd_out = options.fd_out
    if fd_out == 1:
        # Protocol on stdout: keep a private copy and point fd 1 at stderr so that model code
        # (or a C extension) writing to fd 1 can never corrupt the protocol stream.
        fd_out = os.dup(1)
        os.dup2(2, 1)
    fd_in = options.fd_in
    if fd_in != 0:
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)  # model code reading stdin gets EOF, not protocol frames
        os.close(devnull)
    transport = StreamTransport(fd_in, fd_out, options.prefix)
    driver = Driver(transport)
    transport.install_signal_handler(lambda: driver.current() is not None)
    driver.serve()
    return 0


def _die_with_parent() -> None:
    """Linux: end with the host even if model code is stuck in a loop when the host dies."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort
        pass


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
