"""OpenAI Responses rendering: a complete internal response -> the Responses object, and the
output items the stream encoder also emits. Re-exported by ``openai_responses``.

A tool the parser offered upstream in another shape than the client sent it has an entry in
``request.extra[CALL_FORMS]``, keyed by the name the upstream calls it by, saying how its
calls go back: a namespace's function as a ``function_call`` carrying ``namespace`` and the
member's own name (Codex rejects the joined name: "unsupported call"), a client-executed tool
search as a ``tool_search_call`` whose ``arguments`` is an object, a namespace's custom tool
(Codex's code-mode ``exec`` in ``functions``) as a ``custom_tool_call`` carrying
``namespace``; Codex refuses a ``function_call`` to it ("incompatible payload").
"""

from __future__ import annotations

from typing import Any

from lynkr.model import (
    Block,
    ImageBlock,
    Message,
    NativeBlock,
    RedactedThinkingBlock,
    Request,
    Response,
    TextBlock,
    ThinkingBlock,
    Tool,
    ToolChoice,
    ToolResultBlock,
    ToolUseBlock,
)
from lynkr.streams import tool_arguments_text
from lynkr.wire.openai_responses_compaction import (
    NO_SUMMARY,
    compaction_item,
    is_compaction,
    summary_text,
)
from lynkr.wire.openai_responses_reasoning import reasoning_item
from lynkr.wire.openai_responses_web_search import (
    is_search_call,
    offers_web_search,
    search_item,
    search_results,
    url_citations,
)

# Request.extra key of the call forms (see the module docstring). Private to this codec: no
# upstream speaks Responses, so a Responses request's extra never leaves lynkr.
CALL_FORMS = "lynkr_call_forms"


def render_response(response: Response, *, request: Request | None, response_id: str,
                    created_at: int) -> dict[str, Any]:
    """The Responses API object for a complete answer (``status`` completed or incomplete)."""
    items: list[dict[str, Any]] = []
    if is_compaction(request):
        if not (summary := summary_text(response)):
            body = response_shell(response_id, response.model, created_at, request,
                                  status="failed")
            body.update(output=[], usage=_usage(response),
                        error={"code": "server_error", "message": NO_SUMMARY})
            return body
        items.append(compaction_item(response_id, summary))
    searched = offers_web_search(request)
    results = search_results(response.content) if searched else {}
    for block in [] if items else response.content:
        index = item_id(response_id, len(items), block)
        if searched and is_search_call(block) and isinstance(block, NativeBlock):
            item = search_item(block.raw, results.get(str(block.raw.get("id"))), index)
        else:
            item = output_item(block, index, request)
        if item is not None:
            items.append(item)
    incomplete = response.stop_reason in ("max_tokens", "model_context_window_exceeded")
    body = response_shell(response_id, response.model, created_at, request,
                           status="incomplete" if incomplete else "completed")
    body["output"] = items
    body["usage"] = _usage(response)
    if incomplete:
        body["incomplete_details"] = {"reason": "max_output_tokens"}
    return body


def response_to_history(request: Request, response: Response) -> list[Message]:
    """The conversation after this turn (request messages + the assistant's answer), which is
    what a later ``previous_response_id`` continues from."""
    messages = [Message(m.role, list(m.content)) for m in request.messages]
    answer = [b for b in response.content if not isinstance(b, ImageBlock | ToolResultBlock)]
    if answer:
        if messages and messages[-1].role == "assistant":
            messages[-1].content.extend(answer)
        else:
            messages.append(Message("assistant", answer))
    return messages


def response_shell(response_id: str, model: str, created_at: int, request: Request | None,
                    *, status: str) -> dict[str, Any]:
    extra = request.extra if request else {}
    choice = request.tool_choice if request else None
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": status,
        "error": None,
        "incomplete_details": None,
        "instructions": (request.system_text or None) if request else None,
        "max_output_tokens": request.max_tokens if request else None,
        "model": model or (request.model if request else ""),
        "output": [],
        "parallel_tool_calls": not (choice and choice.disable_parallel),
        "previous_response_id": extra.get("previous_response_id"),
        "reasoning": extra.get("reasoning") if isinstance(extra.get("reasoning"), dict) else None,
        "store": extra.get("store", True),
        "temperature": request.temperature if request else None,
        "text": extra.get("text") or {"format": {"type": "text"}},
        "tool_choice": _render_tool_choice(choice),
        "tools": _render_tools(request) if request else [],
        "top_p": request.top_p if request else None,
        "truncation": extra.get("truncation", "disabled"),
        "usage": None,
        "user": extra.get("user"),
        "metadata": request.metadata if request else {},
    }


