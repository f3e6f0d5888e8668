"""The bad-input corpus (tests/bad/): every case gives its exact diagnostics, exit status 1,
no traceback, and leaves the output directory byte-for-byte as it was.

One case is one file ``tests/bad/NAME.yaml`` (a directory for the directory case) with its
expected diagnostics, one per line, in ``tests/bad/NAME.expected``. A few cases cannot be
committed as they are (a file over the size limit, symlinks pointing out of the folder, an
icon over the byte limit); ``GENERATED`` makes them in a temporary copy of the corpus.
``DIAGRAMGEN_UPDATE_GOLDEN=1 make test`` rewrites the ``.expected`` files.
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from diagramgen.cli import main
from diagramgen.model.catalog import ICON_DIR
from diagramgen.model.loader import MAX_BYTES
from diagramgen.model.validate import MAX_ICON_BYTES

from conftest import UPDATE_GOLDEN, snapshot

BAD = Path(__file__).resolve().parent / "bad"
LINE = re.compile(r"^[^\s:][^:]*:\d+:\d+: (error|warning): \S.*$")


def _too_large(work: Path) -> None:
    (work / "too-large.yaml").write_bytes(b"# padding line\n" * (MAX_BYTES // 15 + 1))


def _heavy_icon(work: Path) -> None:
    png = (ICON_DIR / "customer.png").read_bytes()
    (work / "icons" / "heavy.png").write_bytes(png + b"\x00" * (MAX_ICON_BYTES + 1 - len(png)))


def _outside_links(work: Path) -> None:
    outside = work.parent / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("components: []\n", encoding="utf-8")
    shutil.copy(ICON_DIR / "customer.png", outside / "icon.png")
    os.symlink(outside / "secret.yaml", work / "fragments" / "outside-link.yaml")
    os.symlink(outside / "icon.png", work / "icons" / "outside-link.png")


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body) & 0xFFFFFFFF)


def _png(width: int, height: int, raw: bytes, extra: bytes = b"") -> bytes:
    """A grey PNG whose image data is ``raw`` (filter bytes included), compressed."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + extra
            + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b""))


def _broken_pngs(work: Path) -> None:
    """Icons that are PNGs by name and signature but broken or hostile inside."""
    good = (ICON_DIR / "customer.png").read_bytes()
    (work / "icons" / "truncated.png").write_bytes(good[: len(good) // 2])
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0xFF
    (work / "icons" / "bad-checksum.png").write_bytes(bytes(flipped))
    # a compressed text chunk of 2 MB of zeros: a few kilobytes on disk
    bomb = _chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"\x00" * 2_000_000, 9))
    (work / "icons" / "ztxt-bomb.png").write_bytes(_png(1, 1, b"\x00\x00", bomb))
    # a 1x1 image whose data inflates to 5 MB
    (work / "icons" / "idat-bomb.png").write_bytes(_png(1, 1, b"\x00" * 5_000_000))


def _outside_architecture(work: Path) -> None:
    """An architecture file that is a link to a file outside the folder (its first line
    must not be quoted in any message)."""
    secret = work.parent / "outside-secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    os.symlink(secret, work / "architecture-symlink-escape.yaml")


GENERATED = {"too-large.yaml": _too_large, "icon-too-large.yaml": _heavy_icon,
             "include-symlink-escape.yaml": _outside_links, "icon-symlink-escape.yaml": None,
             "icon-truncated.yaml": _broken_pngs, "icon-bad-checksum.yaml": None,
             "icon-ztxt-bomb.yaml": None, "icon-idat-bomb.yaml": None,
             "architecture-symlink-escape.yaml": _outside_architecture}
CASES = sorted({p.name for p in BAD.glob("*.yaml")} | set(GENERATED))


def test_corpus_is_large_enough():
    assert len(CASES) >= 40
    missing = [c for c in CASES if not (BAD / c.replace(".yaml", ".expected")).exists()]
    assert not missing or UPDATE_GOLDEN, f"cases without .expected: {missing}"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """A copy of tests/bad/ with the generated cases added (as an architecture folder)."""
    work = tmp_path_factory.mktemp("corpus") / "architectures"
    shutil.copytree(BAD, work, symlinks=True)
    for make in GENERATED.values():
        if make:
            make(work)
    return work


def expected(case: str, actual: list) -> list:
    path = BAD / case.replace(".yaml", ".expected")
    if UPDATE_GOLDEN:
        path.write_text("".join(line + "\n" for line in actual), encoding="utf-8")
    return path.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("case", CASES)
def test_validate_reports_exact_diagnostics(case, corpus, monkeypatch):
    monkeypatch.chdir(corpus)
    result = CliRunner().invoke(main, ["validate", case])
    assert isinstance(result.exception, SystemExit), result.exception  # never a traceback
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert re.fullmatch(r"[1-9]\d* error\(s\), \d+ warning\(s\)", lines[-1])
    assert all(LINE.match(line) for line in lines[:-1]), lines
    assert lines[:-1] == expected(case, lines[:-1])
    assert result.stdout == ""


@pytest.mark.parametrize("case", CASES)
def test_render_fails_and_touches_no_output(case, corpus, tmp_path, monkeypatch):
    monkeypatch.chdir(corpus)
    out = tmp_path / "out"
    out.mkdir()
    (out / "demo.svg").write_bytes(b"<svg>previous</svg>")
    (out / "demo.png").write_bytes(b"previous png")
    before, corpus_before = snapshot(out), snapshot(corpus)
    result = CliRunner().invoke(main, ["render", case, "--out", str(out)])
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert result.stderr.splitlines() == expected(case, result.stderr.splitlines())
    assert snapshot(out) == before
    assert snapshot(corpus) == corpus_before


def test_whole_corpus_in_one_real_process(corpus, tmp_path):
    """The installed command, as CI runs it: every case at once, every line accounted for."""
    proc = subprocess.run([sys.executable, "-m", "diagramgen", "validate", *CASES], cwd=corpus,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    want = [line for c in CASES for line in (BAD / c.replace(".yaml", ".expected")).read_text().splitlines()]
    got = proc.stderr.splitlines()
    assert sorted(got[:-1]) == sorted(want)
    assert got[-1] == f"{len(want)} error(s), 0 warning(s)"
