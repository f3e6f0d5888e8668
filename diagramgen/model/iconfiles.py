"""Icon files from a repository: the one place that resolves and checks them.

A component's own ``icon:`` and a repository kind's ``icon:`` (in ``diagramgen.yaml``)
name a PNG or SVG file by a path relative to the file that declares it. Both go through
:func:`check_icon_file`, which validate and render share, so what is drawn is exactly
what was checked:

- the path is taken literally: no percent-decoding and no URL handling (a file named
  ``%2E%2E%2Fx.png`` is that file, or a missing one);
- after symlinks are resolved it must stay inside the folder it is allowed to use;
- it must be a regular file of at most ``MAX_ICON_BYTES`` bytes;
- a PNG must be whole and sound: signature, every chunk's length and CRC, an IEND,
  image data that inflates to no more than its pixels need, compressed text or colour
  profile chunks that inflate to at most ``MAX_INFLATED_TEXT`` bytes, and at most
  ``MAX_ICON_SIDE`` pixels a side;
- an SVG must be well-formed XML (no DTD, no entities) whose root is ``<svg>`` and whose
  links point only inside itself (``#id``) or at ``data:`` URIs; it is rasterised to a
  PNG with CairoSVG (:func:`raster`) for the PNG and SVG outputs, fetching nothing.

Functions return values and error messages; callers attach the position.
"""
from __future__ import annotations

import functools
import hashlib
import os
import re
import struct
import zlib
from pathlib import Path
from typing import Optional

from diagramgen.cache import PNG_SIGNATURE, cache_dir, cached_png, installed_version, pillow_version, source_digest
from diagramgen.diagnostics import Failure
from diagramgen.files import scratch_folder, store
from diagramgen.model.catalog import ICON_DIR

MAX_ICON_BYTES = 256_000
MAX_ICON_SIDE = 1024  # pixels, width and height
MAX_INFLATED_TEXT = 1_000_000  # bytes a zTXt, iTXt or iCCP chunk may inflate to
RASTER_PX = 256  # long side of the PNG an SVG icon is rasterised to
ICON_SUFFIXES = (".png", ".svg")
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type -> samples per pixel


