"""Pieces both directions of the TOON codec share: field trees of tabular arrays."""

from __future__ import annotations

import re
from dataclasses import dataclass

IDENT_SEGMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True, slots=True)
class Field:
    """One header field; ``children`` makes it a nested field group (``customer{name,city}``)."""

    name: str
    children: tuple[Field, ...] | None = None
