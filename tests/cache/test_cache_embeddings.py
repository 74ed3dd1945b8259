"""The numpy all-MiniLM-L6-v2 reproduces published reference outputs of the model."""

from __future__ import annotations

import numpy as np
import orjson
from starlette.applications import Starlette
from starlette.requests import Request as HttpRequest
from starlette.responses import JSONResponse
from starlette.routing import Route

from lynkr.config import Settings
from lynkr.embeddings import Embedder, LocalEmbedder, RemoteEmbedder, get_embedder
from tests.fakes.server import serve


def test_similarities_match_the_sentence_transformers_readme(embedder: Embedder) -> None:
    vectors = embedder.embed(["The weather is lovely today.", "It's so sunny outside!",
                              "He drove to the stadium."])
    expected = np.array([[1.0, 0.6660, 0.1046], [0.6660, 1.0, 0.1411], [0.1046, 0.1411, 1.0]])
    assert np.abs(vectors @ vectors.T - expected).max() < 1e-4


def test_vector_matches_chromas_onnx_reference_to_float_precision(embedder: Embedder) -> None:
    # Chroma's docs print its ONNX all-MiniLM-L6-v2 output for "f" (they embed "foo" char-wise).
    head = embedder.embed(["f"])[0][:3]
    reference = [0.05035809800028801, 0.0626462921500206, -0.061827320605516434]
    assert np.abs(head - reference).max() < 1e-6


def test_vectors_are_unit_length_with_self_similarity_one(embedder: Embedder) -> None:
    vectors = embedder.embed(["How do I reverse a list in Python?", "x"])
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_paraphrases_score_higher_than_unrelated_questions(embedder: Embedder) -> None:
    q, para, other = embedder.embed(["How do I reverse a list in Python?",
                                     "What's the way to reverse a Python list?",
                                     "How do I configure nginx as a reverse proxy?"])
    assert q @ para > 0.9 > q @ other


def test_batched_and_single_embeddings_agree() -> None:
    model = LocalEmbedder(lru_size=0)
    texts = ["short", "a considerably longer sentence about sorting dictionaries by value", "x y"]
    batched = model.embed(texts)
    single = np.stack([model.embed([t])[0] for t in texts])
    assert np.abs(batched - single).max() < 1e-5


def test_inputs_are_truncated_at_256_tokens(embedder: Embedder) -> None:
    long = " ".join(["token"] * 400)
    a, b = embedder.embed([long, long + " and a different ending entirely"])
    assert float(a @ b) > 0.99999


def test_empty_batch_gives_an_empty_matrix(embedder: Embedder) -> None:
    assert embedder.embed([]).shape == (0, 384)


def test_embedder_is_one_per_configuration() -> None:
    assert get_embedder(Settings()) is get_embedder(Settings(port=9999))


def _fake_embedding_server() -> Starlette:
    async def ollama(request: HttpRequest) -> JSONResponse:
        body = orjson.loads(await request.body())
        return JSONResponse({"model": body["model"],
                             "embeddings": [[float(len(t)), 1.0, 0.0] for t in body["input"]]})

    async def openai(request: HttpRequest) -> JSONResponse:
        body = orjson.loads(await request.body())
        data = [{"index": i, "embedding": [0.0, float(len(t)), 2.0]}
                for i, t in enumerate(body["input"])]
        return JSONResponse({"data": list(reversed(data)), "model": body["model"]})

    return Starlette(routes=[Route("/api/embed", ollama, methods=["POST"]),
                             Route("/v1/embeddings", openai, methods=["POST"])])


def test_remote_embedders_call_ollama_and_openai_endpoints_and_normalise() -> None:
    with serve(_fake_embedding_server()) as url:
        ollama = RemoteEmbedder("ollama", url, "nomic-embed-text")
        openai = RemoteEmbedder("openai", url + "/v1", "text-embedding-3-small")
        o = ollama.embed(["ab", "abcd"])
        p = openai.embed(["ab", "abcd"])
    assert np.allclose(np.linalg.norm(o, axis=1), 1.0)
    assert np.allclose(o[0], np.array([2.0, 1.0, 0.0]) / np.sqrt(5.0))
    assert np.allclose(p[1], np.array([0.0, 4.0, 2.0]) / np.sqrt(20.0))
