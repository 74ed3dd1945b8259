"""Structured output (a JSON answer, maybe to a schema) asked for in any client format, and how
each upstream is told.

Clients ask three ways: chat ``response_format``, Responses ``text.format`` and Anthropic
``output_format``. Each rides in ``Request.extra`` and reached only an upstream of the same
format, so an Ollama or Anthropic upstream answered in free text and the client's JSON parse
failed. OpenAI-compatible upstreams get ``response_format``, Ollama its ``format``; upstreams
without such a switch get the request as a system instruction, which is what a caller
would otherwise write by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lynkr.model import Request


@dataclass(frozen=True)
class JsonOutput:
    schema: dict[str, Any] | None  # None: any JSON object
    name: str = "output"
    strict: bool = False


def json_output(request: Request) -> JsonOutput | None:
    """The structured output the client asked for, whichever format it spoke."""
    extra = request.extra
    if request.client_format == "openai_chat":
        spec = extra.get("response_format")
        inner = spec.get("json_schema") if isinstance(spec, dict) else None
        return _from(spec, inner if isinstance(inner, dict) else {})
    if request.client_format == "openai_responses":
        text = extra.get("text")
        spec = text.get("format") if isinstance(text, dict) else None
        return _from(spec, spec if isinstance(spec, dict) else {})
    spec = extra.get("output_format")
    return _from(spec, spec if isinstance(spec, dict) else {})


def _from(spec: Any, schema_holder: dict[str, Any]) -> JsonOutput | None:
    if not isinstance(spec, dict):
        return None
    if spec.get("type") == "json_object":
        return JsonOutput(None)
    if spec.get("type") != "json_schema":
        return None
    schema = schema_holder.get("schema")
    name = schema_holder.get("name")
    return JsonOutput(schema if isinstance(schema, dict) else None,
                      name if isinstance(name, str) and name else "output",
                      schema_holder.get("strict") is True)


def chat_response_format(output: JsonOutput) -> dict[str, Any]:
    """The chat completions ``response_format`` for ``output``."""
    if output.schema is None:
        return {"type": "json_object"}
    spec: dict[str, Any] = {"name": output.name, "schema": output.schema}
    if output.strict:
        spec["strict"] = True
    return {"type": "json_schema", "json_schema": spec}


def instruction(output: JsonOutput) -> str:
    """The system instruction for an upstream with no structured-output switch."""
    if output.schema is None:
        return "Answer with a single JSON object and nothing else: no prose, no code fence."
    return ("Answer with a single JSON object and nothing else (no prose, no code fence), "
            "valid against this JSON schema:\n"
            + json.dumps(output.schema, separators=(",", ":"), ensure_ascii=False))
