"""Slimming of tool schemas: the same tool, described in fewer tokens.

Agent clients ship tool descriptions written as manuals (Claude Code 1.x's Bash tool alone
was ~2,500 tokens of usage notes and ``<example>`` transcripts; 2.1's Workflow tool is ~4,900
tokens of script-language manual) and JSON Schemas generated with annotations no model
reads. Both are re-sent on every request, so every token cut here is saved on every turn.
What the model needs to *call* the tool correctly is never touched: names, types,
``required``, ``enum``, ``const``, ``default``, formats and bounds stay.

The rule, applied the same way every time (slimming is deterministic, so a slimmed tool list
keeps the provider's prompt-cache prefix stable):

Description of a tool
  1. ``<example>``-family blocks (``example(s)``, ``good-example``, ``bad-example``,
     ``reasoning``, ``commentary``) are removed: they illustrate, they do not instruct.
  2. Trailing spaces go and runs of blank lines collapse to one.
  3. The first paragraph is always kept whole. A Markdown heading is part of the paragraph
     under it (a heading is never left without its text).
  4. In each later paragraph, a bullet or numbered list keeps at most
     :data:`MAX_LIST_ITEMS` items: rules first (below), then the earliest; kept items stay in
     order and their indented sub-items go with them.
  5. Later paragraphs are appended in order while the description stays within
     :data:`MAX_DESCRIPTION_CHARS`; the first one that does not fit ends the prose.
  6. From the paragraphs that did not fit, every *rule* line is still kept, whole and in
     order, while those lines stay within :data:`MAX_RULE_CHARS` more: a rule is a line
     with ``IMPORTANT``, ``MUST``, ``NEVER``, ``ALWAYS``, ``CRITICAL``, ``DO NOT`` or
     ``ONLY``, or one that opens with "Never", "Do not", "Don't" or "Only" (the safety and
     usage constraints: "NEVER mention a skill without calling this tool").

Description of a property: steps 1-2, then the first paragraph, cut at the last sentence end
within :data:`MAX_PROPERTY_DESCRIPTION_CHARS` (large enough that the first paragraphs of
Claude Code 2.1's properties, which carry literal values such as sentinels, stay whole; the
later paragraphs there are examples).

What a model loses: long usage advice and examples past the budget. Claude Code 2.1's
Workflow tool is the one whose call needs more than that (its script language is specified
over ~18 KB of prose); it is only kept for prompts that ask for workflows.

JSON Schema: ``$schema``, ``$id``, ``$comment`` and ``title`` annotations are dropped at every
level (property *names* called ``title`` are of course kept). ``"additionalProperties": false``
is kept: it is a constraint, it tells the model not to invent arguments, and OpenAI's strict
function calling requires it.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from lynkr.model import Tool

__all__ = [
    "MAX_DESCRIPTION_CHARS",
    "MAX_LIST_ITEMS",
    "MAX_PROPERTY_DESCRIPTION_CHARS",
    "MAX_RULE_CHARS",
    "slim_description",
    "slim_property_description",
    "slim_schema",
    "slim_tool",
]

MAX_DESCRIPTION_CHARS = 1600
MAX_LIST_ITEMS = 8
MAX_PROPERTY_DESCRIPTION_CHARS = 600
MAX_RULE_CHARS = 1000

_EXAMPLE_BLOCK = re.compile(
    r"<(examples?|good-example|bad-example|reasoning|commentary)\b[^>]*>.*?</\1\s*>\s*",
    re.DOTALL | re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"(?:[-*•]|\d+[.)])\s")
_EMPHATIC = re.compile(r"\b(?:IMPORTANT|MUST|NEVER|ALWAYS|CRITICAL|DO NOT|ONLY)\b|"
                       r"^\s*(?:(?:[-*•]|\d+[.)])\s+)?(?:\*\*)?(?:Never|Do not|Don't|Only)\b")
_HEADING = re.compile(r"#{1,6} ")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
_NOISE_KEYS = frozenset({"$schema", "$id", "$comment", "title"})
# Keywords whose value is a map of name -> schema (names are data, never noise).
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions",
                          "dependentSchemas"})
# Keywords whose value is a schema or a list of schemas.
_SCHEMA_VALUES = frozenset({"items", "prefixItems", "anyOf", "oneOf", "allOf", "not", "if",
                            "then", "else", "contains", "propertyNames", "additionalProperties",
                            "unevaluatedProperties", "additionalItems"})


def slim_tool(tool: Tool) -> Tool:
    """Return ``tool`` with its description and schema slimmed; provider-native tools
    (``raw``) are returned unchanged because their form is fixed by the provider."""
    if tool.raw is not None:
        return tool
    return dataclasses.replace(tool, description=slim_description(tool.description),
                               input_schema=slim_schema(tool.input_schema))


def slim_description(text: str) -> str:
    """Shorten a tool description by the module's rule (first paragraph kept whole)."""
    paragraphs = _paragraphs(text)
    if not paragraphs:
        return ""
    kept = [paragraphs[0]]
    size = len(paragraphs[0])
    rest = paragraphs[1:]
    while rest:
        paragraph = _cap_list_items(rest[0])
        if size + 2 + len(paragraph) > MAX_DESCRIPTION_CHARS:
            break
        kept.append(paragraph)
        size += 2 + len(paragraph)
        rest = rest[1:]
    rules: list[str] = []
    budget = MAX_RULE_CHARS
    for line in (line for paragraph in rest for line in paragraph.split("\n")):
        if _EMPHATIC.search(line) and len(line) + 1 <= budget:
            rules.append(line)
            budget -= len(line) + 1
    return "\n\n".join(kept + (["\n".join(rules)] if rules else []))


