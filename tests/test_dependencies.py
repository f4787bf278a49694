"""Every module our code imports comes from the standard library, from this project, or from a
distribution `pyproject.toml` declares — so an import that works only because a package was
installed by hand, or arrives as a dependency of a dependency, fails here and not on a
newcomer's fresh machine (it happened: `pyinstrument`, `aiolimiter`, `httpx`)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterator, Mapping
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUR_PACKAGES = ("bot", "handlers", "storage", "locales", "tests", "bench")


def _canonical(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def declared_distributions() -> set[str]:
    """The names in `dependencies` and in every extra (without versions, markers or extras)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements.extend(extra)
    names = set()
    for requirement in requirements:
        name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        assert name, requirement
        names.add(_canonical(name.group()))
    return names


def imported_modules() -> Iterator[tuple[str, Path, int]]:
    """(top-level module, file, line) for every absolute import in our code."""
    for package in OUR_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        yield alias.name.partition(".")[0], path, node.lineno
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    yield node.module.partition(".")[0], path, node.lineno


def undeclared(
    imports: Iterator[tuple[str, Path, int]],
    declared: set[str],
    providers: Mapping[str, list[str]],
) -> list[str]:
    """One line per import that no declared distribution provides."""
    problems = []
    for module, path, line in imports:
        if module in sys.stdlib_module_names or module in OUR_PACKAGES or module == "__future__":
            continue
        distributions = {_canonical(name) for name in providers.get(module, [])}
        if distributions & declared:
            continue
        where = f"{path.relative_to(ROOT)}:{line}"
        if distributions:
            problems.append(
                f"{where}: `{module}` comes from {', '.join(sorted(distributions))}, "
                "which pyproject.toml does not declare"
            )
        else:
            problems.append(f"{where}: `{module}` is provided by no installed distribution")
    return problems


def test_every_imported_module_is_declared() -> None:
    problems = undeclared(imported_modules(), declared_distributions(), packages_distributions())
    assert not problems, "\n".join(problems)


def test_the_check_names_an_undeclared_or_missing_import() -> None:
    """The check above would see the slips it exists for (so it cannot pass by seeing nothing)."""
    here = Path(__file__)
    imports = iter(
        [("pyinstrument", here, 1), ("httpx", here, 2), ("telegram", here, 3), ("json", here, 4)]
    )
    providers = {"httpx": ["httpx"], "telegram": ["python-telegram-bot"]}
    problems = undeclared(imports, {"python-telegram-bot"}, providers)
    assert problems == [
        "tests/test_dependencies.py:1: `pyinstrument` is provided by no installed distribution",
        "tests/test_dependencies.py:2: `httpx` comes from httpx, which pyproject.toml does not "
        "declare",
    ]
    assert sum(1 for _ in imported_modules()) > 500  # it really reads our code


def test_ci_runs_the_readmes_test_command() -> None:
    """`.ci/run` runs exactly the command the README gives newcomers."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"Run the tests.*?```sh\n(.+?)\n```", readme, re.DOTALL)
    assert command, "the README's 'Run the tests' block"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert command.group(1) in ci
