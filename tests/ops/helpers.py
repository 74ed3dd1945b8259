"""Start lynkr for ops tests, keeping hold of the app (to tune shedding limits) or of the env
file it reloads from."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from starlette.applications import Starlette

from lynkr.app import create_app
from lynkr.config import load_settings, settings_from_env
from tests.fakes.server import serve


def base_env(upstream_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    return {"MODEL_PROVIDER": "openai", "OPENAI_API_KEY": "sk-test",
            "OPENAI_ENDPOINT": f"{upstream_url}/v1", "OPENAI_MODEL": "gpt-fake",
            "LYNKR_DATA_DIR": str(data_dir), "SEMANTIC_CACHE_ENABLED": "false",
            "MAX_RETRIES": "0", **extra}


@contextlib.contextmanager
def running(env: dict[str, str]) -> Iterator[tuple[str, Starlette]]:
    app = create_app(settings_from_env(env))
    with serve(app) as url:
        yield url, app


def write_env(path: Path, env: dict[str, str]) -> None:
    """Replace the file at once, as editors save: the file watcher never sees it half written
    (a truncated .env is valid, all defaults, and dropped the admin token mid-test)."""
    partial = path.with_suffix(".partial")
    partial.write_text("".join(f"{k}={v}\n" for k, v in env.items()), encoding="utf-8")
    partial.replace(path)


@contextlib.contextmanager
def running_from_file(path: Path) -> Iterator[tuple[str, Starlette]]:
    app = create_app(load_settings(path), env_file=path)
    with serve(app) as url:
        yield url, app