def _render_tools(request: Request) -> list[dict[str, Any]]:
    """The request's tools as the client declared them: a namespace's functions regrouped
    under it, a client tool search as such; tools loaded by a search or given in an
    ``additional_tools`` input item are not declared in ``tools``."""
    forms: dict[str, dict[str, Any]] = request.extra.get(CALL_FORMS) or {}
    tools: list[dict[str, Any]] = []
    namespaces: dict[str, dict[str, Any]] = {}
    for tool in request.tools:
        form = forms.get(tool.name, {})
        if form.get("loaded") or form.get("additional"):
            continue
        if form.get("type") == "tool_search_call":
            tools.append({"type": "tool_search", "execution": "client",
                          "description": tool.description, "parameters": tool.input_schema})
        elif "namespace" in form:
            namespace = namespaces.get(form["namespace"])
            if namespace is None:
                namespace = namespaces[form["namespace"]] = {
                    "type": "namespace", "name": form["namespace"],
                    "description": form.get("namespace_description", ""), "tools": []}
                tools.append(namespace)
            namespace["tools"].append(_render_tool(tool, form["name"]))
        else:
            tools.append(_render_tool(tool, tool.name))
    return tools


def _render_tool(tool: Tool, name: str) -> dict[str, Any]:
    if tool.raw is not None:
        return tool.raw
    return {"type": "function", "name": name, "description": tool.description,
            "parameters": tool.input_schema, "strict": bool(tool.strict)}


def _render_tool_choice(choice: ToolChoice | None) -> Any:
    if choice is None or choice.type == "auto":
        return "auto"
    if choice.type == "tool":
        return {"type": "function", "name": choice.name}
    return "required" if choice.type == "any" else "none"


def _usage(response: Response) -> dict[str, Any]:
    usage = response.usage
    # OpenAI counts cached prompt tokens inside input_tokens; Anthropic reports them apart.
    input_tokens = (usage.input_tokens + usage.cache_read_input_tokens
                    + usage.cache_creation_input_tokens)
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": usage.cache_read_input_tokens,
                                 "cache_write_tokens": usage.cache_creation_input_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + usage.output_tokens,
    }


def item_id(response_id: str, index: int, block: Block) -> str:
    """Deterministic item ids, so a streamed answer and its final object agree."""
    prefix = {"text": "msg", "tool_use": "fc", "thinking": "rs", "redacted_thinking": "rs"}
    kind = "ws" if is_search_call(block) else prefix.get(block.type, "item")
    return f"{kind}_{response_id.removeprefix('resp_')}_{index}"


def custom_tool_input(arguments: dict[str, Any]) -> str:
    """The text of a free-form tool call made through a function: its ``input`` string, or,
    when the model sent the patch itself instead of ``{"input": ...}`` (Codex's description
    says not to wrap it in JSON), that raw text (``_raw`` / a bare JSON string's ``_value``)."""
    for key in ("input", "_raw", "_value"):
        value = arguments.get(key)
        if isinstance(value, str):
            return value
    return ""


def is_custom_tool(name: str, request: Request | None) -> bool:
    return bool(request) and any(t.name == name and t.raw is not None
                                 and t.raw.get("type") == "custom" for t in request.tools)


def call_form(name: str, request: Request | None) -> dict[str, Any]:
    """How a call to the tool the upstream knows as ``name`` goes back to the client (see the
    module docstring); empty for a plain function call under that same name."""
    forms = request.extra.get(CALL_FORMS) if request else None
    return forms.get(name, {}) if forms else {}


def call_kind(name: str, request: Request | None) -> str:
    """``function``, ``custom`` or ``tool_search``: which events a call to ``name`` streams as."""
    if call_form(name, request).get("type") == "tool_search_call":
        return "tool_search"
    return "custom" if is_custom_tool(name, request) else "function"


def output_item(block: Block, item_id: str, request: Request | None,
                 *, status: str = "completed") -> dict[str, Any] | None:
    if isinstance(block, TextBlock):
        content = [text_part(block.text, url_citations(block))] if status == "completed" else []
        return {"id": item_id, "type": "message", "status": status, "role": "assistant",
                "content": content}
    if isinstance(block, ToolUseBlock):
        return _call_item(block, item_id, request, status)
    if isinstance(block, ThinkingBlock | RedactedThinkingBlock):
        return reasoning_item(block, item_id, request, status=status)
    # Images and tool results never appear in assistant output; an upstream's server tool
    # blocks have no item of their own (a web search's pair becomes one: render_response).
    return None


def _call_item(block: ToolUseBlock, item_id: str, request: Request | None,
               status: str) -> dict[str, Any]:
    done = status == "completed"
    kind = call_kind(block.name, request)
    if kind == "tool_search":
        return {"id": item_id, "type": "tool_search_call", "status": status,
                "call_id": block.id, "execution": "client",
                "arguments": block.input if done else {}}
    form = call_form(block.name, request)
    if kind == "custom":
        custom = {"id": item_id, "type": "custom_tool_call", "status": status,
                  "call_id": block.id, "name": form.get("name", block.name),
                  "input": custom_tool_input(block.input) if done else ""}
        if "namespace" in form:
            custom["namespace"] = form["namespace"]
        return custom
    item = {"id": item_id, "type": "function_call", "status": status, "call_id": block.id,
            "name": form.get("name", block.name),
            "arguments": tool_arguments_text(block.input) if done else ""}
    if "namespace" in form:
        item["namespace"] = form["namespace"]
    return item


def text_part(text: str, annotations: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An ``output_text`` part; ``annotations`` are its ``url_citation`` s, if any."""
    return {"type": "output_text", "text": text, "annotations": annotations or []}
