"""Checks of the deployment files under deploy/: systemd units, Dockerfile, compose.yaml, Caddyfile
and the settings examples.

Nothing is started: the units go through `systemd-analyze verify` and `security --offline`
(skipped without systemd-analyze), compose.yaml through the Compose Specification's JSON schema
(tests/support/data/compose-spec.json) and the wiring checks below, the Caddyfile through
`caddy adapt` when Caddy is installed, and the image's health check runs against a local stub.
"""

from __future__ import annotations

import http.server
import json
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import jsonschema
import pytest
import typer.main
import yaml
from pydantic import SecretStr

from config.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SYSTEMD = DEPLOY / "systemd"
UNITS = ("jangmadang.service", "jangmadang@.service", "jangmadang-send.service")
MIGRATE = "jangmadang-migrate.service"
ALL_UNITS = (*UNITS, MIGRATE)
SYSTEMD_ENV = SYSTEMD / "jangmadang.env.example"
COMPOSE_ENV = DEPLOY / "jangmadang.env.example"
COMPOSE_DOTENV = DEPLOY / ".env.example"
SCHEMA = ROOT / "tests" / "support" / "data" / "compose-spec.json"
INSTALLED_CLI = "/opt/jangmadang/.venv/bin/jangmadang"
APP_SERVICES = ("migrate", "bot", "sender")
# Variables the units and the image set that are not settings of the bot.
PROCESS_VARIABLES = {
    "PATH",
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
    "MPLCONFIGDIR",
    "PIP_NO_CACHE_DIR",
    "PIP_DISABLE_PIP_VERSION_CHECK",
}
TOKEN_SHAPE = re.compile(r"\d{3,15}:[A-Za-z0-9_-]{30,}")
SETTING_LINE = re.compile(r"^(#?)([A-Z][A-Z0-9_]*)=(.*)$")


# --- helpers ---------------------------------------------------------------------------------


def setting_names() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def secret_settings() -> set[str]:
    return {
        name.upper()
        for name, field in Settings.model_fields.items()
        if "SecretStr" in str(field.annotation) or field.annotation is SecretStr
    }


def env_lines(path: Path) -> list[tuple[str, str, bool]]:
    """(name, value, read) for each KEY=value line; "#KEY=value" lines are documentation."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = SETTING_LINE.match(line)
        if match:
            found.append((match[2], match[3], not match[1]))
        else:
            assert not line or line.startswith("#"), f"{path.name}: not KEY=value: {line!r}"
    return found


def read_settings(path: Path) -> dict[str, str]:
    return {name: value for name, value, read in env_lines(path) if read}


def unit(name: str) -> dict[str, list[tuple[str, str]]]:
    """A unit file's sections, each a list of (key, value) in order (keys may repeat)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for line in (SYSTEMD / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
            continue
        assert current is not None, f"{name}: {line!r} outside a section"
        key, _, value = line.partition("=")
        current.append((key.strip(), value.strip()))
    return sections


def values(name: str, section: str, key: str) -> list[str]:
    return [v for k, v in unit(name).get(section, []) if k == key]


def one(name: str, section: str, key: str) -> str:
    found = values(name, section, key)
    assert len(found) == 1, f"{name}: [{section}] {key}= {found}"
    return found[0]


def unit_environment(name: str) -> dict[str, str]:
    pairs = (v.partition("=") for v in values(name, "Service", "Environment"))
    return {k: v for k, _, v in pairs}


@cache
def cli_commands() -> frozenset[tuple[str, ...]]:
    """Every command path of the `jangmadang` CLI: ("run",), ("db", "upgrade"), ..."""
    from bot.entrypoints.cli import app

    paths: set[tuple[str, ...]] = set()

    def walk(command: object, prefix: tuple[str, ...]) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands is None:
            paths.add(prefix)
            return
        for name, sub in subcommands.items():
            walk(sub, (*prefix, name))

    walk(typer.main.get_command(app), ())
    return frozenset(paths)


def assert_cli(argv: list[str], where: str) -> None:
    assert argv and argv[0] in ("jangmadang", INSTALLED_CLI), f"{where}: {argv}"
    assert tuple(argv[1:]) in cli_commands(), f"{where}: no such command: {argv}"


@cache
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def service_environment(service: str) -> dict[str, str]:
    environment = compose()["services"][service].get("environment", {})
    assert isinstance(environment, dict), f"{service}: environment as a mapping"
    return {k: str(v) for k, v in environment.items()}


