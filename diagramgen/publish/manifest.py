"""The output manifest: which inputs, by content hash, each output was made from.

``output/manifest.json`` records, per architecture and per product (``render``: the
diagrams, ``docs``: the generated page), the SHA-256 of every input (the architecture
file and its fragments, the catalog, the icons drawn, and those of the tool's own files
that shape that product, see ``code_files``), the tool that made them (``tool``: the
versions of diagramgen and of the diagrams library), and the output files with the
SHA-256 each had when written.
``stale()`` recomputes the hashes and names what changed, so "outputs are up to date"
is checked without comparing PNG bytes, which differ between Graphviz builds, while an
output edited by hand, or left behind when only the manifest was committed, is caught.
Keys are architecture ids and the JSON is written with sorted keys; ``up_to_date`` is
the render cache: an architecture whose recorded inputs, options and tool are unchanged
is not rendered again. The group overview pages' entry is kept by ``overviews.py``.

Functions here return values, except ``update_file``, which rewrites the manifest file
through ``files.py``.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import marshal
import math
import os
import re
from pathlib import Path

from diagramgen import __version__
from diagramgen.cache import installed_version
from diagramgen.diagnostics import ERROR, Diagnostic, Pos
from diagramgen.draw.render import DEFAULT_FORMATS, DEFAULT_STEP_FORMATS
from diagramgen.model import loader
from diagramgen.model.catalog import CATALOG_PATH, PACKAGE_DIR
from diagramgen.publish import filehashes

FORMAT = 1
# the key of a render record holding where the areas were drawn (recorded_drawn)
DRAWN = "drawn_areas"
_ID = re.compile(r"[a-z][a-z0-9_]*\Z")  # architecture ids, as the schema allows
# The options `make` renders with: what check-outputs expects output/ to have been made with.
DEFAULT_RENDER_OPTIONS = {"formats": list(DEFAULT_FORMATS), "steps": list(DEFAULT_STEP_FORMATS)}
# What remakes every output check-outputs looks at, with the default options (the
# commands `make` runs, which a repository that only installs diagramgen has too).
REGENERATE = "diagramgen render && diagramgen docs"
_RUN = f'run "{REGENERATE}"'
# Inputs that are files of the tool (diagramgen's code, catalog and icons) or of the
# diagrams library (its icons), not of the repository: they change with the tool.
_TOOL_INPUT = re.compile(r"diagramgen/(?:[^/]+|(?:model|draw|docs|diff|publish|vendor|icons)/[^/]+)\Z|diagrams/resources/")


# Which of the package's own files shape which product (its code inputs), by folder, so a
# new module is covered by where it is put: the diagrams are made by the model/ and
# draw/ stages with vendor/ and icons/, and by every top-level module but the front ends
# (shared bottom modules such as diagnostics.py); the docs pages by all of that, docs/ and
# publish/site.py (the diagrams and viewers copied beside the pages); the overview pages
# of groups by the docs' files and diff/ (their migration pages). The front ends, diff/
# and the rest of publish/ only parse, call, compare, record and write: editing them
# makes no output stale. What a front end passes on (formats, step views) is recorded
# as the render's options.
FRONT_ENDS = frozenset({"__main__.py", "cli.py", "clidoc.py", "commands.py", "kepttables.py", "makeall.py",
                        "methodcache.py", "quickexit.py", "regexcache.py", "watch.py"})
# top-level modules that write what others made and shape no output
WRITERS = frozenset({"files.py"})
_PRODUCT_PARTS = {
    "render": ("model/", "draw/", "vendor/", "icons/"),
    "docs": ("model/", "draw/", "vendor/", "icons/", "docs/", "publish/site.py"),
    "overview": ("model/", "draw/", "vendor/", "icons/", "docs/", "publish/site.py", "diff/"),
}
PRODUCTS = tuple(_PRODUCT_PARTS)


def code_files(product: str) -> list:
    """The package's own code and vendored files that shape ``product`` (``render``,
    ``docs`` or ``overview``), names relative to the package, sorted: each is an input
    of every output of that product. The catalog and the icons drawn are inputs too,
    named by ``inputs``."""
    return list(_code_names(product, PACKAGE_DIR))


@functools.cache
def _code_names(product: str, package_dir: Path) -> tuple:
    parts = _PRODUCT_PARTS[product]

    def shapes(name: str) -> bool:
        if "/" not in name:
            return name not in FRONT_ENDS | WRITERS
        return any(name == part or (part.endswith("/") and name.startswith(part)) for part in parts)

    return tuple(sorted(name for name in _package_files(package_dir) if shapes(name)))


@functools.cache
def _package_files(package_dir: Path) -> tuple:
    """The package's modules and C sources (any folder deep) and its vendored files,
    relative to it with '/' (one walk of the folder for every product)."""
    files = []
    for folder, dirs, names in os.walk(package_dir):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        rel = os.path.relpath(folder, package_dir).replace(os.sep, "/")
        prefix = "" if rel == "." else f"{rel}/"
        files += [prefix + n for n in names if n.endswith((".py", ".c"))]
        if rel == "vendor":
            files += [prefix + n for n in names if not n.endswith((".py", ".c"))
                      and os.path.isfile(os.path.join(folder, n))]
    return tuple(files)


def code_inputs(product: str) -> dict:
    """``{"diagramgen/NAME": sha256}`` of ``code_files(product)``, as they were when
    first asked for in this process (a fresh dict each call). The code that runs is the
    code this process imported: a file edited while it runs (``watch``) is not the code
    that makes its outputs, and a new process hashes it again."""
    return dict(_code_hashes(product, PACKAGE_DIR))


@functools.cache
def _code_hashes(product: str, package_dir: Path) -> tuple:
    """``code_inputs``, computed once per process: every output of every architecture
    records them, and stating and looking up each file again for each was most of the
    manifest's work on a `make` after one edit."""
    return tuple((f"diagramgen/{name}", _code_hash(package_dir, name)) for name in _code_names(product, package_dir))


