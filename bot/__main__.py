"""python -m bot [run|console|check|export|backup|link|chart] --config PATH"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

from . import app, logs, ops, sources
from .config import DEFAULT_CONFIG, Config, ConfigError, load
from .storage import DatabaseTooNew, Storage


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's --config must not overwrite one given before the subcommand.
    common.add_argument("--config", default=argparse.SUPPRESS,
                        help=f"path to the campaign config (default ./{DEFAULT_CONFIG})")
    main = argparse.ArgumentParser(prog="python -m bot", parents=[common],
                                   description="campaign-bot: a campaign chat bot")
    sub = main.add_subparsers(dest="command")
    sub.add_parser("run", parents=[common],
                   help="run on Telegram/Discord, or the console when no token is set")
    console = sub.add_parser("console", parents=[common], help="chat locally as a supporter")
    console.add_argument("--name", help="your display name in the console chat")
    console.add_argument("--moderator", action="store_true",
                         help="act as a moderator (you own the database anyway)")
    console.add_argument("--lang", metavar="CODE", default="",
                         help="the language your 'app' is set to, e.g. es (the bot answers in "
                              "the closest configured language; /settings language overrides)")
    sub.add_parser("check", parents=[common], help="validate the config and summarise it")
    export = sub.add_parser("export", parents=[common], help="export data as CSV")
    export.add_argument("what", choices=["signatures", "mailing-list", "rsvps"],
                        help="signatures: every signature, for the campaign's records; "
                             "mailing-list: only signers who asked for updates, for an email "
                             "tool; rsvps: every RSVP with its attendance answer")
    export.add_argument("--out", required=True, type=Path, help="CSV file to write")
    backup = sub.add_parser("backup", parents=[common],
                            help="online backup of the database, safe while the bot runs")
    backup.add_argument("file", type=Path, help="where to write the copy (e.g. backup.db)")
    link = sub.add_parser("link", parents=[common],
                          help="print the Telegram links to the petition; optionally a QR code")
    link.add_argument("--source", metavar="TAG",
                      help="where the link will be shared (e.g. flyer): recorded on each "
                           f"signature made through it; {sources.RULE}")
    link.add_argument("--qr", metavar="FILE.png", type=Path,
                      help="also write a printable QR code of the link to this PNG file")
    chart = sub.add_parser("chart", parents=[common],
                           help="write the growth chart /stats sends to moderators (PNG)")
    chart.add_argument("--out", required=True, type=Path, help="PNG file to write")
    return main


def _link(config: Config, source: str | None, qr: Path | None) -> int:
    if source is not None and not sources.valid(source):
        print(f"--source {source!r} refused: {sources.RULE}.", file=sys.stderr)
        return 2
    username = config.telegram.username
    if not username:
        print("telegram.username is not set: add the bot's username (without the @) under "
              "[telegram] in config.toml, e.g. username = \"EyesOnAmazonBot\". It is not "
              "looked up online.", file=sys.stderr)
        return 2
    link = sources.sign_link(username, source)
    if source is not None:
        print(f"Petition link for source {source}: {link}")
    print(f"Petition link (no source): {sources.sign_link(username)}")
    if qr is not None:
        ops.write_qr(link, qr)
        print(f"QR code of {link} written to {qr}.")
    return 0


def _no_database(config: Config, doing: str) -> bool:
    """True, having said so, when there is no database to read (a command run before the bot
    ever ran, or in the wrong folder): an operator's command never creates an empty one."""
    if Path(config.storage.path).exists():
        return False
    print(f"No database at {config.storage.path}: nothing to {doing}.", file=sys.stderr)
    return True


def _counted(count: int, one: str, many: str) -> str:
    return f"1 {one}" if count == 1 else f"{count} {many}"


async def _export(config: Config, what: str, out: Path) -> int:
    if _no_database(config, "export"):
        return 1
    async with await Storage.open(config.storage.path) as store:
        if what == "mailing-list":
            count, no_email = await ops.export_mailing_list(store, out, config)
        elif what == "rsvps":
            count = await ops.export_rsvps(store, out, config)
        else:
            count = await ops.export_signatures(store, out)
    if what == "mailing-list":
        signers = _counted(count, "signer", "signers")
        print(f"Exported {signers} who asked for updates to {out}. It holds personal "
              "data: keep it safe, and import only this file into an email tool.")
        if no_email:
            print(f"Left out {no_email} who asked for updates but gave no email.")
        return 0
    if what == "rsvps":
        rsvps = _counted(count, "RSVP", "RSVPs")
        print(f"Exported {rsvps} to {out}. It holds personal data: keep it safe.")
        return 0
    signatures = _counted(count, "signature", "signatures")
    print(f"Exported {signatures} to {out}. It holds personal data: keep it safe.")
    return 0


async def _chart(config: Config, out: Path) -> int:
    if _no_database(config, "chart"):
        return 1
    async with await Storage.open(config.storage.path) as store:
        await ops.write_chart(store, config, datetime.now(UTC), out)
        total = await store.signature_total()
    signatures = _counted(total, "signature", "signatures")
    print(f"Chart of {signatures} written to {out}.")
    return 0


async def _backup(config: Config, target: Path) -> int:
    if _no_database(config, "back up"):
        return 1
    async with await Storage.open(config.storage.path) as store:
        await store.backup(target)
    print(f"Backed up {config.storage.path} to {target}.")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = args.command or "run"
    logs.setup(logging.INFO if command == "run" else logging.WARNING)
    try:
        config = load(getattr(args, "config", DEFAULT_CONFIG))
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    try:
        if command == "check":
            print(ops.summary(config, datetime.now(UTC), app.tokens()))
            return 0
        if command == "export":
            return asyncio.run(_export(config, args.what, args.out))
        if command == "chart":
            return asyncio.run(_chart(config, args.out))
        if command == "link":
            return _link(config, args.source, args.qr)
        if command == "backup":
            return asyncio.run(_backup(config, args.file))
        if command == "console":
            return asyncio.run(app.console(config, name=args.name, moderator=args.moderator,
                                           lang=args.lang))
        return asyncio.run(app.run(config))
    except DatabaseTooNew as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
