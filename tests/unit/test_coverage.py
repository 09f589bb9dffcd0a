"""The README's coverage table and the code agree, both ways.

The section "What each document offers, and where it is in chat" holds one table per
system between ``<!-- coverage:SYSTEM -->`` markers: every endpoint of that system's
document, the client method that calls it and the chat command that reaches it (or
``none: why``). These tests fail when

- a row names a client method that does not exist, or whose source does not mention
  the endpoint (a stale or invented row);
- a row names a chat command that no handler registers;
- a row reaches no command and gives no reason;
- the table lists a different set of endpoints than ``tests/data/coverage/SYSTEM.txt``,
  the endpoint list taken from the document (a row lost or made up);
- a client calls a path that no row mentions (code that grew without its row).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SYSTEMS = ("wallex", "narkasa", "alp", "wallexpay", "wex")
_CELL_CODE = re.compile(r"`([^`]+)`")
_COMMAND = re.compile(r"(?<![\w/])/([a-z][a-z0-9_]*)\b")
_PLACEHOLDER = re.compile(r"^[{<:\[].*|.*[}>\]]$")
#: String literals in a client package that are not endpoints.
_NOT_ENDPOINTS = {
    "application/json",
    "application/x-www-form-urlencoded",
    "text/html",
    "text/plain",
}
_PATHLIKE = re.compile(r"^/?[A-Za-z0-9_.@-]+(/[A-Za-z0-9_.@{}<>-]*)+$")


@dataclass(frozen=True)
class Row:
    system: str
    endpoint: str
    clients: tuple[str, ...]
    reached: str

    @property
    def needle(self) -> str:
        return needle_of(self.endpoint)


def needle_of(endpoint: str) -> str:
    """The most specific fixed word of an endpoint: its last segment that is not a
    placeholder (``GET /v1/account/card-numbers`` → ``card-numbers``)."""
    parts = [p for p in re.split(r"[\s/?]+", endpoint) if p and not _PLACEHOLDER.match(p)]
    return parts[-1] if parts else endpoint


@cache
def readme_rows() -> dict[str, tuple[Row, ...]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found: dict[str, tuple[Row, ...]] = {}
    for system in SYSTEMS:
        match = re.search(
            rf"<!-- coverage:{system} -->(.*?)<!-- /coverage:{system} -->", text, re.S
        )
        if match is None:
            continue
        rows = []
        for line in match.group(1).splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 3 or set(cells[0]) <= set("-: ") or cells[0].lower() == "endpoint":
                continue
            endpoint = _CELL_CODE.findall(cells[0])
            assert endpoint, f"{system}: endpoint cell without `code`: {line}"
            rows.append(Row(system, endpoint[0], tuple(_CELL_CODE.findall(cells[1])), cells[2]))
        found[system] = tuple(rows)
    return found


@cache
def registered_commands() -> frozenset[str]:
    names: set[str] = set()
    for path in (ROOT / "handlers").glob("*.py"):
        names.update(re.findall(r"CommandHandler\(\s*\"([a-z0-9_]+)\"", path.read_text()))
    return frozenset(names)


def resolve(dotted: str) -> object:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            target = getattr(target, attr)
        return target
    raise ModuleNotFoundError(dotted)


def client_literals(system: str) -> set[str]:
    """Path-like string constants in the system's client package (docstrings excluded)."""
    found: set[str] = set()
    for path in (ROOT / "exchanges" / system).glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
            and isinstance(node.body[0].value, ast.Constant)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                text = "".join(
                    v.value if isinstance(v, ast.Constant) else "{}" for v in node.values
                )
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                if id(node) in docstrings:
                    continue
                text = node.value
            else:
                continue
            text = text.split("?")[0]
            if _PATHLIKE.match(text) and text not in _NOT_ENDPOINTS:
                found.add(text)
    return found


def document_endpoints(system: str) -> list[str]:
    path = ROOT / "tests" / "data" / "coverage" / f"{system}.txt"
    return [
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_document_endpoint_has_exactly_one_row(system: str) -> None:
    rows = readme_rows().get(system)
    assert rows, f"README has no coverage table for {system}"
    listed = [row.endpoint for row in rows]
    duplicates = {e for e in listed if listed.count(e) > 1}
    assert not duplicates, f"{system}: listed twice: {sorted(duplicates)}"
    expected = document_endpoints(system)
    assert set(listed) == set(expected), (
        f"{system}: missing rows {sorted(set(expected) - set(listed))}; "
        f"rows not in the document's list {sorted(set(listed) - set(expected))}"
    )


@pytest.mark.parametrize("system", SYSTEMS)
def test_rows_name_real_client_methods_that_call_the_endpoint(system: str) -> None:
    for row in readme_rows().get(system, ()):
        if not row.clients:
            continue
        sources = []
        for dotted in row.clients:
            target = resolve(dotted)
            sources.append(inspect.getsource(target))  # type: ignore[arg-type]
        assert any(row.needle in source for source in sources), (
            f"{system}: {row.endpoint}: none of {row.clients} mentions {row.needle!r}"
        )


@pytest.mark.parametrize("system", SYSTEMS)
def test_rows_reach_registered_commands_or_say_why_not(system: str) -> None:
    commands = registered_commands()
    for row in readme_rows().get(system, ()):
        named = set(_COMMAND.findall(row.reached))
        unknown = named - commands
        assert not unknown, f"{system}: {row.endpoint}: no handler for /{sorted(unknown)}"
        if not named:
            assert row.reached.lower().startswith("none") and len(row.reached.split()) >= 4, (
                f"{system}: {row.endpoint}: reaches no command and says no reason: {row.reached!r}"
            )
        if not row.clients:
            assert not named, f"{system}: {row.endpoint}: a command but no client method"


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_path_the_client_calls_has_a_row(system: str) -> None:
    rows = readme_rows().get(system, ())
    cells = " ".join(row.endpoint for row in rows)
    needles = {row.needle for row in rows}
    for literal in sorted(client_literals(system)):
        last = needle_of(literal)
        assert last in needles or last in cells, (
            f"{system}: the client calls {literal!r}, which no row of the table names"
        )


def test_needle_takes_the_last_fixed_segment() -> None:
    assert needle_of("GET /v1/account/card-numbers") == "card-numbers"
    assert needle_of("GET /api/v1/order/<pk>/") == "order"
    assert needle_of("DELETE /v1/account/card-numbers/{id}") == "card-numbers"
    assert needle_of("TradeHistory") == "TradeHistory"
    assert needle_of("ws SUBSCRIBE ticker") == "ticker"
