"""The import contract (pyproject.toml, `[tool.importlinter]`) holds on the repo,
and it bites: the same layer list refuses a package tree with an upward import."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def _lint_imports(cwd: Path, *args: str, pythonpath: Path | None = None):
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache", "--no-logo", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )


def test_the_repository_keeps_its_layers():
    run = _lint_imports(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Layers point one way KEPT" in run.stdout


def test_an_upward_import_breaks_the_same_layer_contract(tmp_path):
    config = _config()
    (layers,) = [c["layers"] for c in config["contracts"] if c["id"] == "layers"]
    tree = tmp_path / "src"
    for package in config["root_packages"]:
        (tree / package).mkdir(parents=True)
        (tree / package / "__init__.py").write_text("")
    (tree / "workflows" / "flow.py").write_text("import activities.work\n")
    (tree / "activities" / "work.py").write_text("import db.rows\n")
    (tree / "db" / "rows.py").write_text("")
    contract = "\n".join(
        [
            "[importlinter]",
            "root_packages =",
            *(f"    {p}" for p in config["root_packages"]),
            "",
            "[importlinter:contract:layers]",
            "name = Layers point one way",
            "type = layers",
            "layers =",
            *(f"    {layer}" for layer in layers),
            "",
        ]
    )
    (tmp_path / ".importlinter").write_text(contract)

    downward = _lint_imports(tmp_path, ".importlinter", pythonpath=tree)
    assert downward.returncode == 0, downward.stdout + downward.stderr

    # The database layer reaching up into the workflows: refused, with the line named.
    (tree / "db" / "rows.py").write_text("from workflows import flow\n")
    upward = _lint_imports(tmp_path, ".importlinter", pythonpath=tree)
    assert upward.returncode != 0, upward.stdout
    assert "db is not allowed to import workflows" in upward.stdout
    assert "db.rows -> workflows.flow" in upward.stdout