@functools.cache
def _code_hash(package_dir: Path, name: str) -> str:
    """sha256_file of one of the package's files, once per process: the products' code
    files overlap (those of the diagrams are the docs' too, and theirs the overview's)."""
    return sha256_file(package_dir / name)


def sha256_file(path) -> str:
    st = os.stat(path)
    where = os.path.abspath(path)
    known = filehashes.known(_RAW, where, st)  # an earlier run's, of the file as it is
    return known if known is not None else _sha256(where)


def known_sha256(path, st) -> str | None:
    """sha256_file of the file at ``path`` that stats as ``st``, when an earlier run
    kept it (publish/filehashes.py); else None (nothing is read)."""
    return filehashes.known(_RAW, os.path.abspath(path), st)


def _sha256(path: str) -> str:
    """The file's hash, taken from those of earlier runs and of this one
    (publish/filehashes.py, which keeps it in memory too) where the file still has the
    size, times and inode it had then and its last change was not too recent for its
    times to tell a later one: a process that runs on (``watch``) hashes again an icon
    rewritten in place within one tick of the file system's clock."""
    when = filehashes.taken()
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        known = filehashes.known(_RAW, path, st)
        if known is not None:
            return known
        h = hashlib.sha256()
        for block in iter(lambda: fh.read(1 << 16), b""):
            h.update(block)
    digest = h.hexdigest()
    filehashes.remember(_RAW, path, st, digest, when)
    return digest


_RAW, _OUTPUT = "sha256", "output"  # the kinds of hash of filehashes: of the bytes; output_sha256


def output_sha256(path) -> str:
    """An output file's hash as the manifest records it: the SHA-256 of its bytes, with
    the line ends of a text output (SVG, HTML, Markdown) read as LF, so that a checkout
    that turns them into CRLF (git's core.autocrlf on Windows) still matches."""
    st = os.stat(path)
    where = os.path.abspath(path)
    hit = _output_hashes.get(_stat_key(where, st))
    if hit is not None:
        return hit
    if not text_output(path):
        return sha256_file(path)
    hit = filehashes.known(_OUTPUT, where, st)  # an earlier run's, of the file as it is
    if hit is not None:
        _keep_output_hash(where, st, hit)
        return hit
    return read_output(path)[1]


def known_output_sha256(path, st) -> str | None:
    """output_sha256 of the output file at ``path`` that stats as ``st``, when this
    process or an earlier run (publish/filehashes.py) hashed it as it is; else None
    (nothing is read)."""
    where = os.path.abspath(path)
    hit = _output_hashes.get(_stat_key(where, st))
    if hit is not None:
        return hit
    return filehashes.known(_OUTPUT if text_output(path) else _RAW, where, st)


def read_file(path) -> tuple:
    """``(bytes, sha256_file)`` of a file, read once; the hash is an earlier run's where
    the file still stats as it did then (publish/filehashes.py)."""
    when = filehashes.taken()
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        data = fh.read()
    where = os.path.abspath(path)
    digest = filehashes.known(_RAW, where, st)
    if digest is None:
        digest = hashlib.sha256(data).hexdigest()
        filehashes.remember(_RAW, where, st, digest, when)
    return data, digest


