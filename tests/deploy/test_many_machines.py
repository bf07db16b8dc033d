"""The production shape on one machine, from `deploy/`: nginx in front of two web processes,
a separate mail worker, PostgreSQL and Redis. A forum runs through it end to end: sign-up,
registration and its mail, a breakout room whose members sit on different processes, a
follow-up campaign and a one-click unsubscribe, all through nginx's one public address."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import websockets

from meetup import ROOT
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, free_port

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

pytestmark = [
    pytest.mark.skipif(
        not (TEST_DATABASE_URL and TEST_REDIS_URL),
        reason="needs the PostgreSQL and Redis services (make test's second pass sets their URLs)",
    ),
    pytest.mark.skipif(NGINX is None, reason="needs the nginx service (Debian's nginx-light, which .ci/run installs)"),
]

ORGANIZER = ("shape-organizer@example.jp", "shape-organizer-password")


def nginx_config(template: str, listen: int, upstreams: list[int], workdir: Path) -> Path:
    """deploy/nginx.conf made runnable here: our ports, our static files, logs in `workdir`."""
    site = template.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    site = re.sub(r"server 127\.0\.0\.1:\d+ [^;]*;\n", "", site)
    servers = "".join(f"    server 127.0.0.1:{port} max_fails=3 fail_timeout=10s;\n" for port in upstreams)
    site = site.replace("    keepalive 32;", servers + "    keepalive 32;")
    site = site.replace("/srv/meetup/meetup/static/", f"{ROOT}/meetup/static/")
    main = f"""
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {workdir}/nginx-access.log;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    include /etc/nginx/mime.types;
{site}
}}
"""
    path = workdir / "nginx.conf"
    path.write_text(main)
    return path


def wait_up(url: str, processes: list[subprocess.Popen], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for process in processes:
            assert process.poll() is None, f"{process.args} exited"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer")


async def next_frame(ws, kind: str) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        if frame["type"] == kind:
            return frame


async def wait_for_mail(collector, count: int, seconds: float = 30) -> None:
    """Until `count` mails in all have arrived; then exactly that many (none sent twice)."""
    deadline = time.monotonic() + seconds
    while len(collector.envelopes) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert len(collector.envelopes) == count, f"{len(collector.envelopes)} mails arrived, wanted {count}"


def recipients(messages) -> list[str]:
    return sorted(str(m["To"].addresses[0].addr_spec) for m in messages)


async def test_a_forum_runs_through_nginx_two_web_processes_and_a_worker(database, smtp_server, tmp_path):
    collector, smtp_port = smtp_server
    public_port, web_ports = free_port(), [free_port(), free_port()]
    base_url = f"http://127.0.0.1:{public_port}"
    env = {
        **os.environ,
        "MEETUP_DATABASE_URL": TEST_DATABASE_URL,
        "MEETUP_REDIS_URL": TEST_REDIS_URL,
        "MEETUP_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "MEETUP_BASE_URL": base_url,
        "MEETUP_ENV": "test",  # prod's Secure cookies need the TLS that nginx would terminate
        "MEETUP_SECRET_KEY": "shape-secret-not-for-production",
        "MEETUP_INPROCESS_WORKER": "0",
        "MEETUP_MAIL_RATE": "50",
        "MEETUP_VAR_DIR": str(tmp_path / "var"),
    }

    def cli(*args: str) -> None:
        subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)

    cli("migrate")  # migrations on deploy: idempotent on an up-to-date database
    cli("create-organizer", ORGANIZER[0], "--password", ORGANIZER[1], "--name", "主催 花子")

    processes: list[subprocess.Popen] = []
    logs = {}
    try:
        for port in web_ports:
            logs[port] = tmp_path / f"web{port}.log"
            processes.append(
                subprocess.Popen(
                    [sys.executable, "main.py", "serve", "--host", "127.0.0.1", "--port", str(port), "--access-log"],
                    cwd=ROOT,
                    env=env,
                    stdout=logs[port].open("w"),
                    stderr=subprocess.STDOUT,
                )  # fmt: skip
            )
        processes.append(
            subprocess.Popen(
                [sys.executable, "main.py", "worker"],
                cwd=ROOT,
                env=env,
                stdout=(tmp_path / "worker.log").open("w"),
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        )
        for port in web_ports:
            await asyncio.to_thread(wait_up, f"http://127.0.0.1:{port}/healthz", processes)
        config = nginx_config((ROOT / "deploy" / "nginx.conf").read_text(), public_port, web_ports, tmp_path)
        processes.append(subprocess.Popen([NGINX, "-c", str(config), "-p", str(tmp_path), "-g", "daemon off;"]))
        await asyncio.to_thread(wait_up, f"{base_url}/healthz", processes)

        async def browser() -> httpx.AsyncClient:
            client = httpx.AsyncClient(base_url=base_url, timeout=30)
            await client.get("/healthz")
            client.headers["x-csrftoken"] = client.cookies["csrftoken"]
            return client

        static = await (await browser()).get("/static/css/site.css")
        assert static.status_code == 200 and static.headers["server"].startswith("nginx")

        boss = await browser()
        login = {"email": ORGANIZER[0], "password": ORGANIZER[1]}
        assert (await boss.post("/api/v1/auth/login", json=login)).status_code == 200
        forum = {
            "title": "東北コーディネーター・フォーラム 2027",
            "starts_at": "2027-03-01T13:00:00+09:00",
            "ends_at": "2027-03-01T16:00:00+09:00",
            "format": "online",
            "online_url": "https://meet.example/next",
            "capacity": 30,
            "registration_mode": "first_come",
            "status": "published",
        }
        created = await boss.post("/api/v1/events", json=forum)
        assert created.status_code == 201, created.text
        slug = created.json()["slug"]

        people = [await browser() for _ in range(4)]
        signups = await asyncio.gather(
            *(
                p.post("/api/v1/auth/signup", json={"email": f"shape{i}@example.jp", "password": "shape-password-1",
                                                    "display_name": f"参加者 {i}"})
                for i, p in enumerate(people)
            )
        )  # fmt: skip
        assert {s.status_code for s in signups} == {201}
        registrations = await asyncio.gather(*(p.post(f"/api/v1/events/{slug}/registration", json={}) for p in people))
        assert [r.json()["status"] for r in registrations] == ["confirmed"] * 4
        await wait_for_mail(collector, 4)  # the worker delivered every confirmation, with its .ics
        confirmations = collector.messages()
        assert recipients(confirmations) == [f"shape{i}@example.jp" for i in range(4)]  # one each
        assert all(any(a.get_filename().endswith(".ics") for a in m.iter_attachments()) for m in confirmations)
        assert "https://meet.example/next" in (await people[0].get(f"/api/v1/events/{slug}")).text

        room = await boss.post(f"/api/v1/events/{slug}/rooms", json={"name": "宮城の部屋"})
        room_id = room.json()["id"]
        ws_url = f"ws://127.0.0.1:{public_port}/ws/rooms/{room_id}"

        def cookie(client: httpx.AsyncClient) -> dict:
            return {"Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())}

        # Eight sockets through nginx's least_conn: members end up on both processes.
        sockets = [
            await websockets.connect(ws_url, additional_headers=cookie(people[i % 4]), origin=base_url)
            for i in range(8)
        ]
        for ws in sockets:
            await next_frame(ws, "hello")
        await sockets[0].send('{"type":"say","body":"nginx 越しに届きますか","client_id":"shape-1"}')
        for ws in sockets[1:]:
            assert (await next_frame(ws, "message"))["body"] == "nginx 越しに届きますか"
        for ws in sockets:
            await ws.close()

        thanks = {
            "subject": "{{ event_title }} のお礼",
            "body": "{{ name }} さん、ありがとう。",
            "audience": ["confirmed"],
        }
        campaign = await boss.post(f"/api/v1/events/{slug}/campaigns", json=thanks)
        assert campaign.json()["recipient_count"] == 4
        assert (await boss.post(f"/api/v1/campaigns/{campaign.json()['id']}/send")).status_code == 202
        await wait_for_mail(collector, 8)
        follow_ups = [m for m in collector.messages() if m["List-Unsubscribe"]]
        assert recipients(follow_ups) == [f"shape{i}@example.jp" for i in range(4)]  # one each
        progress = (await boss.get(f"/api/v1/campaigns/{campaign.json()['id']}")).json()
        assert progress["counts"] == {"queued": 0, "sent": 4, "failed": 0}

        # one click from a mailbox provider (no cookie) through nginx: that person gets no more
        [leaving] = recipients(follow_ups[:1])
        unsubscribe = follow_ups[0]["List-Unsubscribe"].strip().strip("<>")
        assert unsubscribe.startswith(base_url)
        one_click = await httpx.AsyncClient().post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
        assert one_click.status_code == 200
        for i, person in enumerate(people):
            mine = (await person.get("/api/v1/me/mail-preferences")).json()
            assert mine["followups"] is (f"shape{i}@example.jp" != leaving), (i, mine)
        again = await boss.post(f"/api/v1/events/{slug}/campaigns", json={**thanks, "subject": "次回のご案内"})
        assert again.json()["recipient_count"] == 3

        served = {port: logs[port].read_text().count('"POST /api/v1/') for port in web_ports}
        assert all(served.values()), f"both web processes took requests through nginx: {served}"
        ws_served = {port: logs[port].read_text().count("WebSocket /ws/rooms/") for port in web_ports}
        assert all(ws_served.values()), f"room members sat on both processes: {ws_served}"
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    for port in web_ports:
        assert "Traceback" not in logs[port].read_text(), logs[port].read_text()[-3000:]
