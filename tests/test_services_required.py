"""A configured but unreachable PostgreSQL or Redis fails the suite; it never skips.
Likewise a missing browser fails the browser tests under REQUIRE_BROWSER=1 (as CI runs).

Each case runs one real test (``test_webhook.py::test_healthz``) in a child pytest with
the service pointed at a closed port, and checks the child failed without passing any
test. A control run with the embedded defaults shows the same command does pass, so
the failures come from the unreachable service and nothing else. For the browser, the
child loads a small plugin that makes Chromium and ChromeDriver look uninstalled; with
REQUIRE_BROWSER=1 the browser tests must fail, naming what is missing.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TARGET = "tests/test_webhook.py::test_healthz"
CLOSED_PG = "postgresql+psycopg://postgres@127.0.0.1:1/test"
CLOSED_REDIS = "redis://127.0.0.1:1/0"


BROWSER_TARGET = "tests/test_simulator_browser.py"
NO_BROWSER_PLUGIN = '''
"""Loaded with -p: Chromium and ChromeDriver look uninstalled to the tests."""
import os
import shutil

_access, _which = os.access, shutil.which


def _hidden(name):
    return "chrom" in os.path.basename(str(name))


os.access = lambda path, mode, *a, **k: False if _hidden(path) else _access(path, mode, *a, **k)
shutil.which = lambda cmd, *a, **k: None if _hidden(cmd) else _which(cmd, *a, **k)
'''

CASES: dict[str, dict[str, str | None]] = {
    "control": {"DATABASE_URL": None, "REDIS_URL": None},
    "postgres-unreachable": {"DATABASE_URL": CLOSED_PG, "REDIS_URL": None},
    "redis-unreachable": {"DATABASE_URL": None, "REDIS_URL": CLOSED_REDIS},
    "browser-required-missing": {"DATABASE_URL": None, "REDIS_URL": None, "REQUIRE_BROWSER": "1"},
}


def child_env(changes: dict[str, str | None]) -> dict[str, str]:
    """This process's environment with the given variables set (or unset, for None)."""
    env = dict(os.environ)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, tuple[int, str]]:
    """Runs the target test once per case, all at once (each child pays the imports): name -> (exit code, output)."""
    base = tmp_path_factory.mktemp("children")
    (base / "no_browser.py").write_text(NO_BROWSER_PLUGIN, encoding="utf-8")
    children = {}
    for name, changes in CASES.items():
        argv = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "--basetemp", str(base / name)]
        env = child_env(changes)
        if name.startswith("browser"):
            argv += ["-p", "no_browser", BROWSER_TARGET]
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(base), env.get("PYTHONPATH")]))
        else:
            argv.append(TARGET)
        children[name] = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT, text=True)
    results = {}
    for name, child in children.items():
        try:
            out, _ = child.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            child.kill()
            out, _ = child.communicate()
        results[name] = (child.returncode, out)
    return results


def passed_count(output: str) -> int:
    found = re.search(r"(\d+) passed", output)
    return int(found.group(1)) if found else 0


def test_control_run_with_embedded_defaults_passes(outputs):
    returncode, output = outputs["control"]
    assert returncode == 0, output
    assert passed_count(output) == 1, output


@pytest.mark.parametrize(("case", "named"), [
    ("postgres-unreachable", "DATABASE_URL"),
    ("redis-unreachable", "REDIS_URL"),
])
def test_unreachable_service_fails_the_run(outputs, case, named):
    returncode, output = outputs[case]
    assert returncode not in (0, 5), output   # 5 would be "no tests collected"
    assert passed_count(output) == 0, output
    assert "skipped" not in output, output
    assert named in output, output            # the message says which service


def test_missing_browser_fails_the_browser_tests_when_required(outputs):
    returncode, output = outputs["browser-required-missing"]
    assert returncode == 1, output
    assert passed_count(output) == 0 and "skipped" not in output, output
    assert re.search(r"[1-9]\d* (failed|errors?)", output), output
    assert "REQUIRE_BROWSER=1 but chromium, chromedriver is not installed" in output, output