def read_output(path) -> tuple:
    """``(bytes, output_sha256)`` of an output file, read once. The hash is kept for this
    process with the file's size, times and inode, so that the render cache's test, the
    docs pages' reuse (publish/reuse.py) and the records, which all hash the same
    outputs, read and hash each once; and for the next runs (publish/filehashes.py),
    which then only read the bytes of a file that stats as it did."""
    when = filehashes.taken()
    with open(path, "rb") as fh:
        st = os.fstat(fh.fileno())
        data = fh.read()
    where = os.path.abspath(path)
    kind = _OUTPUT if text_output(path) else _RAW
    digest = filehashes.known(kind, where, st)
    if digest is None:
        digest = output_digest(path, data)
        filehashes.remember(kind, where, st, digest, when)
    _keep_output_hash(where, st, digest)
    return data, digest


def _keep_output_hash(where: str, st, digest: str) -> None:
    if len(_output_hashes) >= 4096:
        _output_hashes.clear()
    _output_hashes[_stat_key(where, st)] = digest


def output_digest(name, data: bytes) -> str:
    """output_sha256 of ``data`` as the content of an output named ``name``."""
    return hashlib.sha256(data.replace(b"\r\n", b"\n") if text_output(name) else data).hexdigest()


_output_hashes: dict = {}  # (path, size, mtime, ctime, inode): output_sha256 (read_output)


def text_output(path) -> bool:
    """Whether ``path`` names a text output (SVG, HTML, Markdown), whose line ends
    output_sha256 reads as LF."""
    return os.path.splitext(os.fspath(path))[1].lower() in (".svg", ".html", ".md")


def _stat_key(path: str, st) -> tuple:
    return path, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def _rel(path) -> str:
    """A path as recorded: relative to the working directory where possible, with '/'."""
    rel = os.path.relpath(path)
    return Path(os.path.abspath(path) if rel.startswith("..") else rel).as_posix()


_remembered: dict | None = None  # inside remembering_inputs(): (id(arch), product, id(settings)) -> result
_named: dict | None = None  # inside remembering_inputs(): a source or icon -> (its input name, sha256)


@contextlib.contextmanager
def remembering_inputs():
    """While inside, ``inputs`` of one model (the same object), product and settings is
    computed once: a render records what its cache test computed, and `docs` records the
    pages and the group pages of each architecture, whose inputs overlap. The hashes are
    those of the files when first asked for, as the model was loaded before that: a file
    saved meanwhile is seen as changed by the next run. The same holds of each file:
    the architectures share fragments and icons, and each one's render and docs inputs
    its own file, which are named and hashed once."""
    global _remembered, _named
    outer = _remembered
    if outer is None:
        _remembered, _named = {}, {}
    try:
        with filehashes.keeping():  # the files' hashes kept for the next run, once at the end
            yield
    finally:
        if outer is None:
            _remembered = _named = None


def _once(key, make) -> tuple:
    """``make()`` (an input's (name, sha256)), once per ``key`` inside remembering_inputs."""
    memo = _named
    if memo is None:
        return make()
    hit = memo.get(key)
    if hit is None:
        hit = memo[key] = make()
    return hit


def inputs(arch, product: str, settings=None) -> dict:
    """``{input name: sha256}`` for one architecture's render or docs outputs (a fresh
    dict each call).

    With a diagramgen.yaml (``settings``, default: settings.current()), it is an input
    too: of the docs, the whole file; of the diagrams, the part that shapes them (the
    repository kinds the architecture uses and the legend defaults). Icons from the
    repository are named by their path relative to the working directory."""
    if settings is None:
        from diagramgen.model.settings import current

        settings = current()
    memo = _remembered
    if memo is None:
        return _inputs(arch, product, settings)
    key = (id(arch), product, id(settings))
    hit = memo.get(key)
    if hit is None or hit[0] is not arch or hit[1] is not settings:
        hit = memo[key] = (arch, settings, _inputs(arch, product, settings))  # the objects keep their ids
    return dict(hit[2])


def merge_inputs(into: dict, more: dict) -> None:
    """Add the inputs ``more`` to ``into`` (the inputs of what is made from several
    models). A name already there with another hash gets the hash of both, in order:
    diagramgen.yaml is a render input and a docs input with different hashes, each of
    which must count; and a file two models were made from with different bytes (saved
    between their loads in one run) then matches no later run, so what was made from
    both texts is made again rather than taken for one made from the last."""
    for name, digest in more.items():
        had = into.get(name)
        into[name] = digest if had is None or had == digest else \
            hashlib.sha256(f"{had} {digest}".encode("ascii")).hexdigest()


