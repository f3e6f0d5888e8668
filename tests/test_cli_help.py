"""Every command has help with an example and is in the README's generated CLI reference."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from diagramgen import __version__
from diagramgen.cli import main
from diagramgen.clidoc import END, START, cli_reference, with_reference

from conftest import ROOT

README = ROOT / "README.md"
COMMANDS = sorted(main.commands)  # includes commands added later: nothing to list here


def reference_section():
    text = README.read_text(encoding="utf-8")
    return text.split(START, 1)[1].split(END, 1)[0]


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help_with_an_example(name):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0
    cmd = main.commands[name]
    assert (cmd.help or "").strip(), f"'diagramgen {name}' has no help text"
    assert f"Example: diagramgen {name}" in result.output, f"'diagramgen {name} --help' shows no example"
    for param in cmd.params:
        if param.param_type_name == "option":
            assert param.help, f"option {param.opts} of 'diagramgen {name}' has no help"


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_documented_in_the_readme(name):
    assert f"### diagramgen {name}\n" in reference_section(), \
        f"'diagramgen {name}' is not in README's CLI reference: run `make readme-cli`"


def test_readme_cli_reference_is_up_to_date():
    text = README.read_text(encoding="utf-8")
    assert with_reference(text, cli_reference(main)) == text, \
        "README.md's CLI reference is stale: run `make readme-cli` and commit the result"


def test_version_and_python_dash_m():
    result = subprocess.run([sys.executable, "-m", "diagramgen", "--version"], capture_output=True, text=True)
    assert (result.returncode, result.stdout) == (0, f"diagramgen, version {__version__}\n")


def test_bash_completion_script():
    exe = Path(sys.executable).parent / "diagramgen"
    if not exe.exists():
        pytest.skip("the diagramgen script is not installed beside this Python (run make)")
    env = {**os.environ, "_DIAGRAMGEN_COMPLETE": "bash_source"}
    result = subprocess.run([str(exe)], capture_output=True, text=True, env=env)
    assert result.returncode == 0
    assert "complete -o nosort -F _diagramgen_completion diagramgen" in result.stdout
    # and the completion itself offers the commands
    env = {**os.environ, "_DIAGRAMGEN_COMPLETE": "bash_complete", "COMP_WORDS": "diagramgen wa", "COMP_CWORD": "1"}
    result = subprocess.run([str(exe)], capture_output=True, text=True, env=env)
    assert result.stdout.splitlines() == ["plain,watch"]
