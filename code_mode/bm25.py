"""A small BM25 index for ranking tools by a free-text query.

Tool catalogs are tiny (tens to a few hundred documents), so a plain in-memory Okapi BM25
over names, descriptions and parameter names is enough and needs no dependency. Identifiers
are split on case and punctuation (``readMultipleFiles`` -> read, multiple, files) so a
query in words finds tools named in code style.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_STOP = frozenset(
    "a an the of to in on for and or is are be by with from as at it this that its into "
    "use used using can will get".split()
)


def tokenize(text: str) -> list[str]:
    """Lower-case word stems of ``text``: identifiers split, stop words dropped, plural 's'
    stripped so "files" matches "file"."""
    words = (w.lower() for w in _WORD.findall(text))
    out: list[str] = []
    for word in words:
        if word in _STOP:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append(word)
    return out


class BM25:
    """Okapi BM25 over pre-tokenized documents; ``scores`` ranks them for a query."""

    def __init__(self, documents: Sequence[Sequence[str]], *, k1: float = 1.2,
                 b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self.docs = [Counter(doc) for doc in documents]
        self.lengths = [len(doc) for doc in documents]
        self.avg_length = (sum(self.lengths) / len(self.lengths)) if self.lengths else 0.0
        frequency: Counter[str] = Counter()
        for doc in self.docs:
            frequency.update(doc.keys())
        n = len(self.docs)
        self.idf = {term: math.log(1 + (n - df + 0.5) / (df + 0.5))
                    for term, df in frequency.items()}

    def scores(self, query: Sequence[str]) -> list[float]:
        """One score per document (0 when no query term occurs in it)."""
        out = []
        for doc, length in zip(self.docs, self.lengths, strict=True):
            score = 0.0
            norm = self.k1 * (1 - self.b + self.b * length / (self.avg_length or 1))
            for term in set(query):
                tf = doc.get(term, 0)
                if tf:
                    score += self.idf[term] * tf * (self.k1 + 1) / (tf + norm)
            out.append(score)
        return out

    def rank(self, query: Sequence[str], limit: int) -> list[tuple[int, float]]:
        """Indexes and scores of the best ``limit`` documents with a positive score."""
        scored = [(i, s) for i, s in enumerate(self.scores(query)) if s > 0]
        scored.sort(key=lambda pair: (-pair[1], pair[0]))
        return scored[:limit]