@cache
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the final stage and the build stage alike, in order."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n", " ", text)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, rest = line.partition(" ")
            found.append((instruction.upper(), rest.strip()))
    return found


def instructions(name: str) -> list[str]:
    return [rest for instruction, rest in dockerfile() if instruction == name]


def final_stage() -> list[tuple[str, str]]:
    froms = [i for i, (instruction, _) in enumerate(dockerfile()) if instruction == "FROM"]
    return dockerfile()[froms[-1] :]


def image_environment() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction, rest in final_stage():
        if instruction == "ENV":
            for pair in rest.split():
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def port(listen: str) -> int:
    return int(listen.rpartition(":")[2])


def healthcheck_code() -> str:
    (check,) = instructions("HEALTHCHECK")
    argv = json.loads(check[check.index("CMD") + 3 :])
    assert argv[:2] == ["python", "-c"], argv
    return argv[2]


# --- systemd units ---------------------------------------------------------------------------

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_systemd_analyze = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None, reason="systemd-analyze is not installed"
)


def installed_units(folder: Path, edit: dict[str, tuple[str, str]] | None = None) -> list[str]:
    """The units copied to `folder` with ExecStart= on an executable that exists here."""
    cli = Path(sys.executable).with_name("jangmadang")
    executable = str(cli) if cli.exists() else "/bin/true"
    for name in ALL_UNITS:
        text = (SYSTEMD / name).read_text(encoding="utf-8").replace(INSTALLED_CLI, executable)
        if edit and name in edit:
            old, new = edit[name]
            assert old in text
            text = text.replace(old, new, 1)
        (folder / name).write_text(text, encoding="utf-8")
    # The template is verified as an instance.
    return [str(folder / n.replace("@.", "@1.")) for n in ALL_UNITS]


def verify(paths: list[str]) -> subprocess.CompletedProcess[str]:
    assert SYSTEMD_ANALYZE is not None
    return subprocess.run(
        [SYSTEMD_ANALYZE, "verify", "--man=no", "--generators=no", *paths],
        capture_output=True,
        text=True,
        timeout=60,
    )


@needs_systemd_analyze
def test_units_pass_systemd_analyze_verify(tmp_path):
    result = verify(installed_units(tmp_path))
    # Unknown keys and bad values are only warnings: any output at all fails.
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), (
        result.stdout + result.stderr
    )


@needs_systemd_analyze
@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        ("jangmadang.service", "NoNewPrivileges=yes", "NoNewPrivilege=yes"),
        ("jangmadang@.service", "ProtectSystem=strict", "ProtectSystem=strictly"),
        ("jangmadang-send.service", "Restart=on-failure", "Restart=on-failures"),
        (MIGRATE, "ExecStart=", "ExecStar="),
    ],
    ids=["misspelt-key", "bad-value", "bad-restart", "no-execstart"],
)
def test_verify_catches_a_broken_unit(tmp_path, name, old, new):
    result = verify(installed_units(tmp_path, {name: (old, new)}))
    assert result.returncode != 0 or (result.stdout + result.stderr).strip()


@needs_systemd_analyze
def test_units_are_well_sandboxed(tmp_path):
    for path in installed_units(tmp_path):
        # Exposure 0-10 scaled by ten: 2.5 or lower ("OK").
        result = subprocess.run(
            [SYSTEMD_ANALYZE, "security", "--offline=yes", "--threshold=25", path],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if "--offline" in result.stderr and "unrecognized" in result.stderr:
            pytest.skip("this systemd-analyze has no offline security review")
        tail = result.stdout.strip().splitlines()[-1:]
        assert result.returncode == 0, f"{Path(path).name}: {tail} {result.stderr}"


@pytest.mark.parametrize("name", ALL_UNITS)
def test_unit_runs_a_real_command_as_the_service_user_with_hardening(name):
    assert_cli(one(name, "Service", "ExecStart").split(), name)
    assert one(name, "Service", "User") == "jangmadang"
    assert one(name, "Service", "EnvironmentFile") == "/etc/jangmadang/jangmadang.env"
    assert one(name, "Service", "WorkingDirectory") == "/var/lib/jangmadang"
    assert one(name, "Service", "StateDirectory") == "jangmadang"
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "CapabilityBoundingSet": "",
    }.items():
        assert one(name, "Service", key) == value, f"{name}: {key}"
    assert not values(name, "Service", "ExecStartPre"), "migrations run in " + MIGRATE


