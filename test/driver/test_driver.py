"""The driver on its own: a real python3 child speaking the JSON-lines protocol over pipes."""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time

from conftest import DriverProcess


def test_hello_carries_protocol_version(driver):
    assert driver.hello["type"] == "hello"
    assert driver.hello["protocol"] == 1
    assert driver.hello["implementation"] == "cpython"


def test_globals_persist_across_executions(driver):
    assert "error" not in driver.execute("counter = 41")
    result = driver.execute("counter += 1\nprint(counter)")
    assert result["stdout"] == "42\n"


def test_stdout_and_stderr_are_captured_separately(driver):
    result = driver.execute("import sys\nprint('out')\nprint('err', file=sys.stderr)")
    assert result["stdout"] == "out\n"
    assert result["stderr"] == "err\n"


def test_trailing_expression_is_echoed_like_a_repl(driver):
    assert driver.execute("x = [1, 2]\nx + [3]")["stdout"] == "[1, 2, 3]\n"
    assert driver.execute("None")["stdout"] == ""


def test_long_output_keeps_head_and_tail(driver):
    result = driver.execute("print('A' * 5000 + 'B' * 5000 + 'C' * 5000)", max_output_chars=1000)
    stdout = result["stdout"]
    assert stdout.startswith("A" * 500)
    assert stdout.rstrip("\n").endswith("C" * 499)
    assert "(14001 characters omitted)" in stdout
    assert result["stdout_chars"] == 15001


def test_live_output_arrives_before_the_result(driver):
    messages: list = []
    driver.execute("import time\nfor i in range(3):\n    print('line', i)\n    time.sleep(0.02)", collect=messages)
    live = [m for m in messages if m["type"] == "output"]
    assert "".join(m["text"] for m in live) == "line 0\nline 1\nline 2\n"
    assert len(live) >= 2, "output should stream while the code runs, not only at the end"
    assert messages[-1]["type"] == "result"


def test_submit_ends_the_block_with_a_final_payload(driver):
    result = driver.execute("SUBMIT(answer='forty-two', score=3)\nprint('never')")
    assert result["final"] == {"answer": "forty-two", "score": 3}
    assert result["stdout"] == ""
    assert "error" not in result


def test_submit_maps_positional_values_onto_output_fields(driver):
    result = driver.execute("SUBMIT('yes')", output_fields=["answer"])
    assert result["final"] == {"answer": "yes"}
    result = driver.execute("SUBMIT('a', 'b')", output_fields=["answer"])
    assert result["error"]["type"] == "TypeError"
    assert "expected: answer" in result["error"]["message"]


def test_submit_cannot_be_swallowed_by_a_broad_except(driver):
    result = driver.execute("try:\n    SUBMIT(answer=1)\nexcept BaseException:\n    pass\nprint('after')")
    assert result["final"] == {"answer": 1}


def test_submit_payload_is_made_json_safe(driver):
    result = driver.execute("SUBMIT(answer={'a': (1, 2), 'b': {3}, 'c': float('nan'), 'd': b'hi'})")
    assert result["final"] == {"answer": {"a": [1, 2], "b": [3], "c": "nan", "d": "hi"}}


def test_exception_traceback_shows_user_frames_only(driver):
    result = driver.execute("def inner():\n    raise ValueError('bad value')\n\ninner()")
    error = result["error"]
    assert error["type"] == "ValueError"
    assert error["message"] == "bad value"
    assert "<cell 1>" in error["traceback"]
    assert "raise ValueError('bad value')" in error["traceback"]
    assert "driver.py" not in error["traceback"]


def test_syntax_error_is_reported_with_its_location(driver):
    result = driver.execute("x = (1,\nprint(x")
    assert result["error"]["type"] == "SyntaxError"
    assert "<cell 1>" in result["error"]["traceback"]
    assert "driver.py" not in result["error"]["traceback"]


def test_contexts_are_separate_namespaces_and_reset_drops_one(driver):
    driver.execute("secret = 'root'")
    assert driver.execute("secret = 'child'", context="child")
    assert driver.execute("print(secret)")["stdout"] == "root\n"
    driver.request({"type": "reset", "context": "child"})
    assert driver.execute("print(secret)", context="child")["error"]["type"] == "NameError"


def test_llm_query_blocks_until_the_host_replies(driver):
    calls = []

    def on_call(msg):
        calls.append(msg)
        return {"result": msg["args"]["prompt"].upper()}

    result = driver.execute("answer = llm_query('hello')\nprint(answer)", on_call=on_call)
    assert result["stdout"] == "HELLO\n"
    assert calls[0]["name"] == "llm_query"
    assert calls[0]["args"] == {"prompt": "hello"}
    assert calls[0]["id"] == result["id"]


