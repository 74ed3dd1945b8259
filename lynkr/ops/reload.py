"""Hot reload: re-read the ``.env`` file, validate it, then swap what serves requests.

The new settings are parsed and every object built *before* anything is swapped, so a bad
file changes nothing: the reason is returned (admin route) or logged (file watcher) and the
old configuration keeps serving. Requests in flight hold a reference to the state they started
with and finish on it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio

from lynkr.config import ConfigError, Settings, load_settings

log = logging.getLogger("lynkr.reload")
WATCH_SECONDS = 1.0
SETTLE_SECONDS = 0.2

Rebuild = Callable[[Settings], Awaitable[None]]


def components_unchanged(old: Settings, new: Settings) -> bool:
    """True when the stores, embedder and scorer can be kept: rebuilding them is slow (the
    embedding model, Chroma), and most edits touch providers or limits only."""
    fields = ("cache", "memory", "routing", "data_dir", "namespace", "chroma_host",
              "chroma_port", "chroma_ssl", "chroma_token", "embeddings_provider",
              "embeddings_model", "embeddings_endpoint")
    return all(getattr(old, f) == getattr(new, f) for f in fields)


class Reloader:
    def __init__(self, env_file: Path | None, rebuild: Rebuild,
                 on_result: Callable[[str], None] | None = None) -> None:
        self.env_file = env_file
        self._rebuild = rebuild
        self._on_result = on_result
        self._lock = asyncio.Lock()

    async def reload(self) -> Settings:
        """Read, validate and apply the env file; raises :class:`ConfigError` (nothing
        swapped) when the new configuration is invalid."""
        if self.env_file is None:
            raise ConfigError("this proxy was started without an env file, so there is "
                              "nothing to reload from (start it with `lynkr start`)")
        async with self._lock:
            try:
                settings = await anyio.to_thread.run_sync(load_settings, self.env_file)
                await self._rebuild(settings)
            except ConfigError:
                self._count("rejected")
                raise
            except Exception as exc:  # building providers can fail on values config allows
                self._count("rejected")
                raise ConfigError(f"{type(exc).__name__}: {exc}") from exc
        self._count("applied")
        return settings

    def _count(self, result: str) -> None:
        if self._on_result is not None:
            self._on_result(result)

    async def watch(self, interval: float = WATCH_SECONDS) -> None:
        """Reload whenever the env file's modification time or size changes (lifespan task)."""
        assert self.env_file is not None
        seen = _signature(self.env_file)
        while True:
            await asyncio.sleep(interval)
            current = _signature(self.env_file)
            if current == seen or current is None:
                continue
            # An editor that truncates then writes can be caught between the two, and an
            # empty .env is valid (all defaults): reload only once the file has settled.
            await asyncio.sleep(SETTLE_SECONDS)
            if _signature(self.env_file) != current:
                continue
            seen = current
            try:
                await self.reload()
            except ConfigError as err:
                log.warning("%s changed but was not applied (the previous configuration "
                            "keeps serving): %s", self.env_file, err)
            else:
                log.info("reloaded configuration from %s", self.env_file)


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size
