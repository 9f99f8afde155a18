"""Issue 12, sources: `/start sign_<source>` records where a signature came from, /stats counts
them, the export carries them, and `python -m bot link` prints the links and writes QR codes."""

from __future__ import annotations

import csv
import sqlite3
import stat
import struct
import zlib
from contextlib import closing
from pathlib import Path

import segno

from tests.conftest import MODERATOR_TELEGRAM_ID
from tests.support.cli import SIGN_SCRIPT, invoke
from tests.support.conversations import sign_up
from tests.support.memory import MemoryChat

USERNAME = "EyesOnAmazonBot"
LINK = f"https://t.me/{USERNAME}?start=sign"


def sources(path: str) -> dict[str, str | None]:
    with closing(sqlite3.connect(path)) as db:
        return dict(db.execute("SELECT user_id, source FROM signatures"))


async def finish_signing(chat: MemoryChat) -> str:
    """The sign form's steps after /sign has opened it: name, two skips, the consent."""
    await chat.send("Ada Lovelace")
    await chat.press("Skip")
    await chat.press("Skip")
    return await chat.press("Sign")


# Recording the source -----------------------------------------------------------------------


async def test_a_sign_link_with_a_source_records_it_once_the_form_is_done(chat, path):
    opened = await chat.send("/start sign_flyer")
    assert "What name should we put on the petition?" in opened
    assert sources(path) == {}  # nothing stored before the form is complete

    assert "You are signature #1" in await finish_signing(chat)

    assert sources(path) == {"1001": "flyer"}


async def test_a_malformed_source_still_signs_recorded_as_unknown(make_chat, path):
    for user_id, payload in (("1", "sign_BAD!"), ("2", "sign_" + "x" * 33), ("3", "sign_")):
        chat = make_chat(user_id=user_id)
        await chat.send(f"/start {payload}")
        assert "You are signature" in await finish_signing(chat)

    assert sources(path) == {"1": "unknown", "2": "unknown", "3": "unknown"}


async def test_a_plain_sign_records_no_source(chat, make_chat, path):
    await sign_up(chat)
    await make_chat(user_id="2").send("/start sign")  # the plain petition link: direct too
    await finish_signing(make_chat(user_id="2"))

    assert sources(path) == {"1001": None, "2": None}


async def test_a_typed_source_after_plain_sign_does_not_leak_into_the_next_form(chat, path):
    await chat.send("/start sign_flyer")
    await chat.send("/cancel")
    await chat.send("/sign")
    await finish_signing(chat)

    assert sources(path) == {"1001": None}


async def test_stats_shows_signatures_by_source(make_chat, moderator):
    for user_id, payload in (("1", "sign_flyer"), ("2", "sign_flyer"), ("3", "sign_BAD!"),
                             ("4", "sign_newsletter")):
        chat = make_chat(user_id=user_id)
        await chat.send(f"/start {payload}")
        await finish_signing(chat)
    await sign_up(make_chat(user_id="5"))

    reply = await moderator.send("/stats")

    assert "By source:" in reply
    assert "  flyer: 2" in reply
    assert "  newsletter: 1" in reply
    assert "  unknown: 1" in reply
    assert "  direct: 1" in reply
    assert reply.index("flyer: 2") < reply.index("newsletter: 1")  # the biggest first


async def test_stats_by_source_in_spanish(make_chat):
    await sign_up(make_chat(user_id="5"))
    mod = make_chat(user_id=MODERATOR_TELEGRAM_ID, name="Mo", locale="es")

    reply = await mod.send("/stats")

    assert "Por origen:" in reply
    assert "  directo: 1" in reply


# The export ---------------------------------------------------------------------------------


def test_the_signatures_export_has_a_source_column(workdir):
    script = SIGN_SCRIPT.replace("/sign\n", "/start sign_flyer\n", 1)
    assert invoke(workdir, "console", stdin=script).returncode == 0
    with closing(sqlite3.connect(workdir / "campaign.db")) as db, db:
        # A second signer, who typed /sign: the same row with no source.
        db.execute("INSERT INTO signatures (platform, user_id, name, wants_updates,"
                   " consent_text, consent_version, signed_at) SELECT platform, 'other', name,"
                   " 0, consent_text, consent_version, signed_at FROM signatures")
    out = workdir / "signatures.csv"

    result = invoke(workdir, "export", "signatures", "--out", str(out))

    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[-2:] == ["source", "referred"]
    assert [r["source"] for r in rows] == ["flyer", "direct"]