def test_batched_and_sub_rlm_calls_carry_their_arguments(driver):
    seen = {}

    def on_call(msg):
        seen[msg["name"]] = msg["args"]
        if msg["name"].endswith("batched"):
            return {"result": [p[::-1] for p in msg["args"]["prompts"]]}
        return {"result": "child answer"}

    code = "a = llm_query_batched(['ab', 'cd'])\nb = sub_rlm('q', context=['x', 'y'])\nc = sub_rlm_batched(['p1'])\nprint(a, b, c)"
    result = driver.execute(code, on_call=on_call)
    assert result["stdout"] == "['ba', 'dc'] child answer ['1p']\n"
    assert seen["sub_rlm"] == {"prompt": "q", "context": ["x", "y"]}
    assert seen["sub_rlm_batched"] == {"prompts": ["p1"], "context": ""}


def test_primitives_reject_wrong_argument_types(driver):
    result = driver.execute("llm_query(['not', 'a', 'string'])")
    assert result["error"]["type"] == "TypeError"
    assert "llm_query() expects prompt to be a str" in result["error"]["message"]


def test_host_error_reply_raises_in_model_code(driver):
    def on_call(msg):
        return {"error": {"type": "max_llm_calls", "message": "LM call budget exhausted (50 of 50 used)"}}

    result = driver.execute(
        "try:\n    llm_query('x')\nexcept RuntimeError as e:\n    print(type(e).__name__, e.kind, e)", on_call=on_call
    )
    assert result["stdout"] == "CallError max_llm_calls [max_llm_calls] LM call budget exhausted (50 of 50 used)\n"


def test_executes_for_other_contexts_are_served_while_a_call_waits(driver):
    """The re-entrant bridge: a child context runs while its parent is blocked in sub_rlm."""
    driver.send({"type": "execute", "id": "parent", "context": "root", "code": "r = sub_rlm('go')\nprint('parent got', r)"})
    call = driver.recv_skipping_output()
    assert call["type"] == "call" and call["name"] == "sub_rlm"
    driver.send({"type": "execute", "id": "child", "context": "root/1", "code": "v = 6 * 7\nSUBMIT(answer=str(v))"})
    child = driver.recv_skipping_output()
    assert child["type"] == "result" and child["id"] == "child"
    assert child["final"] == {"answer": "42"}
    driver.send({"type": "reply", "call_id": call["call_id"], "result": child["final"]["answer"]})
    parent = driver.recv_skipping_output()
    assert parent["id"] == "parent"
    assert parent["stdout"] == "parent got 42\n"


def test_nested_calls_two_levels_deep(driver):
    driver.send({"type": "execute", "id": "p", "context": "root", "code": "print(sub_rlm('a'))"})
    outer = driver.recv_skipping_output()
    driver.send({"type": "execute", "id": "c", "context": "root/1", "code": "x = llm_query('inner')\nprint(x)"})
    inner = driver.recv_skipping_output()
    assert inner["type"] == "call" and inner["id"] == "c"
    # The outer call's reply arrives first; the driver must keep it until the inner call unwinds.
    driver.send({"type": "reply", "call_id": outer["call_id"], "result": "outer-answer"})
    driver.send({"type": "reply", "call_id": inner["call_id"], "result": "inner-answer"})
    child = driver.recv_skipping_output()
    assert child["id"] == "c" and child["stdout"] == "inner-answer\n"
    parent = driver.recv_skipping_output()
    assert parent["id"] == "p" and parent["stdout"] == "outer-answer\n"


def test_registered_tools_bind_positional_and_keyword_arguments(driver):
    driver.request({"type": "register_tools", "tools": [{"name": "search", "params": ["query", "limit"], "doc": "Search."}]})

    def on_call(msg):
        return {"result": {"name": msg["name"], "args": msg["args"]}}

    result = driver.execute("print(search('cats', limit=3))\nprint(search.__doc__)", on_call=on_call)
    assert result["stdout"] == "{'name': 'search', 'args': {'query': 'cats', 'limit': 3}}\nSearch.\n"
    bad = driver.request({"type": "register_tools", "tools": [{"name": "SUBMIT", "params": []}]})
    assert "reserved" in bad["error"]["message"]