def _inputs(arch, product: str, settings) -> dict:
    made_from = loader.made_from(arch)
    if made_from is not None:  # the bytes the model was made from, not the files as they are now
        out = {_rel(src): digest for src, (_, digest) in zip(arch.sources, made_from)}
    else:
        out = dict(_once(("file", src), lambda src=src: (_rel(src), sha256_file(src))) for src in arch.sources)
    out["diagramgen/model/catalog.yaml"] = _once(("file", CATALOG_PATH), lambda: ("", sha256_file(CATALOG_PATH)))[1]
    if settings.path:
        name = _rel(settings.real)
        out[name] = settings.digest if product != "render" else settings.render_digest(arch)
    out.update(code_inputs(product))
    if product == "render":
        out.update(_once(("icon", spec), lambda spec=spec: _icon_input(spec))
                   for spec in sorted({c.icon for c in arch.components}))
    return dict(sorted(out.items()))


def _icon_input(spec: str) -> tuple:
    """(input name, sha256) of the file the icon spec ``spec`` is drawn from."""
    from diagramgen.model.iconfiles import icon_source, library_root

    path = icon_source(spec)
    if path.parent == PACKAGE_DIR / "icons":
        name = f"diagramgen/icons/{path.name}"
    elif spec.startswith("diagrams:"):
        name = f"diagrams/{path.relative_to(library_root()).as_posix()}"
    else:  # the repository's own: a kind of diagramgen.yaml or a component's icon
        name = _rel(path)
    return name, sha256_file(path)


@functools.lru_cache(maxsize=1)
def _tool() -> str:
    return json.dumps(_tool_info(), sort_keys=True)


def tool() -> dict:
    """The versions that shape the outputs (a fresh dict each call): diagramgen's version
    number and the diagrams library's. The tool's own files are inputs (``code_files``),
    each product's own, so an edited checkout with the same version number is caught
    file by file. (Manifests of earlier versions also recorded ``code``, a hash of every
    file of the package: such a record differs from this tool and is made again.)"""
    return json.loads(_tool())


def describe_tool(info: dict, other: dict | None = None, note: str = "") -> str:
    """``info`` (a manifest's ``tool``) for a message: ``diagramgen 0.1.0``, with the
    diagrams library's version when it differs from ``other``'s, and ``(code 1a2b3c4d)``
    for the record of an earlier version that kept a hash of all its files."""
    text = f"diagramgen {info.get('diagramgen', '(unknown version)')}"
    notes = [f"code {info['code'][:8]}"] if isinstance(info.get("code"), str) else []
    if notes or note:
        text += f" ({'; '.join(notes + ([note] if note else []))})"
    if other is not None and info.get("diagrams") != other.get("diagrams"):
        text += f" with diagrams {info.get('diagrams', '(unknown version)')}"
    return text


def _tool_info() -> dict:
    info = {"diagramgen": __version__}
    try:
        info["diagrams"] = installed_version("diagrams")
    except Exception:  # pragma: no cover - the package is a dependency
        pass
    return info


def record(manifest: dict, arch, product: str, outputs, options=None, base=None) -> dict:
    """Return a copy of ``manifest`` with this architecture's ``product`` entry replaced.

    ``options`` (a JSON-able value, e.g. the formats asked for) is part of the cache key.
    With ``base`` (the manifest's folder), each output's SHA-256 is recorded too
    (``output_hashes``), read from the file just written."""
    return _record_into(json.loads(json.dumps(manifest)) if manifest else {}, arch, product, outputs, options, base)


def _record_into(new: dict, arch, product: str, outputs, options=None, base=None, drawn=None) -> dict:
    """record, changing ``new`` itself (update_file records many architectures into one
    copy instead of copying the whole manifest for each). ``drawn``: where the areas
    were drawn (see update_file)."""
    new["format"] = FORMAT
    entry = new.setdefault("architectures", {}).setdefault(arch.id, {})
    entry["file"] = _rel(arch.path)
    entry[product] = {"inputs": inputs(arch, product), "tool": tool(), "outputs": sorted(outputs)}
    if base is not None:
        entry[product]["output_hashes"] = {o: output_sha256(os.path.join(base, o)) for o in sorted(outputs)}
    if options is not None:
        entry[product]["options"] = options
    if drawn is not None:
        entry[product][DRAWN] = {area: [x, y] for area, (x, y) in sorted(drawn.items())}
    return new


