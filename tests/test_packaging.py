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
                                                             "__pycache__", ".pytest_cache", "output", "tests",
                                                             ".cache"))
    result = run([sys.executable, "-m", "build", "--outdir", str(out), str(src)])
    out.joinpath("build.log").write_text(result.stdout + result.stderr)
    return out


def test_build_gives_no_packaging_warning(dist):
    log = (dist / "build.log").read_text()
    warnings = [line for line in log.splitlines() if "warning" in line.lower()
                and "byte-compiling is disabled" not in line]  # PYTHONDONTWRITEBYTECODE, not the package
    assert warnings == []


def test_wheel_carries_the_licences(dist):
    (wheel,) = dist.glob("*.whl")
    z = zipfile.ZipFile(wheel)
    names = z.namelist()
    licence = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
    assert licence and z.read(licence[0]) == (ROOT / "LICENSE").read_bytes()
    assert b"Copyright (c) diagramgen contributors" in z.read(licence[0])
    assert any(n.endswith("licenses/diagramgen/vendor/svg-pan-zoom.LICENSE") for n in names)
    metadata = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: MIT" in metadata


def test_wheel_holds_catalog_and_icons(dist):
    (wheel,) = dist.glob("*.whl")
    assert len(list(dist.glob("*.tar.gz"))) == 1
    names = zipfile.ZipFile(wheel).namelist()
    assert "diagramgen/model/catalog.yaml" in names and "diagramgen/__main__.py" in names
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
    where = run([str(bin_dir / "python"), "-c", "import diagramgen.model.catalog as c; print(c.ICON_DIR)"],
                cwd=work, env=env).stdout.strip()
    assert where.startswith(str(env_dir))  # the installed package's own icons, not the checkout's
    schema = json.loads(run([str(bin_dir / "python"), "-m", "diagramgen", "schema"], cwd=work, env=env).stdout)
    assert schema == json.loads((ROOT / "schema" / "architecture.schema.json").read_text(encoding="utf-8"))
    rows = [json.loads(line) for line in run([exe, "list", "--json"], cwd=work, env=env).stdout.splitlines()]
    assert sorted(r["file"] for r in rows) == sorted(f"architectures/{p.name}" for p in ARCH_DIR.glob("*.yaml"))


# What `pip install` of the wheel brings into a fresh virtualenv, besides pip itself: the
# README's "Installing" section justifies each entry. diagrams (0.24 and later) declares
# pre-commit as a runtime dependency, which brings cfgv, identify, nodeenv and virtualenv
# (with distlib, filelock, platformdirs, python-discovery); diagramgen never imports them.
DIRECT = {"diagrams", "graphviz", "pyyaml", "click", "pillow", "lxml", "cairosvg", "markdown-it-py", "watchfiles"}