class IconFileError(Failure):
    """An icon file that cannot be used; the message is one line, without a position.
    ``code`` is the rule it breaks (validation reports it as a diagnostic there)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def check_icon_file(name: str, base_dir: str, allowed_dir: str, where: str) -> str:
    """Resolve ``name`` (relative to ``base_dir``) and check the file; return its real path.

    ``allowed_dir`` is the real path of the folder the icon must stay in, ``where`` names
    that folder in messages ("the architecture folder", "the repository"). Raises
    IconFileError with a one-line message.
    """
    if os.path.isabs(name):
        raise IconFileError(f"icon path '{name}' must be relative to the file that declares it", "DG504")
    real = os.path.realpath(os.path.join(base_dir, name))
    if os.path.commonpath([real, allowed_dir]) != allowed_dir:
        raise IconFileError(f"icon '{name}' is outside {where}", "DG504")
    if not name.lower().endswith(ICON_SUFFIXES):
        raise IconFileError(f"icon '{name}' must be a PNG or SVG file ending in .png or .svg", "DG504")
    if not os.path.exists(real):
        raise IconFileError(f"icon file '{name}' does not exist", "DG505")
    if not os.path.isfile(real):
        raise IconFileError(f"icon '{name}' is not a regular file", "DG505")
    try:
        with open(real, "rb") as fh:
            data = fh.read(MAX_ICON_BYTES + 1)
    except OSError as exc:
        raise IconFileError(f"cannot read icon '{name}': {exc.strerror or exc}", "DG505") from None
    if len(data) > MAX_ICON_BYTES:
        size = os.path.getsize(real)
        raise IconFileError(f"icon '{name}' is {size} bytes, over the limit of {MAX_ICON_BYTES} bytes", "DG506")
    problem = _checked_png(data) if real.lower().endswith(".png") else check_svg(data)
    if problem:
        raise IconFileError(f"icon '{name}' {problem}", "DG506")
    _checked[real] = hashlib.sha256(data).hexdigest()
    return real


_checked: dict = {}  # real path -> SHA-256 of the bytes its last check_icon_file passed


def checked_digest(real: str) -> Optional[str]:
    """The SHA-256 of the bytes the last check of the icon file ``real`` (check_icon_file's
    result) passed in this process, or None: what the disk cache may pair checked
    settings with, rather than the file's bytes when they are kept, which may have
    changed since the check."""
    return _checked.get(real)


def _checked_png(data: bytes) -> Optional[str]:
    """check_png, remembered for the PNGs that passed it: a file of that content (and
    the same limits and Pillow version) in the disk cache of encoded icons (cache.cache_dir)
    marks it sound. The check decodes the image with Pillow, and importing Pillow's
    image module and decoding cost about 30 ms of CPU in every command that reads a
    repository icon; a problem is never remembered, so it is reported every time. The
    key holds this module's source too: a check changed since passes no PNG on an old
    marker."""
    where = cache_dir()
    key = hashlib.sha256(b"\0".join([data, f"{MAX_ICON_BYTES} {MAX_ICON_SIDE} {MAX_INFLATED_TEXT}".encode(),
                                     pillow_version().encode(), source_digest(__file__)])).hexdigest()
    marker = where / "checked-png" / key if where else None
    if marker is not None and marker.is_file():
        return None
    problem = check_png(data)
    if problem is None and marker is not None:
        store(marker, b"")  # no cache: checked again next time
    return problem


def check_png(data: bytes) -> Optional[str]:
    """None when ``data`` is a sound PNG within the limits, else what is wrong (a
    sentence without the file name)."""
    if len(data) < 24 or data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        return "is not a PNG image (its content does not start with the PNG signature)"
    width, height = struct.unpack(">II", data[16:24])
    if not (0 < width <= MAX_ICON_SIDE and 0 < height <= MAX_ICON_SIDE):
        return f"is {width}x{height} pixels, over the limit of {MAX_ICON_SIDE}x{MAX_ICON_SIDE}"
    pos, ihdr, idat, seen_end = 8, None, [], False
    while pos < len(data):
        if pos + 8 > len(data):
            return "is a truncated PNG image (a chunk header is cut off)"
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        end = pos + 12 + length
        if end > len(data):
            return f"is a truncated PNG image (the {_chunk(ctype)} chunk is cut off)"
        body = data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[end - 4:end])[0]
        if zlib.crc32(ctype + body) & 0xFFFFFFFF != crc:
            return f"is a corrupt PNG image (the {_chunk(ctype)} chunk fails its checksum)"
        if ctype == b"IHDR":
            if length != 13:
                return "is a corrupt PNG image (bad IHDR chunk)"
            ihdr = struct.unpack(">IIBBBBB", body)
        elif ctype == b"IDAT":
            idat.append(body)
        elif ctype in (b"zTXt", b"iCCP", b"iTXt"):
            problem = _check_inflated_text(ctype, body)
            if problem:
                return problem
        elif ctype == b"IEND":
            seen_end = True
            break
        pos = end
    if not seen_end:
        return "is a truncated PNG image (it has no IEND chunk)"
    if ihdr is None or not idat:
        return "is a corrupt PNG image (no image data)"
    width, height, depth, colour, _, _, interlace = ihdr
    if colour not in _CHANNELS or depth not in (1, 2, 4, 8, 16):
        return "is a corrupt PNG image (unknown colour type or bit depth)"
    row = (width * _CHANNELS[colour] * depth + 7) // 8
    need = height * (row + 1)
    if interlace:  # seven passes, each row with its own filter byte: a bound, not exact
        need += 7 * height + 7 * (row + 1)
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(b"".join(idat), need + 1)
    except zlib.error:
        return "is a corrupt PNG image (its image data does not decompress)"
    if len(raw) > need or inflater.unconsumed_tail:
        return "is a corrupt PNG image (its image data inflates to more than its pixels need)"
    if not inflater.eof:
        return "is a truncated PNG image (its image data ends early)"
    try:
        import io

        from PIL import Image

        with Image.open(io.BytesIO(data)) as im:
            im.load()
    except Exception as exc:  # Pillow raises many types for broken images
        return f"is a corrupt PNG image ({_one_line(exc)})"
    return None


def _check_inflated_text(ctype: bytes, body: bytes) -> Optional[str]:
    """A compressed text or ICC profile chunk must inflate, and to at most MAX_INFLATED_TEXT."""
    nul = body.find(b"\x00")
    if nul < 0:
        return f"is a corrupt PNG image (bad {_chunk(ctype)} chunk)"
    if ctype == b"iTXt":
        if len(body) < nul + 3:
            return "is a corrupt PNG image (bad iTXt chunk)"
        if body[nul + 1] == 0:
            return None  # not compressed
        rest = body[nul + 3:]
        for _ in range(2):  # language tag and translated keyword
            k = rest.find(b"\x00")
            if k < 0:
                return "is a corrupt PNG image (bad iTXt chunk)"
            rest = rest[k + 1:]
        stream = rest
    else:
        stream = body[nul + 2:]
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(stream, MAX_INFLATED_TEXT + 1)
    except zlib.error:
        return f"is a corrupt PNG image (its {_chunk(ctype)} chunk does not decompress)"
    if len(out) > MAX_INFLATED_TEXT or inflater.unconsumed_tail:
        return (f"is not accepted: its {_chunk(ctype)} chunk inflates to more than "
                f"{MAX_INFLATED_TEXT} bytes")
    return None


def _chunk(ctype: bytes) -> str:
    return ctype.decode("latin-1") if ctype.isalpha() else repr(ctype)[1:]


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def check_svg(data: bytes) -> Optional[str]:
    """None when ``data`` is an SVG document diagramgen can rasterise safely."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return f"is not a well-formed SVG file ({_one_line(exc)})"
    if root is None:
        return "is not a well-formed SVG file"
    if root.getroottree().docinfo.doctype:
        return "is not accepted: an SVG icon may not have a DOCTYPE"
    if etree.QName(root).localname != "svg":
        return "is not an SVG image (its root element is not <svg>)"
    text = data.decode("utf-8", "replace")
    if "@import" in text or re.search(r"url\(\s*['\"]?(?!#|data:)", text):
        return "is not accepted: it loads a stylesheet or image from elsewhere; an SVG icon must be self-contained"
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for key, value in el.attrib.items():
            if etree.QName(key).localname == "href" and not value.strip().startswith(("#", "data:")):
                return f"is not accepted: it links to '{value[:60]}'; an SVG icon must be self-contained"
    try:
        _rasterise(data)
    except Exception as exc:
        return f"cannot be drawn ({_one_line(exc)})"
    return None


