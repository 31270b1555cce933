"""deploy/: the images copy files that exist, the thin bot's requirements are the project's own minus the engine's,
and the compose file wires the bots to the engine and the database (Docker itself is not needed to check this)."""

from __future__ import annotations

import fnmatch
import json
import shlex
import tomllib
from pathlib import Path, PurePosixPath

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot import metrics
from engine.weights.cache import cache_dir

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
ENGINE_ONLY = {"torch", "torchvision", "clip-anytorch", "dlib-bin", "face-recognition-models", "scipy", "ray", "tqdm"}


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for line in dockerfile.read_text().splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        pending += line.strip()
        if pending.endswith("\\"):
            pending = pending[:-1].rstrip() + " "
            continue
        keyword, _, arguments = pending.strip().partition(" ")
        result.append((keyword.upper(), arguments.strip()))
        pending = ""
    return result


def arguments(dockerfile: Path, keyword: str) -> list[str]:
    return [args for kw, args in instructions(dockerfile) if kw == keyword]


def ignored(path: str) -> bool:
    """Whether .dockerignore leaves `path` (or a folder above it) out of the build context."""
    patterns = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines()]
    patterns = [p for p in patterns if p and not p.startswith("#")]
    parts = PurePosixPath(path).parts
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatch(prefix, pattern) or fnmatch.fnmatch(prefix, pattern.removeprefix("**/"))
               for prefix in prefixes for pattern in patterns)


def project_dependencies() -> dict[str, Requirement]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {canonicalize_name(r.name): r for r in map(Requirement, pyproject["project"]["dependencies"])}


def thin_requirements() -> list[Requirement]:
    lines = (DEPLOY / "bot-requirements.txt").read_text().splitlines()
    return [Requirement(line.split("#")[0]) for line in lines if line.split("#")[0].strip()]


def requirement_problems(requirements: list[Requirement], project: dict[str, Requirement]) -> list[str]:
    """Why a thin bot's requirements would be wrong: an engine package, or one the project does not ask for as is."""
    problems = []
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        if name in ENGINE_ONLY:
            problems.append(f"{name} belongs to the engine")
        elif name not in project:
            problems.append(f"{name} is not a dependency of the project")
        elif (requirement.specifier, requirement.extras) != (project[name].specifier, project[name].extras):
            problems.append(f"{requirement} differs from the project's {project[name]}")
    return problems


# ---------------------------------------------------------------------- images


@pytest.mark.parametrize("name", ["engine.Dockerfile", "bot.Dockerfile"])
def test_the_images_copy_files_that_exist_and_are_in_the_build_context(name):
    copies = arguments(DEPLOY / name, "COPY")
    assert copies
    for copy in copies:
        *sources, _destination = shlex.split(copy)
        for source in sources:
            assert (ROOT / source).exists(), f"{name} copies {source}, which does not exist"
            assert not ignored(source), f"{name} copies {source}, which .dockerignore leaves out"


def test_the_ignore_file_keeps_the_tests_and_caches_out_but_the_package_in():
    assert ignored(".git/HEAD") and ignored("bot/core/__pycache__/x.pyc") and ignored(".venv/bin/python")
    assert ignored("tests/core/test_metrics.py")
    assert not ignored("bot/core/conversation.py") and not ignored("deploy/bot-requirements.txt")


def test_the_engine_image_serves_on_every_interface_from_a_cuda_base_with_the_weights_in_a_volume():
    dockerfile = DEPLOY / "engine.Dockerfile"
    (base,) = arguments(dockerfile, "FROM")
    assert "cuda" in base
    assert json.loads(arguments(dockerfile, "CMD")[-1]) == ["styleclip-bot", "serve", "--host", "0.0.0.0"]
    assert any('pip install ".[serve]"' in run for run in arguments(dockerfile, "RUN"))
    environment = dict(shlex.split(pair)[0].split("=", 1) for env in arguments(dockerfile, "ENV")
                       for pair in shlex.split(env))
    (volume,) = arguments(dockerfile, "VOLUME")
    assert cache_dir({"STYLECLIP_HOME": environment["STYLECLIP_HOME"]}) == Path(volume)  # where the engine looks
    assert "127.0.0.1:8000/health" in arguments(dockerfile, "HEALTHCHECK")[0]