@pytest.mark.parametrize("name", UNITS)
def test_long_running_units_wait_for_the_migrations_and_restart(name):
    assert MIGRATE in " ".join(values(name, "Unit", "Requires")).split()
    assert MIGRATE in " ".join(values(name, "Unit", "After")).split()
    assert one(name, "Service", "Restart") == "on-failure"
    assert one(name, "Install", "WantedBy") == "multi-user.target"


def test_migrate_unit_is_a_oneshot_db_upgrade():
    assert one(MIGRATE, "Service", "Type") == "oneshot"
    assert one(MIGRATE, "Service", "ExecStart").split()[1:] == ["db", "upgrade"]
    assert "Install" not in unit(MIGRATE), "started by the units that need it"


def test_replica_template_listens_per_instance_and_leaves_digests_to_the_sender():
    env = unit_environment("jangmadang@.service")
    assert env["WEBHOOK_LISTEN"] == "127.0.0.1:808%i"
    assert env["SEND_DIGESTS"] == "false"
    assert "jangmadang.service" in values("jangmadang@.service", "Unit", "Conflicts")
    assert one("jangmadang-send.service", "Service", "ExecStart").endswith(" send")


# --- settings examples -----------------------------------------------------------------------


@pytest.mark.parametrize("path", [SYSTEMD_ENV, COMPOSE_ENV], ids=["systemd", "compose"])
def test_examples_name_only_real_settings(path):
    names = [name for name, _, _ in env_lines(path)]
    assert names, path
    unknown = set(names) - setting_names()
    assert not unknown, f"{path.name}: not settings: {sorted(unknown)}"
    read = [name for name, _, is_read in env_lines(path) if is_read]
    assert len(read) == len(set(read)), f"{path.name}: a setting read twice"


def test_systemd_example_documents_every_setting():
    documented = {name for name, _, _ in env_lines(SYSTEMD_ENV)}
    missing = setting_names() - documented
    assert not missing, f"add to {SYSTEMD_ENV.name}: {sorted(missing)}"


def test_every_variable_the_deployment_sets_is_a_documented_setting():
    documented = {name for name, _, _ in env_lines(SYSTEMD_ENV)}
    used: dict[str, str] = {}
    for name in ALL_UNITS:
        used.update(dict.fromkeys(unit_environment(name), name))
    for service in APP_SERVICES:
        used.update(dict.fromkeys(service_environment(service), f"compose {service}"))
    used.update(dict.fromkeys(image_environment(), "Dockerfile"))
    for variable, where in used.items():
        if variable in PROCESS_VARIABLES:
            continue
        assert variable in setting_names(), f"{where}: {variable} is not a setting"
        assert variable in documented, f"{where}: {variable} not in {SYSTEMD_ENV.name}"


def test_examples_do_not_override_what_the_units_and_compose_set():
    # An environment file wins over a unit's Environment=; compose's environment: wins over
    # env_file, so setting these in the file would be ignored or would break the replicas.
    read = read_settings(SYSTEMD_ENV)
    for name in ALL_UNITS:
        clash = set(unit_environment(name)) & set(read)
        assert not clash, f"{SYSTEMD_ENV.name} overrides {name}: {sorted(clash)}"
    read = read_settings(COMPOSE_ENV)
    for service in APP_SERVICES:
        clash = set(service_environment(service)) & set(read)
        assert not clash, f"{COMPOSE_ENV.name} is overridden in {service}: {sorted(clash)}"


@pytest.mark.parametrize(
    "path", [SYSTEMD_ENV, COMPOSE_ENV, COMPOSE_DOTENV], ids=["systemd", "compose", "dotenv"]
)
def test_examples_hold_no_secret(path):
    text = path.read_text(encoding="utf-8")
    assert not TOKEN_SHAPE.search(text), f"{path.name}: a token-shaped value"
    for name, value, _ in env_lines(path):
        if name in secret_settings() or name.endswith(("PASSWORD", "SECRET", "TOKEN")):
            assert value == "", f"{path.name}: {name} must be left empty"


def test_example_values_are_valid_settings(monkeypatch):
    for name in setting_names():
        monkeypatch.delenv(name, raising=False)
    for path in (SYSTEMD_ENV, COMPOSE_ENV):
        # The file as it is, and each documented value on its own.
        Settings(_env_file=None, **{k.lower(): v for k, v in read_settings(path).items()})
        for name, value, read in env_lines(path):
            if not read and value:
                Settings(_env_file=None, **{name.lower(): value})