def _drawn_ok(value) -> bool:
    """Whether ``value`` has the shape of a recorded ``drawn_areas``."""
    def number(v) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, list) and len(v) == 2 and all(number(x) for x in v)
        for k, v in value.items())


def recorded_drawn(manifest: dict, arch_id: str, svg: bytes | None = None) -> dict | None:
    """Where the areas of ``arch_id`` were drawn, as its render record holds it
    (draw/columns.drawn_areas of the SVG written then: ``{area id: (left, top)}``), or
    None when it holds none. With ``svg`` (the SVG's bytes as read now), only when that
    SVG is the one recorded (its SHA-256): the drawing need not be read again."""
    rec = manifest.get("architectures", {}).get(arch_id, {}).get("render") or {}
    drawn = rec.get(DRAWN)
    if not isinstance(drawn, dict) or not _drawn_ok(drawn):
        return None
    if svg is not None:
        recorded = rec.get("output_hashes", {}).get(f"{arch_id}.svg")
        if recorded is None or hashlib.sha256(svg.replace(b"\r\n", b"\n")).hexdigest() != recorded:
            return None
    return {area: (x, y) for area, (x, y) in drawn.items()}


def _changed_outputs(rec: dict, base: str) -> tuple:
    """(missing, changed, unreadable): the outputs of ``rec`` that are absent under
    ``base``, those whose content is not the one recorded when they were written, and
    ``{name: reason}`` of those that cannot be read (a hostile manifest may name any
    file)."""
    missing, changed, unreadable = [], [], {}
    hashes = rec.get("output_hashes", {})
    for o in rec.get("outputs", []):
        path = os.path.join(base, o)
        if not os.path.isfile(path):
            missing.append(o)
        elif o in hashes:
            try:
                if output_sha256(path) != hashes[o]:
                    changed.append(o)
            except OSError as exc:
                unreadable[o] = exc.strerror or type(exc).__name__
    return missing, changed, unreadable


def up_to_date(manifest: dict, arch, product: str, base: str, options=None) -> bool:
    """True when the manifest says ``product`` of ``arch`` was made from exactly the
    current inputs (content hashes), tool version and options, and its outputs exist
    under ``base`` with the content written then: the render cache's test."""
    rec = manifest.get("architectures", {}).get(arch.id, {}).get(product)
    if not rec or rec.get("tool") != tool() or rec.get("options") != options:
        return False
    if any(_changed_outputs(rec, base)):
        return False
    return rec.get("inputs") == inputs(arch, product)


def read(path: str) -> dict:
    """The manifest at ``path``, or an empty one if it is absent or unreadable (a fresh
    dict each call, the caller's to change).

    The file is read at every call; when it holds the text read last time, what loads
    made of it is given again (a copy, through marshal), not parsed and checked again:
    `make` reads the manifest five times (render's cache test and record, docs' record
    and what it takes from render, the overlays made ahead), a few milliseconds each
    with dozens of architectures."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        hit = _last_read.get(path)
        if hit is not None and hit[0] == text:
            return marshal.loads(hit[1])
        data = loads(text)
    except (OSError, ValueError):
        return {}
    _last_read.clear()
    _last_read[path] = (text, marshal.dumps(data))
    return data


_last_read: dict = {}  # {path: (the text read, marshal.dumps of loads(text))}: the last manifest read


def dumps(manifest: dict) -> str:
    """The manifest as written: ``json.dumps(manifest, indent=2, sort_keys=True,
    ensure_ascii=False)`` and a newline, character for character. json writes indented
    output with its pure-Python encoder (its C one writes only one line); this writes the
    same text with the C encoder quoting the strings and writing the parts that hold no
    container, nearly twice as fast, which a manifest of many architectures, written
    twice by `make`, notices. Anything but text keys and JSON's own types is left to
    json."""
    try:
        parts: list = []
        _indented(manifest, "", parts)
    except _NotPlain:
        return json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    parts.append("\n")
    return "".join(parts)


class _NotPlain(TypeError):
    """A value _indented leaves to json."""


_LEAVES = frozenset({str, int, float, bool, type(None)})
_quote = json.encoder.encode_basestring  # json's own quoting of a string (C where built)


@functools.lru_cache(maxsize=16)
def _flat_writer(inner: str):
    """json's C encoder writing a container of leaves with its items on lines of their own
    at the indent ``inner`` (the item separator holds the line break): what the indented
    encoder writes for it, but for the brackets' lines."""
    return json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",\n" + inner, ": ")).encode