@functools.lru_cache(maxsize=64)
def _rasterise(data: bytes) -> bytes:
    """The SVG as a PNG RASTER_PX pixels on its long side (CairoSVG; ``unsafe`` off, and
    check_svg has made sure it links to nothing outside itself).

    Results are kept in the content-addressed disk cache of encoded icons (cache.cache_dir;
    the key is the SVG's bytes, RASTER_PX, CairoSVG's version and this module's source), so a run that meets an
    SVG rasterised before neither imports CairoSVG nor draws it again. The bytes are the
    same either way; an SVG that cannot be drawn is never stored."""
    try:
        version = installed_version("cairosvg")
    except Exception:
        version = None
    where = cache_dir() if version else None
    cached = None
    if where is not None and version:
        key = hashlib.sha256(b"\0".join([data, str(RASTER_PX).encode(), version.encode(),
                                         source_digest(__file__)])).hexdigest()
        cached = where / "svg-icons" / f"{key}.png"
    return cached_png(cached, lambda: _draw(data))


def _draw(data: bytes) -> bytes:
    import cairosvg

    first = cairosvg.svg2png(bytestring=data, unsafe=False, parent_width=RASTER_PX, parent_height=RASTER_PX)
    width, height = struct.unpack(">II", first[16:24])
    size = {"output_width": RASTER_PX} if width >= height else {"output_height": RASTER_PX}
    return cairosvg.svg2png(bytestring=data, unsafe=False, parent_width=RASTER_PX, parent_height=RASTER_PX,
                            **size)