def test_dotenv_example_fills_what_compose_interpolates():
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    interpolated = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", text))
    assert interpolated == {"POSTGRES_PASSWORD", "BOT_DOMAIN"}
    assert interpolated <= set(read_settings(COMPOSE_DOTENV))


# --- compose.yaml ----------------------------------------------------------------------------


@cache
def compose_validator() -> jsonschema.Draft201909Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    # The schema names draft 2019-09 with a URL jsonschema does not recognise.
    jsonschema.Draft201909Validator.check_schema(schema)
    return jsonschema.Draft201909Validator(schema)


def schema_errors(document: dict) -> list[str]:
    return [f"{e.json_path}: {e.message[:200]}" for e in compose_validator().iter_errors(document)]


def test_compose_matches_the_compose_specification():
    assert not schema_errors(compose())


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("services", "bot", "depends_on", "migrate", "condition"), "service_completed"),
        (("services", "bot", "deploy", "replica"), 2),
        (("services", "bot", "helthcheck"), {"disable": True}),
        (("services", "postgres", "healthcheck", "retries"), "twelve"),
    ],
    ids=["bad-condition", "misspelt-deploy-key", "misspelt-service-key", "bad-retries"],
)
def test_the_schema_refuses_mistakes(path, value):
    document = json.loads(json.dumps(compose()))
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert schema_errors(document)