def _indented(value, indent: str, parts: list) -> None:
    """Append ``value`` as json.dumps(indent=2, sort_keys=True, ensure_ascii=False)
    writes it at this ``indent`` to ``parts``."""
    t = type(value)
    if t is dict or t is list or t is tuple:
        if not value:
            parts.append("{}" if t is dict else "[]")
            return
        items = value.values() if t is dict else value
        if t is dict and any(type(k) is not str for k in value):
            raise _NotPlain  # json turns such keys to text before it sorts them: left to it
        inner = indent + "  "
        if len(value) > 8 and {type(v) for v in items} <= _LEAVES:  # most of a manifest: paths and hashes
            text = _flat_writer(inner)(value)
            parts.append(text[0] + "\n" + inner + text[1:-1] + "\n" + indent + text[-1])
            return
        first = True
        if t is dict:
            parts.append("{")
            for k in sorted(value):
                parts.append(("\n" if first else ",\n") + inner + _quote(k) + ": ")
                first = False
                _indented(value[k], inner, parts)
            parts.append("\n" + indent + "}")
        else:
            parts.append("[")
            for v in value:
                parts.append(("\n" if first else ",\n") + inner)
                first = False
                _indented(v, inner, parts)
            parts.append("\n" + indent + "]")
    elif t is str:
        parts.append(_quote(value))
    elif t is float:
        # json.encoder's floatstr: the repr, and its own words for what is not a number
        parts.append(float.__repr__(value) if value == value and abs(value) != math.inf
                     else "NaN" if value != value else "Infinity" if value > 0 else "-Infinity")
    elif t is int:
        parts.append(int.__repr__(value))
    elif t in _LEAVES:  # True, False, None
        parts.append("true" if value is True else "false" if value is False else "null")
    else:
        raise _NotPlain


class NewerManifest(ValueError):
    """A manifest of a later format than this diagramgen reads: written by a newer one."""

    def __init__(self, found: int):
        super().__init__(f"manifest format {found}; this one reads format {FORMAT}")
        self.found = found


