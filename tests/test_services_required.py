"""A configured but unreachable PostgreSQL or Redis fails the suite; it never skips.

Each case runs one real test (``test_webhook.py::test_healthz``) in a child pytest with
the service pointed at a closed port, and checks the child failed without passing any
test. A control run with the embedded defaults shows the same command does pass, so
the failures come from the unreachable service and nothing else.
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


CASES: dict[str, dict[str, str | None]] = {
    "control": {"DATABASE_URL": None, "REDIS_URL": None},
    "postgres-unreachable": {"DATABASE_URL": CLOSED_PG, "REDIS_URL": None},
    "redis-unreachable": {"DATABASE_URL": None, "REDIS_URL": CLOSED_REDIS},
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
    children = {
        name: subprocess.Popen(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(base / name), TARGET],
            cwd=ROOT, env=child_env(changes), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for name, changes in CASES.items()
    }
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