def test_compose_services_and_their_order():
    services = compose()["services"]
    assert set(services) == {"postgres", "migrate", *APP_SERVICES, "proxy"}
    for name, service in services.items():
        for dependency, rule in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on {dependency}"
            assert rule["condition"] in (
                "service_started",
                "service_healthy",
                "service_completed_successfully",
            )
    for name in ("bot", "sender"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"
    test = services["postgres"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL" and test[1].startswith("pg_isready ")


def test_compose_runs_real_commands_on_postgresql():
    services = compose()["services"]
    expected = {"migrate": ["db", "upgrade"], "bot": ["run"], "sender": ["send"]}
    for name, args in expected.items():
        assert services[name]["command"] == ["jangmadang", *args]
        assert_cli(services[name]["command"], f"compose {name}")
        url = service_environment(name)["DATABASE_URL"]
        assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url
        env_file = services[name]["env_file"]
        assert (DEPLOY / f"{env_file}.example").is_file(), env_file
        assert services[name]["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert (DEPLOY / "Dockerfile").is_file()


def test_compose_bot_replicas_take_webhooks_and_leave_digests_to_the_sender():
    services = compose()["services"]
    bot = services["bot"]
    replicas = bot["deploy"]["replicas"]
    assert isinstance(replicas, int) and replicas >= 2
    env = service_environment("bot")
    assert env["SEND_DIGESTS"] == "false"
    assert service_environment("sender")["SEND_DIGESTS"] == "true"
    assert env["WEBHOOK_URL"].startswith("https://")
    assert env["WEBHOOK_URL"].endswith(env["WEBHOOK_PATH"])
    assert port(env["WEBHOOK_LISTEN"]) == port(image_environment()["WEBHOOK_LISTEN"])
    assert env["WEBHOOK_LISTEN"].startswith("0.0.0.0:")


def test_only_the_proxy_is_reachable_from_outside():
    services = compose()["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    assert not any(s.get("expose") for s in services.values())
    networks = compose()["networks"]
    assert services["postgres"]["networks"] == ["backend"]
    assert networks["backend"]["internal"] is True
    assert "backend" not in services["proxy"]["networks"]
    for volume in services["proxy"]["volumes"]:
        source = volume.split(":")[0]
        if source.startswith("./"):
            assert (DEPLOY / source).is_file(), source


# --- Caddyfile -------------------------------------------------------------------------------


def test_caddyfile_passes_on_only_the_webhook_path():
    text = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    code = "\n".join(line.split("#")[0] for line in text.splitlines())
    env = service_environment("bot")
    assert re.findall(r"^\s*handle\s+(\S+)\s*\{", code, re.M) == [env["WEBHOOK_PATH"]]
    assert code.count("reverse_proxy") == 1
    assert re.search(r"^\s*name bot$", code, re.M)
    assert re.search(rf"^\s*port {port(env['WEBHOOK_LISTEN'])}$", code, re.M)
    for endpoint in ("metrics", "readyz", "healthz"):
        assert endpoint not in code


def reverse_proxy_routes(node: object, matchers: tuple = ()) -> Iterator[tuple]:
    """Each reverse_proxy handler in Caddy's JSON config with the path matchers above it."""
    if isinstance(node, dict):
        if node.get("handler") == "reverse_proxy":
            yield matchers, node
        here = matchers
        for match in node.get("match", []):
            if "path" in match:
                here = (*here, tuple(match["path"]))
        for key, value in node.items():
            if key != "match":
                yield from reverse_proxy_routes(value, here)
    elif isinstance(node, list):
        for item in node:
            yield from reverse_proxy_routes(item, matchers)


CADDY = shutil.which("caddy")


@pytest.mark.skipif(CADDY is None, reason="Caddy is not installed")
def test_caddy_reads_the_caddyfile(tmp_path):
    assert CADDY is not None
    result = subprocess.run(
        [CADDY, "adapt", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"BOT_DOMAIN": "bot.example.org", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    routes = list(reverse_proxy_routes(config))
    env = service_environment("bot")
    assert len(routes) == 1
    matchers, handler = routes[0]
    assert matchers == ((env["WEBHOOK_PATH"],),)
    upstreams = handler["dynamic_upstreams"]
    assert (upstreams["source"], upstreams["name"]) == ("a", "bot")
    assert int(upstreams["port"]) == port(env["WEBHOOK_LISTEN"])
    assert handler["load_balancing"]["selection_policy"]["policy"] == "round_robin"


# --- Dockerfile ------------------------------------------------------------------------------


def test_dockerfile_builds_the_postgres_extra_as_a_non_root_user():
    assert instructions("FROM")[-1] == "python:3.11-slim"
    assert all(f.startswith("python:3.11-slim") for f in instructions("FROM"))
    assert any("install '.[postgres]'" in run for run in instructions("RUN"))
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r"^postgres = \[", pyproject, re.M)
    users = [rest for instruction, rest in final_stage() if instruction == "USER"]
    assert users and users[-1] not in ("root", "0")
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    for copy in instructions("COPY"):
        if copy.startswith("--from="):
            continue
        *sources, _target = copy.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            assert f"!{source}" in ignore, f"{source} is left out of the build context"


def test_dockerfile_runs_the_bot_and_listens_where_it_exposes():
    (cmd,) = instructions("CMD")
    assert_cli(json.loads(cmd), "Dockerfile CMD")
    assert json.loads(cmd) == ["jangmadang", "run"]
    env = image_environment()
    assert env["WEBHOOK_LISTEN"] == "0.0.0.0:8080"
    assert instructions("EXPOSE") == [str(port(env["WEBHOOK_LISTEN"]))]
    assert env["PATH"].startswith("/opt/jangmadang/.venv/bin:")


def test_healthcheck_asks_healthz_and_the_bot_serves_it():
    code = healthcheck_code()
    compile(code, "HEALTHCHECK", "exec")
    assert "/healthz" in code
    sources = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "bot").rglob("*.py"))
    assert "healthz" in sources, "no /healthz endpoint in bot/"


class _Stub(http.server.BaseHTTPRequestHandler):
    status = 200
    seen: list[str] = []  # noqa: RUF012

    def do_GET(self) -> None:
        self.seen.append(self.path)
        self.send_response(self.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Stub.seen.clear()
    yield server
    server.shutdown()
    server.server_close()


def run_healthcheck(env: dict[str, str]) -> int:
    result = subprocess.run(
        [sys.executable, "-c", healthcheck_code()],
        env=env,
        capture_output=True,
        timeout=30,
    )
    return result.returncode


def test_healthcheck_command_follows_the_listener(stub, monkeypatch):
    listen = f"127.0.0.1:{stub.server_address[1]}"
    webhook = {"WEBHOOK_URL": "https://bot.example.org/telegram", "WEBHOOK_LISTEN": listen}
    assert run_healthcheck(webhook) == 0
    assert _Stub.seen == ["/healthz"]
    assert run_healthcheck({"METRICS_LISTEN": listen}) == 0
    assert run_healthcheck({"WEBHOOK_LISTEN": listen}) == 0  # polling, nothing to ask
    assert len(_Stub.seen) == 2
    monkeypatch.setattr(_Stub, "status", 503)
    assert run_healthcheck(webhook) != 0
    stub.shutdown()
    stub.server_close()
    assert run_healthcheck(webhook) != 0