def test_the_serve_extra_the_engine_image_installs_is_declared():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"].get("optional-dependencies", {})
    assert any(canonicalize_name(Requirement(r).name) == "ray" for r in extras["serve"])


def test_the_bot_image_installs_only_the_thin_requirements_and_the_project_without_its_dependencies():
    dockerfile = DEPLOY / "bot.Dockerfile"
    assert arguments(dockerfile, "FROM") == ["python:3.12-slim"]
    runs = arguments(dockerfile, "RUN")
    assert [run for run in runs if "pip install" in run] == [
        "pip install -r deploy/bot-requirements.txt",
        "pip install --no-deps . && python -c \"import importlib.util as u; "
        "assert u.find_spec('torch') is None, 'torch got into the bot image'\"",
    ]
    assert json.loads(arguments(dockerfile, "CMD")[-1]) == ["styleclip-bot", "run"]


def test_the_thin_requirements_are_the_projects_own_without_the_engines():
    requirements = thin_requirements()
    assert requirement_problems(requirements, project_dependencies()) == []
    names = {canonicalize_name(r.name) for r in requirements}
    assert {"sqlalchemy", "alembic", "psycopg", "python-telegram-bot", "discord-py", "prometheus-client"} <= names


def test_the_requirement_check_catches_engine_packages_strangers_and_drift():
    project = project_dependencies()
    bad = [Requirement("torch>=2.1"), Requirement("requests"), Requirement("pillow>=9"), Requirement("psycopg>=3.1")]
    assert requirement_problems(bad, project) == [
        "torch belongs to the engine",
        "requests is not a dependency of the project",
        "pillow>=9 differs from the project's pillow>=10",
        "psycopg>=3.1 differs from the project's psycopg[binary]>=3.1",
    ]


# ---------------------------------------------------------------------- compose


@pytest.fixture(scope="module")
def compose() -> dict:
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


BOTS = ("telegram-bot", "discord-bot")


def test_compose_builds_from_the_dockerfiles_here(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "engine", *BOTS}
    for name in ("engine", *BOTS):
        build = services[name]["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).resolve().is_file(), name


def test_compose_gives_the_engine_the_gpus_a_token_and_a_health_check(compose):
    engine = compose["services"]["engine"]
    (device,) = engine["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and "gpu" in device["capabilities"]
    assert engine["command"][:4] == ["styleclip-bot", "serve", "--host", "0.0.0.0"]
    assert engine["environment"]["STYLECLIP_ENGINE_TOKEN"].startswith("${STYLECLIP_ENGINE_TOKEN:?")
    assert "http://127.0.0.1:8000/health" in " ".join(engine["healthcheck"]["test"])
    assert engine["volumes"] == [f"weights:{engine['environment']['STYLECLIP_HOME']}"]
    assert compose["services"]["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]


@pytest.mark.parametrize("name", BOTS)
def test_compose_points_each_bot_at_the_engine_and_the_database(compose, name, monkeypatch):
    services = compose["services"]
    bot, postgres = services[name], services["postgres"]["environment"]
    environment = bot["environment"]
    assert environment["STYLECLIP_ENGINE_URL"] == "http://engine:8000"
    assert environment["STYLECLIP_ENGINE_TOKEN"] == services["engine"]["environment"]["STYLECLIP_ENGINE_TOKEN"]
    assert environment["DATABASE_URL"] == (f"postgresql+psycopg://{postgres['POSTGRES_USER']}:"
                                           f"{postgres['POSTGRES_PASSWORD']}@postgres:5432/{postgres['POSTGRES_DB']}")
    assert bot["depends_on"] == {"postgres": {"condition": "service_healthy"},
                                 "engine": {"condition": "service_healthy"}}
    assert {"TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN"} & set(environment) == {name.replace("-bot", "").upper()
                                                                             + "_BOT_TOKEN"}
    # the metrics settings are ones `styleclip-bot run` accepts, and the port published is the one listened on
    monkeypatch.setenv(metrics.HOST_VAR, environment[metrics.HOST_VAR])
    monkeypatch.setenv(metrics.PORT_VAR, environment[metrics.PORT_VAR])
    listened = metrics.address()
    (published,) = bot["ports"]
    assert published.rsplit(":", 1)[1] == str(listened.port) and listened.host == "0.0.0.0"