def loads(text: str) -> dict:
    """Parse a manifest; ValueError when it is not one of this format (json's
    JSONDecodeError, with its line and column, when it is not JSON; NewerManifest when a
    newer diagramgen wrote it). Entries of the
    wrong shape (a hand-edited or hostile manifest) are dropped, so the rest of the code
    sees only the types it expects; a dropped entry just means "never generated"."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except json.JSONDecodeError:
        raise
    except ValueError:  # an integer past Python's limit on the digits it converts
        raise ValueError("a number with too many digits") from None
    found = data.get("format") if isinstance(data, dict) else None
    if isinstance(found, int) and not isinstance(found, bool) and found > FORMAT:
        raise NewerManifest(found)
    if found != FORMAT or isinstance(found, bool):
        raise ValueError(f"not a diagramgen manifest of format {FORMAT}")
    archs = data.get("architectures")
    clean: dict = {}
    for arch_id, entry in (archs.items() if isinstance(archs, dict) else ()):
        if not (isinstance(arch_id, str) and _ID.match(arch_id) and isinstance(entry, dict)):
            continue
        kept = {"file": entry["file"]} if isinstance(entry.get("file"), str) else {}
        for product in ("render", "docs"):
            rec = entry.get(product)
            if (isinstance(rec, dict) and isinstance(rec.get("inputs", {}), dict)
                    and all(isinstance(k, str) and isinstance(v, str) for k, v in rec.get("inputs", {}).items())
                    and isinstance(rec.get("outputs", []), list)
                    and all(isinstance(o, str) for o in rec.get("outputs", []))):
                hashes = rec.get("output_hashes")
                if hashes is not None and not (isinstance(hashes, dict) and all(
                        isinstance(k, str) and isinstance(v, str) for k, v in hashes.items())):
                    rec = {k: v for k, v in rec.items() if k != "output_hashes"}
                if DRAWN in rec and not _drawn_ok(rec[DRAWN]):
                    rec = {k: v for k, v in rec.items() if k != DRAWN}
                kept[product] = rec
        clean[arch_id] = kept
    data["architectures"] = clean
    return data


def stale(manifest: dict, models, manifest_path: str, products=("render", "docs"),
          render_options=None, complete: bool = False) -> list:
    """What is out of date, as diagnostics, each naming what to run:

    - one line for the whole manifest when outputs were made by another tool (another
      version number, another diagrams version) or from other code (the tool's files
      that shape them differ), instead of the changed tool files once per architecture;
    - one line per architecture whose own inputs (its file and fragments,
      diagramgen.yaml, the repository's icons) or options changed, or that was never
      generated;
    - one line per output file that is missing, or whose content is not what was
      written (edited by hand, or an old file committed with a new manifest).

    ``render_options``: the options the render must have used (e.g. DEFAULT_RENDER_OPTIONS;
    None: any). ``complete``: ``models`` are all the architectures, so a manifest entry
    of any other id is left over from an architecture that is gone."""
    base = os.path.dirname(manifest_path)
    where = Pos(manifest_path)
    current = tool()
    entries = manifest.get("architectures", {})
    other_tools: dict = {}  # the recorded tools that differ from this one
    tool_files: set = set()  # the tool's own files that differ from the recorded ones
    per_arch, per_file = [], []
    for arch in models:
        problems = []
        entry = entries.get(arch.id, {})
        for product in products:
            rec = entry.get(product)
            if not rec:
                problems.append(f"{product}: never generated")
                continue
            now, then = inputs(arch, product), rec.get("inputs", {})
            changed = [k for k in now if then.get(k) != now[k]] + [k for k in then if k not in now]
            tool_files.update(k for k in changed if _TOOL_INPUT.match(k))
            changed = [k for k in changed if not _TOOL_INPUT.match(k)]
            if rec.get("tool") != current:
                recorded = rec.get("tool") if isinstance(rec.get("tool"), dict) else {}
                other_tools[json.dumps(recorded, sort_keys=True)] = recorded
            if changed:
                problems.append(f"{product}: changed {', '.join(changed)}")
            if product == "render" and render_options is not None and \
                    _canonical(rec.get("options")) != _canonical(render_options):
                problems.append(f"render: made with options {json.dumps(rec.get('options'), sort_keys=True)}, "
                                f"not {json.dumps(render_options, sort_keys=True)}")
            missing, edited, unreadable = _changed_outputs(rec, base)
            for o in missing + edited + list(unreadable):
                what = (f"missing, though {manifest_path} lists it" if o in missing else
                        f"cannot be read ({unreadable[o]}), though {manifest_path} lists it" if o in unreadable else
                        f"changed since diagramgen wrote it (its SHA-256 is not the one {manifest_path} records)")
                per_file.append(Diagnostic(Pos(os.path.join(base, o)), ERROR, f"{what}; {_RUN}", "DG604"))
        if problems:
            per_arch.append(Diagnostic(where, ERROR, f"{arch.id} is out of date ("
                                       + "; ".join(problems) + f"); {_RUN}", "DG603"))
        per_arch += sorted(per_file, key=lambda d: d.pos.path)  # each architecture's files by name
        per_file = []
    diags = _tool_diagnostics(where, current, other_tools, tool_files)
    diags += per_arch
    if complete:
        known = {m.id for m in models}
        for gone in sorted(set(entries) - known):
            diags.append(Diagnostic(where, ERROR, f"{gone}: outputs of an architecture that no "
                                    f"longer exists are still listed; {_RUN}", "DG605"))
    return diags


def _tool_diagnostics(where: Pos, current: dict, other_tools: dict, tool_files: set) -> list:
    """One line when outputs were made by another tool (``other_tools``: the recorded
    ones that differ) or from other code of this one (``tool_files``: its files whose
    hashes differ), instead of one per architecture."""
    if not (other_tools or tool_files):
        return []
    olds = [t for _, t in sorted(other_tools.items())] or [current]
    note = ""
    if tool_files:  # which of the tool's files differ, where few do (an edited checkout)
        names = sorted(tool_files)
        note = f"changed: {', '.join(names)}" if len(names) <= 3 else f"{len(names)} files changed"
    if other_tools:
        this = describe_tool(current, olds[0], note)
        return [Diagnostic(where, ERROR, f"outputs made by {' and '.join(describe_tool(t, current) for t in olds)}"
                           f", but this is {this}; {_RUN} to make them with this version", "DG602")]
    # the same version numbers, other code: an edited checkout
    return [Diagnostic(where, ERROR, f"outputs made by other code than this {describe_tool(current)}"
                       f" ({note}); {_RUN} to make them with this code", "DG602")]


def _canonical(options):
    try:
        return {k: sorted(v) for k, v in options.items()} if isinstance(options, dict) else options
    except TypeError:  # not lists of names: compares unequal to any real options
        return repr(options)


# what follows "steps/ID-" in the name of a step PNG: steps/ID-step-N.png (or
# steps/ID-step-SEQ-A.png, a lettered step); earlier versions also wrote
# steps/ID-step-N.svg, one view per step, which a render of today removes as left over
_STEP_FILE = re.compile(r"step-(?:[1-9][0-9]{0,3}|[a-z][a-z0-9_]*-[a-z]{1,4})\.(?:svg|png)\Z")
_DIAGRAM_TYPES = frozenset({"svg", "png", "html", "pdf"})


def is_output_name(arch_id: str, product: str, name: str) -> bool:
    """Whether ``name`` (relative to the manifest's folder) is one a ``product`` output of
    architecture ``arch_id`` (an id as the schema allows, ``_ID``) can have: only such
    files are ever removed as left over. The architecture's name is a literal prefix, so
    the rest is compared without a pattern made for each architecture."""
    if product == "docs":  # the page, and the diagrams and viewer copied beside it
        if name == f"docs/{arch_id}.md":
            return True
        head = f"docs/diagrams/{arch_id}."
        return name.startswith(head) and name[len(head):] in _DIAGRAM_TYPES
    # ID.svg (.png, .html, .pdf) the diagram and its viewer, steps/ID.svg the step view
    if name.startswith(f"{arch_id}."):
        return name[len(arch_id) + 1:] in _DIAGRAM_TYPES
    if not name.startswith(f"steps/{arch_id}"):
        return False
    rest = name[len(arch_id) + 6:]
    return rest == ".svg" or (rest[:1] == "-" and _STEP_FILE.match(rest, 1) is not None)


def leftovers(manifest: dict, product: str, written: dict, base: str, drop_ids=()) -> list:
    """Output files that the manifest lists for ``product`` but that are no longer made:
    those of each architecture in ``written`` (``{id: [new output names]}``) that the new
    render does not write again (e.g. the view of a deleted step), and every output of
    the ids in ``drop_ids`` (architectures that are gone).

    Returns names relative to ``base`` (remove them with files.remove_output, which
    follows no link). A name is returned only if it is one this tool makes for that
    architecture (``is_output_name``): a manifest edited to list any other file, ``..``
    or an absolute path, never makes it removed."""
    out = []
    entries = manifest.get("architectures", {})
    for arch_id, entry in entries.items():
        old = (entry.get(product) or {}).get("outputs", [])
        if arch_id in drop_ids:
            stay: set = set()
        elif arch_id in written:
            stay = set(written[arch_id])
        else:
            continue
        if not _ID.match(arch_id):
            continue
        for name in old:
            if name not in stay and is_output_name(arch_id, product, name):
                out.append(name)
    return sorted(out)


def update_file(path: str, product: str, written, options=None, drop_ids=(), drawn=None, then=None) -> bool:
    """Record in the manifest file at ``path`` that ``written`` (``[(model, [output
    paths])]``) were made for ``product``; other entries are kept, but those of
    ``drop_ids`` (architectures that are gone) lose their ``product`` record.
    ``drawn``: ``{architecture id: where its areas were drawn}`` (draw/columns.drawn_areas
    of the SVG written), kept so that an up-to-date render and the docs pages need not
    read the SVG again (recorded_drawn). ``then``: a function of the manifest so recorded
    returning the one to write (the group pages' entry added, publish/overviews.record),
    so the file is written once. True when the file was written, False when it held
    exactly that already. Raises files.WriteError when the file cannot be written. The
    file is read and written while the folder is locked (files.folder_locked), so two
    processes recording into one manifest keep each other's entries."""
    from diagramgen.files import folder_locked

    with folder_locked(os.path.dirname(path) or "."):  # another render or docs into this folder waits
        return _update_file(path, product, written, options, drop_ids, drawn, then)


def _update_file(path: str, product: str, written, options, drop_ids, drawn, then) -> bool:
    from diagramgen.files import WriteError, write_atomic

    manifest = read(path)
    entries = manifest.get("architectures", {})
    for gone in drop_ids:
        entries.get(gone, {}).pop(product, None)
        if gone in entries and not set(entries[gone]) - {"file"}:
            del entries[gone]
    base = os.path.dirname(path)
    for model, files_out in written:  # ``manifest`` is this function's own, just read
        _record_into(manifest, model, product,
                     [os.path.relpath(f, base).replace(os.sep, "/") for f in files_out], options, base,
                     (drawn or {}).get(model.id))
    if then is not None:
        manifest = then(manifest)
    try:
        return write_atomic(path, dumps(manifest).encode("utf-8"))
    except OSError as exc:
        raise WriteError(path, exc.strerror or str(exc)) from None