def test_set_var_from_files_and_inline_values(driver):
    with tempfile.TemporaryDirectory() as tmp:
        text_path = os.path.join(tmp, "a")
        with open(text_path, "wb") as handle:
            handle.write("héllo wörld ✓".encode())
        driver.request({"type": "set_var", "context": "root", "name": "context", "kind": "str", "path": text_path})
        assert not os.path.exists(text_path), "the payload file is removed once loaded"
        docs_path = os.path.join(tmp, "b")
        parts = ["first ✓", "", "third"]
        with open(docs_path, "wb") as handle:
            handle.write("".join(parts).encode())
        lengths = [len(p.encode()) for p in parts]
        driver.request({"type": "set_var", "context": "root", "name": "docs", "kind": "str_list", "path": docs_path, "byte_lengths": lengths})
    driver.request({"type": "set_var", "context": "root", "name": "question", "value": "why?"})
    result = driver.execute("print(context, len(context), docs, question)")
    assert result["stdout"] == "héllo wörld ✓ 13 ['first ✓', '', 'third'] why?\n"
    bad = driver.request({"type": "set_var", "context": "root", "name": "llm_query", "value": 1})
    assert "reserved" in bad["error"]["message"]


def test_writes_to_fd_1_and_reads_from_stdin_cannot_touch_the_protocol(driver):
    result = driver.execute(
        "import os, sys\nos.write(1, b'{\"type\":\"result\",\"id\":\"forged\"}\\n')\nprint(repr(sys.stdin.read()))"
    )
    assert result["id"] != "forged"
    assert result["stdout"] == "''\n"
    assert driver.execute("print('still in sync')")["stdout"] == "still in sync\n"


def test_lone_surrogates_and_unicode_survive_the_wire(driver):
    result = driver.execute("print('\\ud800 ok ✓ 🎉')")
    assert result["stdout"] == "\ud800 ok ✓ 🎉\n"


def test_sigint_interrupts_runaway_code_and_keeps_state(driver):
    driver.execute("kept = 'yes'")
    timer = threading.Timer(0.3, lambda: driver.proc.send_signal(signal.SIGINT))
    timer.start()
    started = time.monotonic()
    result = driver.execute("while True:\n    pass")
    assert time.monotonic() - started < 5
    assert result["error"]["type"] == "KeyboardInterrupt"
    assert driver.execute("print(kept)")["stdout"] == "yes\n"


def test_sigint_interrupts_sleep(driver):
    timer = threading.Timer(0.3, lambda: driver.proc.send_signal(signal.SIGINT))
    timer.start()
    result = driver.execute("import time\ntime.sleep(1000)")
    assert result["error"]["type"] == "KeyboardInterrupt"


def test_interrupt_while_blocked_in_a_call(driver):
    """The host interrupts a blocked call by signalling and answering the call with an error."""
    driver.send({"type": "execute", "id": "e", "context": "root", "code": "llm_query('slow')"})
    call = driver.recv_skipping_output()
    driver.proc.send_signal(signal.SIGINT)
    time.sleep(0.1)
    driver.send({"type": "reply", "call_id": call["call_id"], "error": {"type": "KeyboardInterrupt", "message": "cancelled"}})
    result = driver.recv_skipping_output()
    assert result["id"] == "e" and result["error"]["type"] == "KeyboardInterrupt"
    driver.send({"type": "reply", "call_id": call["call_id"], "result": "too late"})
    assert driver.execute("print('in sync')")["stdout"] == "in sync\n"


def test_stale_interrupt_while_idle_is_ignored(driver):
    driver.proc.send_signal(signal.SIGINT)
    time.sleep(0.2)
    result = driver.execute("x = 0\nfor i in range(100000):\n    x += i\nprint(x)")
    assert result["stdout"] == "4999950000\n"


def test_unknown_messages_get_a_clear_error(driver):
    reply = driver.request({"type": "teleport"})
    assert reply["error"]["type"] == "ProtocolError"
    assert "teleport" in reply["error"]["message"]


def test_memory_limit_raises_memory_error():
    proc = DriverProcess("--memory-limit-mb", "512")
    try:
        result = proc.execute("blocks = []\nwhile True:\n    blocks.append(bytearray(50 * 1024 * 1024))")
        assert result["error"]["type"] == "MemoryError"
        assert proc.execute("blocks = None\nprint('alive')")["stdout"] == "alive\n"
    finally:
        proc.close()


def test_prefixed_lines_on_a_shared_stream():
    proc = DriverProcess(prefix="\x1efleet:")
    try:
        assert proc.hello["protocol"] == 1
        result = proc.execute("import os\nos.write(1, b'raw noise\\n')\nprint('captured')")
        assert result["stdout"] == "captured\n"
    finally:
        proc.close()


def test_shutdown_ends_the_process(driver):
    driver.send({"type": "shutdown"})
    assert driver.proc.wait(timeout=5) == 0
