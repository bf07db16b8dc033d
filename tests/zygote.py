"""`main.py` commands in processes forked from one that has imported the app already.

A browser test's server is `python main.py serve`; a new interpreter spends some two seconds of
CPU importing Litestar, Piccolo and the app (and loading pykakasi's dictionaries) before it
serves. The zygote (`python -m tests.zygote`, one per test process, started on first use) does
that once; each server is then a fork of it that takes its own environment, working directory
and log file, and runs `main.main(args)` as `python main.py ARGS` would. Only for single-process
commands: a fork of the zygote never starts with an event loop or threads of its parent.

The protocol is one JSON line each way on the zygote's stdin/stdout:
    {"start": [args…], "env": {…}, "cwd": "…", "log": "…"} → {"pid": N}
    {"poll": N} → {"status": exit code, or null while it runs}
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from meetup import ROOT


class Forked:
    """A process the zygote forked, with the part of `subprocess.Popen` the tests use."""

    def __init__(self, zygote: Zygote, pid: int):
        self.zygote = zygote
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.zygote.ask({"poll": self.pid})["status"]
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"forked main.py (pid {self.pid})", timeout)
            time.sleep(0.05)
        return self.returncode  # type: ignore[return-value]


class Zygote:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.process: subprocess.Popen | None = None

    def ask(self, request: dict) -> dict:
        with self.lock:
            if self.process is None or self.process.poll() is not None:
                self.process = subprocess.Popen(
                    [sys.executable, "-u", "-m", "tests.zygote"],
                    cwd=ROOT,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            assert self.process.stdin and self.process.stdout
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
            if not answer:
                raise RuntimeError("the zygote process ended")
            return json.loads(answer)

    def start(
        self, args: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT, err: Path | None = None
    ) -> Forked:
        """`python main.py ARGS` with exactly `env`, output into `log` (its stderr into `err` if given)."""
        request = {"start": args, "env": env, "cwd": str(cwd), "log": str(log)}
        if err is not None:
            request["err"] = str(err)
        return Forked(self, self.ask(request)["pid"])

    def close(self) -> None:
        with self.lock:
            if self.process is not None:
                self.process.stdin.close()  # type: ignore[union-attr]
                self.process.wait(timeout=10)
                self.process = None


_zygote: Zygote | None = None


def start_main(args: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT, err: Path | None = None) -> Forked:
    """`python main.py ARGS` as a fork of this test process's zygote (started on first use)."""
    global _zygote
    if _zygote is None:
        _zygote = Zygote()
        atexit.register(_zygote.close)
    return _zygote.start(args, env, log, cwd, err)


def run_main(args: list[str], env: dict[str, str], workdir: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """`subprocess.run([python, "main.py", *args], env=env, capture_output=True, text=True)`, forked
    from the zygote: a command that runs for a moment does not spend seconds importing first."""
    workdir.mkdir(parents=True, exist_ok=True)
    out, err = workdir / f"main-{os.getpid()}-{time.monotonic_ns()}.out", workdir / f"main-{time.monotonic_ns()}.err"
    code = start_main(args, env, out, err=err).wait(timeout)
    return subprocess.CompletedProcess(["main.py", *args], code, out.read_text(), err.read_text())


def _child(request: dict) -> int:
    import main

    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    out = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    err = os.open(request["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644) if "err" in request else out
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.close(null)
    os.close(out)
    if err != out:
        os.close(err)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    sys.argv = ["main.py", *request["start"]]
    try:
        return main.main(request["start"]) or 0
    except SystemExit as exit:
        return exit.code if isinstance(exit.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


def _warm_up() -> None:
    """What `main.py serve` imports and readies before and while it serves, done once here for
    every fork: an app built once (its first build also fills Litestar's and typing's caches, a
    fork's own build then costs a third), every template compiled, both catalogues read."""
    import uvicorn  # noqa: F401

    import main  # noqa: F401
    from meetup import app, i18n, templating
    from meetup.coordinators import service
    from meetup.settings import Settings

    service.warm_up()
    with tempfile.TemporaryDirectory() as var_dir:  # (an app makes its var/ and database folder at once)
        warm = Settings(
            env="test",
            secret_key="zygote-warm-up",
            base_url="http://zygote.invalid",
            database_url=f"sqlite:///{var_dir}/warm-up.sqlite3",
            var_dir=var_dir,
        )
        app.create_app(warm)
    environment = templating.environment()
    for name in environment.list_templates(extensions=("html", "txt", "xml")):
        environment.get_template(name)
    for locale in i18n.LOCALES:
        i18n.translations(locale)


def _serve() -> None:
    _warm_up()
    statuses: dict[int, int] = {}

    def reap() -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            statuses[pid] = os.waitstatus_to_exitcode(status)

    for line in sys.stdin:
        request = json.loads(line)
        if "start" in request:
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:
                os._exit(_child(request))
            answer: dict = {"pid": pid}
        else:
            reap()
            answer = {"status": statuses.get(request["poll"])}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve()