_RASTER_DIR: list = []


def raster(path) -> Path:
    """The PNG to draw for an icon file: the file itself for a PNG, for an SVG its
    rasterised copy in a private temporary folder of this process, named after the SVG
    and its content (so the embedded icon and its id are the same in every run)."""
    path = Path(path)
    if path.suffix.lower() != ".svg":
        return path
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:12]
    if not _RASTER_DIR:
        _RASTER_DIR.append(scratch_folder("diagramgen-icons-"))
    out = Path(_RASTER_DIR[0]) / f"{path.stem}-{digest}.png"
    if not out.exists():
        store(out, _rasterise(data))
    return out


# --- icon specs: what file a component's icon is drawn from -------------------------------


class IconError(Failure):
    """An icon spec that names no icon that can be drawn."""


def icon_path(spec: str) -> Path:
    """The PNG file to draw for an icon spec: "diagrams:mod.Class" (the library's icon),
    "icons/x.png" (one shipped with diagramgen), or the real path of a repository icon
    that validation resolved and checked (check_icon_file; an SVG is drawn from its
    rasterised copy)."""
    if spec.startswith("diagrams:"):
        path = _library_icon(spec[len("diagrams:"):])
    else:
        path = ICON_DIR / Path(spec).name if spec.startswith("icons/") else Path(spec)
    if not path.is_file():
        raise IconError(f"icon file {path} does not exist")
    if path.suffix.lower() == ".svg":
        try:
            return raster(path)
        except Exception as exc:  # checked at validation; the file changed since
            raise IconError(f"icon {path} cannot be drawn: {exc}") from None
    return path


def icon_source(spec: str) -> Path:
    """The file an icon spec is drawn from (for an SVG icon the SVG, not its raster):
    what the manifest hashes."""
    if spec.startswith("diagrams:") or spec.startswith("icons/"):
        return icon_path(spec)
    return Path(spec)


@functools.lru_cache(maxsize=1)
def library_root() -> Path:
    """The folder holding the ``diagrams`` library's package; its icon classes name their
    files relative to it. Found without importing the library: only ``draw`` imports it."""
    import importlib.util

    spec = importlib.util.find_spec("diagrams")
    if spec is None or not spec.origin:
        raise IconError("the diagrams library is not installed")
    return Path(spec.origin).resolve().parent.parent


@functools.lru_cache(maxsize=256)
def _library_icon(name: str) -> Path:
    """The file of a ``diagrams`` icon class ("mod.Class"), read from the library's
    source: the class (or an alias of it) in that module, and the ``_icon_dir`` and
    ``_icon`` it defines or inherits, as the library itself joins them. What was found
    is remembered in the disk cache (_library_icon_entry)."""
    entry = _library_icon_entry(name)
    if entry is not None:
        try:
            known = entry.read_bytes().decode("utf-8").split("\0")
        except (OSError, UnicodeDecodeError):
            known = []
        # only a file under the library's folder, however the entry came to hold what it does,
        # and one that is there (else the source says where it went)
        if len(known) == 2 and all(known) and not any(Path(p).is_absolute() or ".." in Path(p).parts for p in known):
            path = library_root() / known[0] / known[1]
            if path.is_file():
                return path
    modname, _, clsname = name.rpartition(".")
    found = None
    if modname and clsname.isidentifier() and all(p.isidentifier() for p in modname.split(".")):
        module = ("diagrams", *modname.split("."))
        if _class(module, clsname) is not None:
            found = (_attribute(module, clsname, "_icon_dir"), _attribute(module, clsname, "_icon"))
    if found is None or not all(isinstance(v, str) for v in found):
        raise IconError(f"the diagrams library has no icon class '{modname}.{clsname}'")
    if entry is not None and "\0" not in found[0] + found[1]:
        store(entry, f"{found[0]}\0{found[1]}".encode())  # no cache: read from the source next time
    return library_root() / found[0] / found[1]


