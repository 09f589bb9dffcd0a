"""The Dockerfile, docker-compose.yml and the Caddyfile cannot be run here; this keeps them
honest: the commands they run parse as ``sarraf`` commands, the variables they set are
documented, the paths they probe are served, the files they copy or mount exist."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import parser
from bot.health import Health
from bot.http import HttpServer
from bot.webhook import PATH as WEBHOOK_PATH

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# Variables of the images the compose file also runs (not Sarraf's).
FOREIGN = {"POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD", "SARRAF_PUBLIC_HOST"}


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) with continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def served_paths() -> set[str]:
    app = HttpServer(Health(), "127.0.0.1", 0).app()
    return {r.resource.canonical for r in app.router.routes() if r.resource is not None} | {
        WEBHOOK_PATH,
        "/callbacks/wallexpay/{token}",
    }


def assert_sarraf_command(args: list[str]) -> None:
    try:
        parsed = parser().parse_args(args)
    except SystemExit as exit_:  # argparse refuses
        raise AssertionError(f"`sarraf {' '.join(args)}` is not a valid command") from exit_
    assert callable(parsed.func)


def assert_documented(name: str) -> None:
    assert f"`{name}`" in README or f"{name}`" in README, f"{name} is not in the README"


def probe_paths(command: str) -> list[str]:
    return re.findall(r"http://127\.0\.0\.1:8080(/[A-Za-z/]+)", command)


def test_dockerfile_runs_sarraf_and_probes_a_served_path() -> None:
    steps = dockerfile()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    entry = json.loads(dict(steps)["ENTRYPOINT"])
    assert entry == ["sarraf"] and "sarraf" in pyproject["project"]["scripts"]
    assert_sarraf_command(json.loads(dict(steps)["CMD"]))
    for word, rest in steps:
        if word == "COPY" and "--from" not in rest:
            for source in shlex.split(rest)[:-1]:
                assert (ROOT / source).exists(), source
        if word == "ENV":
            for name in re.findall(r"([A-Z_]+)=", rest):
                if name not in ("PYTHONUNBUFFERED", "MPLBACKEND"):
                    assert_documented(name)
    health = [rest for word, rest in steps if word == "HEALTHCHECK"]
    assert health and probe_paths(health[0])
    for path in probe_paths(health[0]):
        assert path in served_paths()


def bot_services(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in data["services"].items()
        if service.get("build") == "." or service.get("image") == "sarraf:latest"
    }


def test_compose_runs_valid_commands_with_documented_settings() -> None:
    data = compose()
    bots = bot_services(data)
    assert {"migrate", "bot1", "bot2"} <= set(bots)
    assert "postgres" in data["services"]
    for name, service in bots.items():
        assert_sarraf_command(service["command"])
        env = service["environment"]
        for variable in env:
            if variable not in FOREIGN:
                assert_documented(variable)
        assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert "@postgres:5432/" in env["DATABASE_URL"]
        if name != "migrate":
            # Replicas can only share a token in webhook mode.
            assert service["command"] == ["run", "--webhook"]
            probe = " ".join(service["healthcheck"]["test"])
            assert probe_paths(probe)
            for path in probe_paths(probe):
                assert path in served_paths()
            assert env["SARRAF_HTTP_PORT"] == "8080"
    assert bots["migrate"]["command"] == ["db", "upgrade"]
    replicas = [n for n in bots if n != "migrate"]
    assert len(replicas) >= 2


def test_the_load_balancer_forwards_what_the_bots_serve() -> None:
    data = compose()
    lb = data["services"]["lb"]
    mounts = [m.split(":")[0] for m in lb["volumes"] if m.startswith("./")]
    assert mounts == ["./deploy/Caddyfile"]
    caddyfile = (ROOT / mounts[0]).read_text(encoding="utf-8")
    upstreams = re.findall(r"(\w+):8080", caddyfile)
    assert set(upstreams) == set(bot_services(data)) - {"migrate"}
    public = re.search(r"@public path (.+)", caddyfile)
    assert public is not None
    served = served_paths()
    for path in public.group(1).split():
        prefix = path.rstrip("*")
        assert any(p == path or p.startswith(prefix) for p in served), path
    health_uri = re.search(r"health_uri (\S+)", caddyfile)
    assert health_uri is not None and health_uri.group(1) in served


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_operating_endpoints_are_served(path: str) -> None:
    assert path in served_paths()
