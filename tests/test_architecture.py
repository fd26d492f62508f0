"""The direction of dependencies (docs/architecture.md) is enforced, not just written down:
`make lint` runs the import contracts in .importlinter, and these tests prove that an import
pointing upward breaks them, and that no import hides inside a function to dodge a cycle."""

import ast
import shutil
import subprocess
import sys
from configparser import ConfigParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def root_packages() -> list[str]:
    config = ConfigParser()
    config.read(ROOT / ".importlinter")
    return config["importlinter"]["root_packages"].split()


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own tool on our own files
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory) -> Path:
    """The Python files of every Warmpath package and the contracts, in a scratch folder."""
    copy = tmp_path_factory.mktemp("tree")
    shutil.copy(ROOT / ".importlinter", copy / ".importlinter")
    for package in root_packages():
        shutil.copytree(
            ROOT / package,
            copy / package,
            ignore=lambda folder, names: [
                name for name in names if not name.endswith(".py") and "." in name
            ],
        )
    return copy


def test_the_tree_keeps_every_contract(tree_copy):
    result = lint_imports(tree_copy)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "upward_import", "contract"),
    [
        ("contacts/selectors.py", "import referrals.models", "Apps import downward only"),
        ("accounts/models.py", "import dashboard.views", "Apps import downward only"),
        ("followups/reminders.py", "import reporting.kpis", "Apps import downward only"),
        ("exports/registry.py", "import outbox.models", "Apps import downward only"),
        ("core/http.py", "import accounts.models", "Plumbing imports no Warmpath app"),
        ("referrals/services.py", "import faker", "Only the demo data generator uses Faker"),
    ],
)
def test_an_upward_import_breaks_the_build(tree_copy, tmp_path, module, upward_import, contract):
    tree = tmp_path / "tree"
    shutil.copytree(tree_copy, tree)
    target = tree / module
    target.write_text(target.read_text() + f"\n{upward_import}  # added by the test\n")

    result = lint_imports(tree)

    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout


def function_level_imports(path: Path) -> list[str]:
    """Imports of Warmpath's own packages written inside a function, other than an app's
    ready() (where Django wants modules that load models to be imported)."""
    found = []
    packages = set(root_packages())
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.name == "ready":
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.module:
                names = [inner.module]
            elif isinstance(inner, ast.Import):
                names = [alias.name for alias in inner.names]
            else:
                continue
            found += [
                f"{path.relative_to(ROOT)}:{inner.lineno} {name}"
                for name in names
                if name.split(".")[0] in packages
            ]
    return found


def test_no_import_hides_inside_a_function():
    offenders = [
        line
        for package in root_packages()
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
        for line in function_level_imports(path)
    ]

    assert offenders == [], "move the module to the layer that may import it: " + ", ".join(
        offenders
    )
