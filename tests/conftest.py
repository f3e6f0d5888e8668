import os
import shutil
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARCH_DIR = ROOT / "architectures"
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
SHARED = ROOT.parent / "shared"
# The one switch that rewrites golden files: DIAGRAMGEN_UPDATE_GOLDEN=1 make test
UPDATE_GOLDEN = os.environ.get("DIAGRAMGEN_UPDATE_GOLDEN") == "1"

HAVE_DOT = shutil.which("dot") is not None


def run_probe(script: str, mode: str, cache, switch: str) -> dict:
    """The JSON ``script`` prints, run as ``python -c script mode`` in a fresh process
    with the disk cache in ``cache`` and the environment variable ``switch`` unset (the
    kept-table tests: test_methodcache.py, test_regexcache.py)."""
    import json
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != switch}
    env["DIAGRAMGEN_CACHE_DIR"] = str(cache)
    out = subprocess.run([sys.executable, "-c", script, mode], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def kept_tables(cache, folder: str) -> list:
    """The names of the kept tables in ``folder`` of the disk cache ``cache``."""
    return sorted(p.name for p in (Path(cache) / folder).glob("*.marshal"))


def realistic(*args, **kwargs) -> str:
    """bench/realistic.py's ``realistic``: a seeded architecture shaped like the real ones."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_realistic", ROOT / "bench" / "realistic.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.realistic(*args, **kwargs)


def portable(dot: str) -> str:
    """DOT text with machine-specific icon directories replaced by placeholders: the
    package's icons, the diagrams library's, the repository's own and the process's
    folder of rasterised SVG icons."""
    import re

    import diagrams

    from diagramgen.model.catalog import ICON_DIR

    dot = dot.replace(str(ICON_DIR), "{ICONS}")
    dot = dot.replace(str(Path(diagrams.__file__).resolve().parent.parent), "{DIAGRAMS}")
    dot = dot.replace(str(ARCH_DIR.resolve().parent), "{REPO}")
    return re.sub(r'SRC="[^"]*/(diagramgen-icons-[^/"]*)/', 'SRC="{RASTER}/', dot)


def copy_project(dst: Path) -> Path:
    """Copy the repository's architectures (with their fragments and icons) and its
    settings file, which declares the repository's own kinds, into ``dst``."""
    shutil.copytree(ARCH_DIR, dst / "architectures")
    if (ROOT / "diagramgen.yaml").exists():
        shutil.copy2(ROOT / "diagramgen.yaml", dst / "diagramgen.yaml")
    return dst


def pytest_collection_modifyitems(config, items):
    if HAVE_DOT:
        return
    skip = pytest.mark.skip(reason="Graphviz 'dot' is not installed (apt-get install graphviz)")
    for item in items:
        if "dot" in item.keywords:
            item.add_marker(skip)


def assert_golden(name: str, actual: str) -> None:
    """Compare text with tests/golden/NAME; DIAGRAMGEN_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN_DIR / name
    if UPDATE_GOLDEN or not path.exists():
        if not UPDATE_GOLDEN:
            pytest.fail(f"golden file {path} is missing; run DIAGRAMGEN_UPDATE_GOLDEN=1 make test")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{name} differs from its golden file (DIAGRAMGEN_UPDATE_GOLDEN=1 to accept)"


@pytest.fixture
def write(tmp_path):
    """Write a dedented YAML file under tmp_path and return its path."""

    def _write(name: str, content: str) -> Path:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
        return p

    return _write


def snapshot(root: Path) -> dict:
    """Every file and directory under root, with file bytes and symlink targets (for
    before/after comparisons of an output directory)."""
    out = {}
    for p in sorted(Path(root).rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = ("link", os.readlink(p))
        elif p.is_dir():
            out[rel] = ("dir",)
        else:
            out[rel] = ("file", p.read_bytes())
    return out


@pytest.fixture(autouse=True, scope="session")
def _icon_cache(tmp_path_factory):
    """Encoded icons go to a cache of the test session, not the user's ~/.cache."""
    old = os.environ.get("DIAGRAMGEN_CACHE_DIR")
    os.environ["DIAGRAMGEN_CACHE_DIR"] = str(tmp_path_factory.mktemp("icon-cache"))
    yield
    if old is None:
        os.environ.pop("DIAGRAMGEN_CACHE_DIR", None)
    else:
        os.environ["DIAGRAMGEN_CACHE_DIR"] = old


@pytest.fixture
def fragment_repo(tmp_path, monkeypatch):
    """A repository made with `diagramgen new`: two architectures, alpha and beta, that
    both include fragments/shared.yaml, with a disk cache of its own and no model kept
    yet (``new`` loads the others). The current folder is the repository."""
    from click.testing import CliRunner

    from diagramgen.cli import main
    from diagramgen.model import stored

    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "repo"
    root.mkdir()
    monkeypatch.chdir(root)
    for name in ("alpha", "beta"):
        assert CliRunner().invoke(main, ["new", name, "--title", name.title()]).exit_code == 0
    (root / "architectures" / "fragments").mkdir()
    (root / "architectures" / "fragments" / "shared.yaml").write_text(
        "components:\n  - {id: archive, kind: dataverse, area: data, standalone: true}\n", encoding="utf-8")
    for name in ("alpha", "beta"):
        arch = root / "architectures" / f"{name}.yaml"
        arch.write_text(arch.read_text(encoding="utf-8").replace("\nareas:\n", "\ninclude: [fragments/shared.yaml]\n"
                                                                "areas:\n", 1), encoding="utf-8")
    shutil.rmtree(tmp_path / "cache" / stored.FOLDER, ignore_errors=True)
    return root


def invoke(*args) -> tuple:
    """Run the CLI in this process with ``args``: (exit status, stdout, stderr)."""
    from click.testing import CliRunner

    from diagramgen.cli import main

    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr
