"""The layers hold: imports point one way (import-linter's contract in `.importlinter`), and no import hides
inside a function without saying why."""

import ast
import configparser
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name not in {"tests", "bench"}]


def _project_modules():
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def test_the_layers_contract_is_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "1 kept, 0 broken" in result.stdout


def test_every_package_is_in_a_layer():
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    assert sorted(config["importlinter"]["root_packages"].split()) == sorted(PACKAGES)
    layers = config["importlinter:contract:layers"]["layers"].replace("|", " ").split()
    assert sorted(layers) == sorted(PACKAGES)


def test_an_import_inside_a_function_says_why():
    """AppConfig.ready may import (models load only then); any other late import has a comment on its line."""
    unexplained = []
    for path in _project_modules():
        source = path.read_text()
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.name == "ready":
                continue
            for sub in ast.walk(node):
                line = lines[sub.lineno - 1] if isinstance(sub, ast.Import | ast.ImportFrom) else "#"
                if "#" not in line:
                    unexplained.append(f"{path.relative_to(ROOT)}:{sub.lineno}: {line.strip()}")
    assert not unexplained, "\n".join(unexplained)