# python -m bot link -------------------------------------------------------------------------


def with_username(workdir: Path) -> Path:
    path = workdir / "config.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("[telegram]\n", f'[telegram]\nusername = "{USERNAME}"\n', 1),
                    encoding="utf-8")
    return workdir


def test_link_prints_the_source_link_and_the_plain_one(workdir):
    result = invoke(with_username(workdir), "link", "--source", "flyer")

    assert result.returncode == 0, result.stderr
    assert f"{LINK}_flyer" in result.stdout.split()
    assert LINK in result.stdout.split()


def test_link_without_a_source_prints_the_plain_link(workdir):
    result = invoke(with_username(workdir), "link")

    assert result.returncode == 0, result.stderr
    assert LINK in result.stdout.split()
    assert "_" not in result.stdout.split("start=")[-1].split()[0]


def test_link_refuses_a_bad_tag(workdir):
    with_username(workdir)
    for tag in ("Flyer", "fly er", "x" * 33, "", "flyer!"):
        result = invoke(workdir, "link", "--source", tag, "--qr",
                        str(workdir / "qr.png"))
        assert result.returncode == 2, tag
        assert "a-z" in result.stderr and "32" in result.stderr
        assert "t.me" not in result.stdout
    assert not (workdir / "qr.png").exists()


def test_link_without_a_username_names_the_key(workdir):
    result = invoke(workdir, "link", "--source", "flyer")

    assert result.returncode == 2
    assert "telegram.username" in result.stderr
    assert "t.me" not in result.stdout


def test_a_bad_username_is_refused_by_the_config(workdir):
    assert invoke(with_username(workdir), "check").returncode == 0  # a good one is accepted
    path = workdir / "config.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f'username = "{USERNAME}"', 'username = "a b"', 1),
                    encoding="utf-8")

    result = invoke(workdir, "check")

    assert result.returncode == 2
    assert result.stderr.startswith("telegram.username:")


def png_modules(path: Path, scale: int) -> list[list[int]]:
    """The PNG's pixels as dark (1) / light (0), one entry per `scale` x `scale` module: a
    small PNG reader (no imaging library is installed) for 8-bit or 1-bit greyscale or
    palette images, every filter type."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, idat = 8, {}, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IDAT":
            idat += body
        else:
            chunks[kind] = body
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert colour in (0, 3) and depth in (1, 2, 4, 8)
    palette = chunks.get(b"PLTE")
    stride = (width * depth + 7) // 8
    raw, rows, previous = zlib.decompress(idat), [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        bpp = max(1, depth // 8)
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up, corner = previous[i], previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc
                                      else corner)) & 255
        previous = line
        values = []
        for x in range(width):
            bit = x * depth
            values.append((line[bit // 8] >> (8 - depth - bit % 8)) & ((1 << depth) - 1))
        if palette:
            values = [palette[3 * v] for v in values]  # red channel: 0 dark, 255 light
        else:
            values = [v * 255 // ((1 << depth) - 1) for v in values]
        rows.append([1 if v < 128 else 0 for v in values])
    assert width % scale == 0 and height % scale == 0
    modules = []
    for my in range(height // scale):
        block = rows[my * scale:(my + 1) * scale]
        line = []
        for mx in range(width // scale):
            cells = {r[mx * scale + dx] for r in block for dx in range(scale)}
            assert len(cells) == 1, "a module is not one colour: scale is wrong"
            line.append(cells.pop())
        modules.append(line)
    return modules


def test_link_qr_writes_a_printable_png_of_the_source_link(workdir):
    out = workdir / "flyer.png"

    result = invoke(with_username(workdir), "link", "--source", "flyer", "--qr", str(out))

    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout
    modules = png_modules(out, scale=10)
    expected = segno.make_qr(f"{LINK}_flyer")
    border = 4
    matrix = [list(row) for row in expected.matrix]
    size = len(matrix)
    assert len(modules) == size + 2 * border  # the quiet zone all round
    assert all(v == 0 for row in modules[:border] + modules[-border:] for v in row)
    assert all(row[:border] == [0] * border and row[-border:] == [0] * border
               for row in modules)
    inner = [row[border:-border] for row in modules[border:-border]]
    assert inner == [[1 if v else 0 for v in row] for row in matrix]
    assert oct(stat.S_IMODE(out.stat().st_mode)) == "0o644"
