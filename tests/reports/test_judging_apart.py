"""Uploads are judged in a process of their own (meetup/work_processes.py): the regular
expression over 20 MB and Pillow's decoding never run in the serving process, a judging
process that dies is replaced, and its refusals still come back in the person's language."""

from __future__ import annotations

import ast
import asyncio
import os
import signal
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from meetup import i18n
from meetup.errors import BadInput
from meetup.reports import files, judging
from meetup.work_processes import WorkProcess
from tests.reports.factories import HTML, png


@pytest.fixture
def judged():
    yield
    files.stop()


def judging_pids() -> list[int]:
    pool = files._judging._pool
    return [process.pid for process in (pool._processes or {}).values()] if pool else []


def in_language(locale: str, make):
    token = i18n._current.set(locale)
    try:
        return make()
    finally:
        i18n._current.reset(token)


def upload_at(directory: Path, content: bytes) -> Path:
    path = directory / ".upload-test"
    path.write_bytes(content)
    return path


async def test_a_picture_is_judged_in_another_process_and_written_again_beside_the_upload(tmp_path, judged):
    checked = await files.judge(upload_at(tmp_path, png(64, 48)))
    assert checked.kind == "png" and (checked.width, checked.height) == (64, 48)
    assert checked.path.parent == tmp_path and checked.path.read_bytes().startswith(b"\x89PNG")
    assert judging_pids() and os.getpid() not in judging_pids()


async def test_a_judging_process_that_died_is_replaced_and_the_next_upload_is_judged(tmp_path, judged):
    await files.judge(upload_at(tmp_path, png()))
    [first] = judging_pids()
    os.kill(first, signal.SIGKILL)
    checked = await files.judge(upload_at(tmp_path, png(10, 10)))
    assert checked.kind == "png" and checked.width == 10
    assert judging_pids() and first not in judging_pids()


async def test_refusals_come_back_in_the_persons_language(tmp_path, judged):
    english, japanese = (in_language(locale, lambda: str(files._refusal("html"))) for locale in ("en", "ja"))
    assert english != japanese
    for locale, said in (("ja", japanese), ("en", english)):
        token = i18n._current.set(locale)
        try:
            with pytest.raises(BadInput) as refused:
                await files.judge(upload_at(tmp_path, HTML))
        finally:
            i18n._current.reset(token)
        assert refused.value.field == "file" and str(refused.value) == said


async def test_every_reason_the_judge_gives_has_its_own_message():
    english = in_language("en", lambda: {reason: str(files._refusal(reason)) for reason in files.REASONS})
    assert len(set(english.values())) == len(files.REASONS)
    assert "larger than 20 MB" in english["too_large"]
    raised = {
        node.args[0].value
        for node in _calls_to(Path(judging.__file__).read_text(), "Refused")
        if node.args and hasattr(node.args[0], "value")
    }
    assert raised and raised <= set(files.REASONS)


async def test_stop_ends_a_task_under_way_and_the_next_one_starts_a_fresh_process():
    work = WorkProcess(preload="time")
    try:
        assert await work.run(os.getpid) != os.getpid()
        sleeping = asyncio.ensure_future(work.run(time.sleep, 30))
        while not work._waiting:  # handed over to the worker
            await asyncio.sleep(0.01)
        work.stop()
        with pytest.raises(BrokenProcessPool):  # abandoned, not tried again
            await asyncio.wait_for(sleeping, timeout=10)
        assert await work.run(os.getpid) != os.getpid()
    finally:
        work.stop()


def _calls_to(source: str, name: str):
    return [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name
    ]
