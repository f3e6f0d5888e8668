"""The package builds (sdist, then a wheel from it) and the wheel works in a fresh virtualenv."""
import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile

import pytest

from conftest import ARCH_DIR, ROOT, copy_project

pytestmark = [pytest.mark.slow, pytest.mark.dot]


def run(args, **kw):
    result = subprocess.run(args, capture_output=True, text=True, **kw)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    src = tmp_path_factory.mktemp("src") / "diagramgen"
    # Build from a copy, so the build leaves nothing (build/, *.egg-info) in the checkout.
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info",
                                                             "__pycache__", ".pytest_cache", "output", "tests"))
    run([sys.executable, "-m", "build", "--outdir", str(out), str(src)])
    return out


def test_wheel_holds_catalog_and_icons(dist):
    (wheel,) = dist.glob("*.whl")
    assert len(list(dist.glob("*.tar.gz"))) == 1
    names = zipfile.ZipFile(wheel).namelist()
    assert "diagramgen/catalog.yaml" in names and "diagramgen/__main__.py" in names
    icons = {n for n in names if n.startswith("diagramgen/icons/") and n.endswith(".png")}
    assert icons == {f"diagramgen/icons/{p.name}" for p in (ROOT / "diagramgen" / "icons").glob("*.png")}


def test_installed_wheel_renders_from_another_directory(dist, tmp_path):
    (wheel,) = dist.glob("*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)])
    work = tmp_path / "elsewhere"
    copy_project(work)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    exe = str(bin_dir / "diagramgen")
    assert run([exe, "--version"], cwd=work, env=env).stdout.startswith("diagramgen, version ")
    out = run([exe, "render", "architectures/premium.yaml", "--out", "out", "--format", "svg,png", "--progress",
               "--no-steps"],
              cwd=work, env=env)
    assert out.stderr.splitlines()[0].startswith("premium: rendered 2 file(s) in ")
    assert sorted(p.name for p in (work / "out").iterdir()) == ["manifest.json", "premium.png", "premium.svg"]
    assert (work / "out" / "premium.svg").read_text(encoding="utf-8").startswith("<?xml")
    where = run([str(bin_dir / "python"), "-c", "import diagramgen.catalog as c; print(c.ICON_DIR)"],
                cwd=work, env=env).stdout.strip()
    assert where.startswith(str(env_dir))  # the installed package's own icons, not the checkout's
    schema = json.loads(run([str(bin_dir / "python"), "-m", "diagramgen", "schema"], cwd=work, env=env).stdout)
    assert schema == json.loads((ROOT / "schema" / "architecture.schema.json").read_text(encoding="utf-8"))
    rows = [json.loads(line) for line in run([exe, "list", "--json"], cwd=work, env=env).stdout.splitlines()]
    assert sorted(r["file"] for r in rows) == sorted(f"architectures/{p.name}" for p in ARCH_DIR.glob("*.yaml"))
