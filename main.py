"""NEXT TOHOKU MEETUP command line: serve | worker | migrate | seed | create-organizer | grant-admin."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import TYPE_CHECKING

from meetup.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from meetup.mail.worker import MailWorker


async def _with_database(coro_factory):
    from meetup import db, settings
    from meetup.coordinators import network_process
    from meetup.reports import files as report_files

    settings.use(load_settings())
    db.configure(settings.current())
    await db.open_database()
    try:
        return await coro_factory()
    finally:
        await db.close_database()
        # As the app's lifespan does: a worker the command started (the demo measures its network)
        # ends with it, and its forkserver with it, whatever way this process then exits.
        network_process.stop()
        report_files.stop()


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from meetup.rooms.limits import MAX_FRAME_BYTES, WS_PROTOCOL

    settings = load_settings()
    workers = args.workers
    if workers > 1 and settings.is_sqlite:
        print("note: SQLite serves from one process; use PostgreSQL (MEETUP_DATABASE_URL) for --workers > 1")
        workers = 1
    uvicorn.run(
        "meetup.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=workers,
        # The client address (rate limits) comes from X-Forwarded-For only when the proxy is trusted.
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_level="info",
        # A line per request costs a busy server some 3 % of its time; in production the proxy in
        # front (deploy/nginx.conf) logs every request already, so uvicorn's own is for development.
        access_log=settings.env == "dev" if args.access_log is None else args.access_log,
        ws=WS_PROTOCOL,
        ws_max_size=MAX_FRAME_BYTES,  # docs/websocket.md: a bigger frame is refused unread (close 1009)
    )
    return 0


def mail_worker(settings: Settings) -> MailWorker:
    """The worker command's mail worker, in a process that can write every mail the app queues:
    the composers are registered here as `create_app` registers them."""
    from meetup import composers
    from meetup.mail.worker import MailWorker

    composers.register_all()
    return MailWorker(settings)


def cmd_worker(args: argparse.Namespace) -> int:
    from meetup.mail.worker import uses_dev_mailbox

    settings = load_settings()
    if not settings.smtp_url and not uses_dev_mailbox(settings):
        print("error: the mail worker needs MEETUP_SMTP_URL (only MEETUP_ENV=dev runs without it)", file=sys.stderr)
        return 2

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        from meetup import scheduler

        await asyncio.gather(mail_worker(settings).run(stop), scheduler.run(stop))

    asyncio.run(_with_database(run))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from meetup import db

    asyncio.run(_with_database(db.migrate))
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from meetup import demo

    if load_settings().is_prod:
        print(
            "error: seed loads demo accounts with a published password; it refuses to run when MEETUP_ENV=prod",
            file=sys.stderr,
        )
        return 2

    async def run() -> None:
        if args.if_empty and not await demo.database_is_empty():
            print("seed: the database already holds accounts; demo data left as it is")
            return
        counts = await demo.load_demo()
        print(
            f"seed: {counts['organizations']} organisations, {counts['participants_created']} new sample accounts, "
            f"{counts['forums_created']} new forums"
        )

    asyncio.run(_with_database(run))
    email, password, _name = demo.DEMO_ORGANIZER
    print(f"demo organizer: {email} / password: {password}")
    email, password, _name = demo.DEMO_ADMIN
    print(f"demo admin: {email} / password: {password}")
    return 0


def cmd_create_organizer(args: argparse.Namespace) -> int:
    from meetup.accounts import service

    return _give_role(args, service.make_organizer)


def cmd_grant_admin(args: argparse.Namespace) -> int:
    """The first admin (and any later one): admins give and take roles on /admin/accounts."""
    from meetup.accounts import service

    return _give_role(args, service.make_admin)


def _give_role(args: argparse.Namespace, make) -> int:
    """Create the account with the role, or raise an existing one to it (`make`: the service's)."""
    if args.password is not None and len(args.password) < 10:
        print("error: the password needs at least 10 characters", file=sys.stderr)
        return 2

    async def run():
        return await make(args.email, args.password, args.name)

    try:
        user, created = asyncio.run(_with_database(run))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{'created' if created else 'promoted'} {user.email} as {user.role}")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="main.py", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web server", description="Run the web server (uvicorn).")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--workers", type=int, default=1, help="web processes (PostgreSQL + Redis for more than 1)")
    serve.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a log line per request (default: on in development; in production nginx logs them)",
    )
    serve.set_defaults(func=cmd_serve)

    worker = commands.add_parser(
        "worker",
        help="run the mail worker alone",
        description="Deliver the mail outbox (needs MEETUP_SMTP_URL; in dev without it, into the dev mailbox).",
    )
    worker.set_defaults(func=cmd_worker)

    migrate = commands.add_parser("migrate", help="apply migrations", description="Apply migrations from migrations/.")
    migrate.set_defaults(func=cmd_migrate)

    seed = commands.add_parser("seed", help="load the demo data", description="Load the demo data (idempotent).")
    seed.add_argument("--if-empty", action="store_true", help="only when the database holds no accounts yet")
    seed.set_defaults(func=cmd_seed)

    organizer = commands.add_parser(
        "create-organizer",
        help="create or promote an organizer",
        description="Create the account, or promote an existing one, to organizer.",
    )
    organizer.add_argument("email", metavar="EMAIL")
    organizer.add_argument("--password", metavar="PW", help="password (at least 10 characters)")
    organizer.add_argument("--name", metavar="NAME", help="display name")
    organizer.set_defaults(func=cmd_create_organizer)

    admin = commands.add_parser(
        "grant-admin",
        help="create or promote an admin (who gives roles in the web)",
        description="Create the account, or promote an existing one, to admin: an organizer who also gives "
        "and takes the organizer role on /admin/accounts. Run it once for the site's first admin.",
    )
    admin.add_argument("email", metavar="EMAIL")
    admin.add_argument("--password", metavar="PW", help="password (at least 10 characters)")
    admin.add_argument("--name", metavar="NAME", help="display name")
    admin.set_defaults(func=cmd_grant_admin)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        load_settings()  # every command refuses to start on bad settings (e.g. a placeholder key in prod)
        return args.func(args)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