def _library_icon_entry(name: str) -> Optional[Path]:
    """Where the disk cache (cache.cache_dir) keeps the icon file of a library icon class:
    reading the library's modules takes about 5 ms of CPU for the dozen an architecture
    set uses, in every command that draws them or records their hashes. The key is the
    name, the library's folder and its version, so another installation of the library
    never reads what this one resolved, and this module's source (the code that resolves
    it). None without a cache."""
    version, where = _library_version(), cache_dir()
    if version is None or where is None:
        return None
    key = hashlib.sha256("\0".join([str(library_root()), version, name]).encode("utf-8")
                         + source_digest(__file__)).hexdigest()
    return where / "library-icons" / key


@functools.lru_cache(maxsize=1)
def _library_version() -> Optional[str]:
    try:
        return installed_version("diagrams")
    except Exception:
        return None


_NOT_SET = object()


@functools.lru_cache(maxsize=64)
def _library_module(module: tuple) -> Optional[dict]:
    """``{name: definition}`` of a module of the library, from its source: ("class",
    bases, {attribute: constant}), ("alias", name) or ("import", module, name)."""
    import ast

    base = library_root().joinpath(*module)
    path = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    package = module if path.name == "__init__.py" else module[:-1]
    names: dict = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            attrs = {t.id: s.value.value for s in node.body if isinstance(s, ast.Assign)
                     and isinstance(s.value, ast.Constant) for t in s.targets if isinstance(t, ast.Name)}
            names[node.name] = ("class", tuple(b.id for b in node.bases if isinstance(b, ast.Name)), attrs)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Name):
            # `A = B` binds A to what B is bound to now (`Qdrant = Qdrant` changes nothing)
            bound = names.get(node.value.id)
            for t in node.targets:
                if isinstance(t, ast.Name):
                    names[t.id] = bound if bound is not None else ("alias", node.value.id)
        elif isinstance(node, ast.ImportFrom):
            source = tuple((node.module or "").split(".")) if not node.level else \
                package[:len(package) - node.level + 1] + tuple(filter(None, (node.module or "").split(".")))
            for alias in node.names:
                names[alias.asname or alias.name] = ("import", source, alias.name)
    return names


def _class(module: tuple, name: str, depth: int = 0) -> Optional[tuple]:
    """(module, class name) where the name ``name`` of ``module`` is defined as a class."""
    entry = (_library_module(module) or {}).get(name)
    if entry is None or depth > 20 or not module or module[0] != "diagrams":
        return None
    if entry[0] == "class":
        return module, name
    if entry[0] == "alias":
        return _class(module, entry[1], depth + 1)
    return _class(entry[1], entry[2], depth + 1)


def _attribute(module: tuple, name: str, attr: str, depth: int = 0):
    """A class attribute as Python would find it: on the class, else on its bases."""
    where = _class(module, name)
    if where is None or depth > 20:
        return _NOT_SET
    entry = (_library_module(where[0]) or {})[where[1]]
    if attr in entry[2]:
        return entry[2][attr]
    for b in entry[1]:
        value = _attribute(where[0], b, attr, depth + 1)
        if value is not _NOT_SET:
            return value
    return _NOT_SET