def slim_property_description(text: str) -> str:
    """Shorten a property description: first paragraph, cut at a sentence end if long."""
    paragraphs = _paragraphs(text)
    if not paragraphs:
        return ""
    first = paragraphs[0]
    if len(first) <= MAX_PROPERTY_DESCRIPTION_CHARS:
        return first
    ends = [m.end() for m in _SENTENCE_END.finditer(first, 0, MAX_PROPERTY_DESCRIPTION_CHARS)]
    return first[: ends[-1]] if ends else first[:MAX_PROPERTY_DESCRIPTION_CHARS].rstrip() + "…"


def slim_schema(schema: Any) -> Any:
    """Return a copy of a JSON Schema without annotation noise (see module docstring)."""
    if isinstance(schema, list):
        return [slim_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    slim: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _NOISE_KEYS:
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            slim[key] = {name: slim_schema(sub) for name, sub in value.items()}
        elif key in _SCHEMA_VALUES:
            slim[key] = slim_schema(value)
        elif key == "description" and isinstance(value, str):
            slim[key] = slim_property_description(value)
        else:
            slim[key] = value
    return slim


def _paragraphs(text: str) -> list[str]:
    text = _EXAMPLE_BLOCK.sub("", text)
    lines = [line.rstrip() for line in text.strip().splitlines()]
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line:
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    # A heading belongs to the paragraph under it.
    merged: list[str] = []
    for paragraph in paragraphs:
        if merged and all(_HEADING.match(line) for line in merged[-1].split("\n")):
            merged[-1] += "\n\n" + paragraph
        else:
            merged.append(paragraph)
    return merged


def _cap_list_items(paragraph: str) -> str:
    """Keep the paragraph's preamble and at most MAX_LIST_ITEMS of its top-level list items."""
    preamble: list[str] = []
    items: list[list[str]] = []
    indent: int | None = None
    for line in paragraph.split("\n"):
        stripped = line.lstrip()
        depth = len(line) - len(stripped)
        if _LIST_ITEM.match(stripped) and (indent is None or depth <= indent):
            indent = depth if indent is None else indent
            items.append([line])
        elif items:
            items[-1].append(line)
        else:
            preamble.append(line)
    if len(items) <= MAX_LIST_ITEMS:
        return paragraph
    emphatic = [i for i, item in enumerate(items) if _EMPHATIC.search(item[0])]
    plain = [i for i, item in enumerate(items) if not _EMPHATIC.search(item[0])]
    chosen = sorted((emphatic + plain)[:MAX_LIST_ITEMS])
    return "\n".join(preamble + [line for i in chosen for line in items[i]])
