"""Helpers for testing the sandbox driver on its own, over real pipes to a real python3."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

DRIVER = Path(__file__).resolve().parents[2] / "src" / "sandbox" / "driver" / "driver.py"


class DriverProcess:
    def __init__(self, *extra_args: str, prefix: str = ""):
        host_to_driver_r, self.to_driver = os.pipe()
        self.from_driver, driver_to_host_w = os.pipe()
        self.prefix = prefix.encode()
        args = [sys.executable, "-u", str(DRIVER)]
        if prefix:
            args += ["--fd-in", "0", "--fd-out", "1", "--prefix", prefix]
            self.proc = subprocess.Popen(args + list(extra_args), stdin=host_to_driver_r, stdout=driver_to_host_w, stderr=subprocess.PIPE)
        else:
            args += ["--fd-in", str(host_to_driver_r), "--fd-out", str(driver_to_host_w)]
            self.proc = subprocess.Popen(
                args + list(extra_args),
                pass_fds=(host_to_driver_r, driver_to_host_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        os.close(host_to_driver_r)
        os.close(driver_to_host_w)
        self.buffer = b""
        self.seq = 0
        self.hello = self.recv()

    def send(self, msg: dict) -> None:
        os.write(self.to_driver, (json.dumps(msg) + "\n").encode())

    def recv(self, timeout: float = 10.0) -> dict:
        while True:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                if self.prefix:
                    if not line.startswith(self.prefix):
                        continue  # not a protocol line
                    line = line[len(self.prefix) :]
                if line.strip():
                    return json.loads(line)
            ready, _, _ = select.select([self.from_driver], [], [], timeout)
            if not ready:
                raise TimeoutError("driver sent nothing")
            chunk = os.read(self.from_driver, 1 << 20)
            if not chunk:
                raise EOFError("driver closed its output")
            self.buffer += chunk

    def recv_skipping_output(self) -> dict:
        while True:
            msg = self.recv()
            if msg["type"] != "output":
                return msg

    def next_id(self) -> str:
        self.seq += 1
        return f"x{self.seq}"

    def execute(self, code: str, context: str = "root", on_call=None, collect=None, **fields) -> dict:
        """Run code; answer calls with on_call(msg) -> reply fields; return the result message."""
        exec_id = self.next_id()
        self.send({"type": "execute", "id": exec_id, "context": context, "code": code, **fields})
        while True:
            msg = self.recv()
            if collect is not None:
                collect.append(msg)
            if msg["type"] == "result" and msg["id"] == exec_id:
                return msg
            if msg["type"] == "call":
                reply = on_call(msg) if on_call else {"error": {"type": "NoHandler", "message": "no handler"}}
                if reply is not None:
                    self.send({"type": "reply", "call_id": msg["call_id"], **reply})

    def request(self, msg: dict) -> dict:
        msg = {"id": self.next_id(), **msg}
        self.send(msg)
        reply = self.recv()
        assert reply["type"] == "ack" and reply["id"] == msg["id"], reply
        return reply

    def close(self) -> None:
        try:
            self.send({"type": "shutdown"})
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self.to_driver)
        os.close(self.from_driver)


@pytest.fixture
def driver():
    proc = DriverProcess()
    yield proc
    proc.close()
