"""Two lynkr replicas share one cache through a real Chroma server on loopback."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lynkr.config import Settings
from lynkr.embeddings import Embedder
from lynkr.optimize.memory import MemoryStore
from lynkr.optimize.semantic_cache import SemanticCache
from lynkr.stores import StoreUnavailable, open_store
from tests.cache.conftest import answer, ask
from tests.fakes.server import free_port

CHROMA = Path(sys.executable).parent / "chroma"


@pytest.fixture(scope="module")
def chroma_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    if not CHROMA.exists():
        pytest.skip("chroma CLI not installed")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = (path / "server.log").open("wb")
    server = subprocess.Popen([str(CHROMA), "run", "--path", str(path / "data"), "--host",
                               "127.0.0.1", "--port", str(port)], stdout=log, stderr=log)
    deadline = time.monotonic() + 20
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).is_success:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.skip("chroma server did not start within 20 s")
            time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_an_answer_stored_through_one_replica_is_served_by_another(
        chroma_port: int, embedder: Embedder, tmp_path: Path) -> None:
    def replica(name: str) -> SemanticCache:
        settings = Settings(chroma_host="127.0.0.1", chroma_port=chroma_port,
                            data_dir=str(tmp_path / name), namespace="shared-test")
        return SemanticCache(settings, open_store(settings, embedder), embedder)

    a, b = replica("a"), replica("b")
    question = "How do I undo the last git commit but keep my changes?"
    assert a.store(ask(question), answer("git reset --soft HEAD~1"))
    exact = b.lookup(ask(question))
    semantic = b.lookup(ask("How can I undo my last git commit while keeping the changes?"))
    assert exact is not None and exact.kind == "exact"
    assert semantic is not None and semantic.kind == "semantic"
    assert semantic.response.text == "git reset --soft HEAD~1"
    assert b.clear() == 1 and a.lookup(ask("How can I undo my last git commit, keeping the "
                                           "changes?")) is None


def test_memories_are_shared_between_replicas(chroma_port: int, embedder: Embedder) -> None:
    settings = Settings(chroma_host="127.0.0.1", chroma_port=chroma_port, namespace="mem-test")
    writer = MemoryStore(settings, open_store(settings, embedder), embedder)
    reader = MemoryStore(settings, open_store(settings, embedder), embedder)
    writer.remember(["We decided to use Postgres 16 for the database."], "/repo")
    assert [m.text for m in reader.recall("which database", "/repo", k=1)] == [
        "We decided to use Postgres 16 for the database."]
    writer.clear()


def test_an_unreachable_server_raises_store_unavailable(embedder: Embedder) -> None:
    settings = Settings(chroma_host="127.0.0.1", chroma_port=free_port())
    with pytest.raises(StoreUnavailable, match="127.0.0.1"):
        open_store(settings, embedder)


def test_two_lynkr_apps_share_the_cache_through_the_chroma_server(
        chroma_port: int, proxy_factory, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.fakes.server import serve
    from tests.fakes.upstream import FakeUpstream, Reply

    upstream = FakeUpstream(Reply(text="Use `git stash push -m msg` to name a stash."))
    question = {"model": "claude-sonnet-4-6", "max_tokens": 50,
                "messages": [{"role": "user", "content": "How do I name a git stash?"}]}
    with serve(upstream.app) as upstream_url:
        env = dict(MODEL_PROVIDER="openai", OPENAI_API_KEY="k", SEMANTIC_CACHE_ENABLED="true",
                   OPENAI_ENDPOINT=f"{upstream_url}/v1", CHROMA_HOST="127.0.0.1",
                   CHROMA_PORT=str(chroma_port), LYNKR_NAMESPACE="two-apps")
        with proxy_factory(**env, LYNKR_DATA_DIR=str(tmp_path / "a")) as replica_a, \
                proxy_factory(**env, LYNKR_DATA_DIR=str(tmp_path / "b")) as replica_b:
            first = httpx.post(f"{replica_a}/v1/messages", json=question, timeout=30)
            assert first.headers["x-lynkr-cache"] == "miss"
            time.sleep(1.0)  # stored in the background after the answer
            second = httpx.post(f"{replica_b}/v1/messages", json=question, timeout=30)
    assert second.headers["x-lynkr-cache"] == "hit"
    assert second.json()["content"][0]["text"] == first.json()["content"][0]["text"]
    assert len(upstream.received) == 1