def test_fresh_install_brings_only_the_declared_dependencies_and_theirs(dist, tmp_path):
    (wheel,) = dist.glob("*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = str(env_dir / "bin" / "python")
    run([py, "-m", "pip", "install", "--quiet", str(wheel)])
    listed = json.loads(run([py, "-m", "pip", "list", "--format", "json"]).stdout)
    names = {p["name"].lower().replace("_", "-") for p in listed} - {"pip", "setuptools", "wheel", "diagramgen"}
    assert DIRECT <= names
    # every requirement, followed from diagramgen down, whose environment marker applies here
    script = "\n".join([
        "import importlib.metadata as m, json, re",
        "def applies(req):",
        "    if ';' not in req: return True",
        "    marker = req.split(';', 1)[1]",
        "    if 'extra' in marker: return False",
        "    from packaging.markers import Marker",  # installed above: it is a dependency too
        "    return Marker(marker).evaluate()",
        "seen, todo = set(), ['diagramgen']",
        "while todo:",
        "    for r in m.requires(todo.pop()) or []:",
        "        n = re.split(r'[ ;<>=!~(\\[]', r, maxsplit=1)[0].lower().replace('_', '-')",
        "        if applies(r) and n not in seen: seen.add(n); todo.append(n)",
        "print(json.dumps(sorted(seen)))"])
    needed = set(json.loads(run([py, "-c", script]).stdout))
    assert names == needed  # nothing installed that no requirement asks for


def test_installed_wheel_works_in_an_empty_repository(dist, tmp_path):
    """A repository with nothing but one new architecture file: the editor's schema line
    resolves, render, docs and check-outputs work, and check-outputs catches an edited
    output and outputs made by another diagramgen."""
    import jsonschema
    import yaml

    from diagramgen import __version__
    from diagramgen.publish.manifest import code_inputs

    (wheel,) = dist.glob("*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)])
    exe = str(env_dir / "bin" / "diagramgen")
    work = tmp_path / "empty"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    def dg(*args):
        return subprocess.run([exe, *args], cwd=work, env=env, capture_output=True, text=True)

    run([exe, "new", "demo", "--title", "Demo"], cwd=work, env=env)
    arch = work / "architectures" / "demo.yaml"
    first = arch.read_text(encoding="utf-8").splitlines()[0]
    schema = (arch.parent / first.split("$schema=", 1)[1]).resolve()
    assert schema == (work / "schema" / "architecture.schema.json").resolve()
    assert list(jsonschema.Draft202012Validator(json.loads(schema.read_text(encoding="utf-8"))).iter_errors(
        yaml.safe_load(arch.read_text(encoding="utf-8")))) == []
    run([exe, "render"], cwd=work, env=env)
    run([exe, "docs"], cwd=work, env=env)
    assert run([exe, "check-outputs"], cwd=work, env=env).stdout == "ok: outputs of 1 architecture(s) are up to date\n"
    # the wheel is the same tool as the checkout it was built from
    manifest_path = work / "output" / "manifest.json"
    made = json.loads(manifest_path.read_text(encoding="utf-8"))["architectures"]["demo"]
    assert made["render"]["tool"]["diagramgen"] == __version__
    for product in ("render", "docs"):
        code = {k: v for k, v in made[product]["inputs"].items()
                if k.startswith("diagramgen/") and not k.startswith("diagramgen/icons/")
                and k != "diagramgen/model/catalog.yaml"}
        assert code == code_inputs(product)

    regenerate = 'run "diagramgen render && diagramgen docs"'
    svg = work / "output" / "demo.svg"
    svg.write_text(svg.read_text(encoding="utf-8").replace("Demo", "Edited"), encoding="utf-8")
    result = dg("check-outputs")
    assert (result.returncode, result.stdout, result.stderr.splitlines()) == (1, "", [
        "output/demo.svg: error: changed since diagramgen wrote it (its SHA-256 is not the one "
        f"output/manifest.json records); {regenerate} [DG604]"])
    run([exe, "render"], cwd=work, env=env)

    data = json.loads(manifest_path.read_text(encoding="utf-8"))
    for rec in data["architectures"]["demo"].values():
        if isinstance(rec, dict):
            rec["tool"]["diagramgen"] = "0.0.9"
    manifest_path.write_text(json.dumps(data), encoding="utf-8")
    result = dg("check-outputs")
    assert (result.returncode, result.stdout, result.stderr.splitlines()) == (1, "", [
        f"output/manifest.json: error: outputs made by diagramgen 0.0.9, but this is "
        f"diagramgen {__version__}; {regenerate} to make them with this version [DG602]"])

    run([exe, "render", "--format", "png,svg,html,pdf"], cwd=work, env=env)
    run([exe, "docs"], cwd=work, env=env)
    out = work / "output"
    assert {p.name for p in out.iterdir()} >= {"demo.png", "demo.svg", "demo.html", "demo.pdf", "docs", "steps"}
    assert sorted(p.name for p in (out / "docs" / "diagrams").iterdir()) == [
        "demo.html", "demo.pdf", "demo.png", "demo.svg"]
    assert "](diagrams/demo.pdf)" in (out / "docs" / "demo.md").read_text(encoding="utf-8")
