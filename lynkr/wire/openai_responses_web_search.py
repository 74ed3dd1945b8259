"""OpenAI's hosted web search for a Responses client (Codex), run by Claude's server-side web
search when the upstream is an Anthropic Messages endpoint (pure).

Request: a ``web_search`` / ``web_search_preview`` tool keeps its raw form (echoed back to the
client) and carries Claude's ``web_search_20250305`` tool as its Anthropic equivalent
(:data:`NATIVE_FOR`, read by :meth:`~lynkr.model.Request.tools_for`): ``user_location`` and
``filters.allowed_domains`` carry over, ``search_context_size`` has no counterpart and no
``max_uses`` is set (OpenAI's search has no cap either). ``external_web_access: false``
(Codex's ``web_search = "cached"``) asks for results from OpenAI's cache only, never a live
fetch; Claude's search always fetches live, so such a tool has no equivalent and is not
offered at all: the user turned live access off. Bedrock (Converse) and the other formats
run no web search, so they are not offered one either (``tools_for`` says so once).

Answer: each ``server_tool_use`` named ``web_search`` and its ``web_search_tool_result``
become one ``web_search_call`` item (``action.query`` from the call, ``action.sources`` the
result URLs; ``failed`` for an error result, ``incomplete`` when none came), only for a
client that offered web search. A text block's ``web_search_result_location`` citations
become ``url_citation`` annotations spanning its whole text: Claude cites by text block, and
each block is its own output_text.

History: a ``web_search_call`` a client sends back is dropped, as are the annotations of its
output_text (the parser reads text only). Sending the search back would need the results'
``encrypted_content``, which the item has no field for (Codex keeps only id, status and
action), and Claude does not need it: an assistant turn of plain text, its citations
stripped, is a valid history, and the same one on every later turn, so preserved thinking's
prefix check holds. The conversation loses only the raw pages, not what Claude wrote about
them. A ``previous_response_id`` history keeps the upstream's blocks whole, as it gave them.
"""

from __future__ import annotations

import re
from typing import Any

from lynkr.model import Block, NativeBlock, Request, TextBlock

# Tool.extra key: the tool's form for other wire formats, by format (see Request.tools_for).
NATIVE_FOR = "native_for"
# The Responses API's web search kinds, dated or not.
WEB_SEARCH = re.compile(r"^web_search(_preview)?(_\d{4}_\d{2}_\d{2})?$")
_CLAUDE_TOOL = "web_search_20250305"
_LOCATION_KEYS = ("city", "region", "country", "timezone")


def is_web_search(tool: dict[str, Any]) -> bool:
    """Whether a Responses tool definition is OpenAI's hosted web search."""
    kind = tool.get("type")
    return isinstance(kind, str) and WEB_SEARCH.match(kind) is not None


def equivalents(tool: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The web search ``tool``'s forms for other wire formats: Claude's server web search
    for an Anthropic upstream, unless the client allows no live web access."""
    if tool.get("external_web_access") is False:
        return {}
    claude: dict[str, Any] = {"type": _CLAUDE_TOOL, "name": "web_search"}
    filters = tool.get("filters")
    domains = filters.get("allowed_domains") if isinstance(filters, dict) else None
    if isinstance(domains, list) and domains:
        claude["allowed_domains"] = [d for d in domains if isinstance(d, str)]
    location = tool.get("user_location")
    if isinstance(location, dict):
        where = {k: location[k] for k in _LOCATION_KEYS if isinstance(location.get(k), str)}
        if where:
            claude["user_location"] = {"type": "approximate", **where}
    return {"anthropic": claude}


def offers_web_search(request: Request | None) -> bool:
    """Whether the client offered web search, so it is told of the searches run."""
    return request is not None and any(t.raw is not None and is_web_search(t.raw)
                                       for t in request.tools)


def is_search_call(block: Block) -> bool:
    """An upstream's ``server_tool_use`` of its web search."""
    return isinstance(block, NativeBlock) and block.raw.get("type") == "server_tool_use" \
        and block.raw.get("name") == "web_search"


def search_result_of(block: Block) -> str | None:
    """The call id a ``web_search_tool_result`` answers; None for any other block."""
    if isinstance(block, NativeBlock) and block.raw.get("type") == "web_search_tool_result":
        called = block.raw.get("tool_use_id")
        return called if isinstance(called, str) else None
    return None


def search_results(content: list[Block]) -> dict[str, dict[str, Any]]:
    """The web search results in an answer, by the id of the call each answers."""
    results: dict[str, dict[str, Any]] = {}
    for block in content:
        called = search_result_of(block)
        if called is not None and isinstance(block, NativeBlock):
            results[called] = block.raw
    return results


def search_item(call: dict[str, Any], result: dict[str, Any] | None, item_id: str,
                *, status: str | None = None) -> dict[str, Any]:
    """The ``web_search_call`` item of a call and its result (None: none came, yet or at all).
    ``status`` overrides the one the result gives (``in_progress`` while it is searched)."""
    arguments = call.get("input")
    query = arguments.get("query") if isinstance(arguments, dict) else None
    action: dict[str, Any] = {"type": "search", "query": query if isinstance(query, str) else ""}
    found = result.get("content") if result is not None else None
    if isinstance(found, list):
        action["sources"] = [{"type": "url", "url": r["url"]} for r in found
                             if isinstance(r, dict) and isinstance(r.get("url"), str)]
    if status is None:
        status = "incomplete" if result is None else \
            "completed" if isinstance(found, list) else "failed"
    return {"id": item_id, "type": "web_search_call", "status": status, "action": action}


def url_citations(block: TextBlock) -> list[dict[str, Any]]:
    """The block's web search citations as ``url_citation`` annotations over its whole text,
    one per cited URL."""
    citations = block.extra.get("citations")
    if not isinstance(citations, list):
        return []
    annotations: list[dict[str, Any]] = []
    seen: set[str] = set()
    for citation in citations:
        if not isinstance(citation, dict) or citation.get("type") != "web_search_result_location":
            continue
        url = citation.get("url")
        if not isinstance(url, str) or url in seen:
            continue
        seen.add(url)
        title = citation.get("title")
        annotations.append({"type": "url_citation", "url": url,
                            "title": title if isinstance(title, str) and title else url,
                            "start_index": 0, "end_index": len(block.text)})
    return annotations
