"""The Responses API's tool kinds, as offered to an upstream of any format (pure).

Function tools go as they are. A ``namespace`` tool (Codex's MCP servers and sub-agent tools,
for a model it does not know) is flattened: each member function is offered as
``{namespace}__{name}`` (:func:`upstream_tool_name`), and its call form is kept so calls go
back as a ``function_call`` with ``namespace``. A client-executed ``tool_search`` is offered
as a function; the tools its output hands over are offered from then on
(:func:`add_loaded_tools`). Custom (freeform) tools become a function taking one string
``input``, their grammar told in the description; server-side kinds stay raw (a web search
with Claude's as its Anthropic form: :mod:`lynkr.wire.openai_responses_web_search`). The call
forms are described by :data:`~lynkr.wire.openai_responses_render.CALL_FORMS`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

from lynkr.errors import InvalidRequest
from lynkr.model import Message, NativeBlock, Tool, ToolResultBlock
from lynkr.wire.openai_responses_web_search import NATIVE_FOR, equivalents, is_web_search

_CUSTOM_TOOL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"input": {"type": "string", "description": "The raw input of the tool."}},
    "required": ["input"],
}
_EMPTY_SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}
# The namespace of plain function tools; Codex declares its code-mode tools in it.
DEFAULT_NAMESPACE = "functions"
# Chat completions and Anthropic both take tool names of at most 64 of these characters.
_NAME_LIMIT = 64
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def parse_tools(tools: Any, additional: list[Any] | None = None
                ) -> tuple[list[Tool], dict[str, dict[str, Any]]]:
    """The client's tools as offered upstream, and the call forms of those offered in another
    shape (see :data:`~lynkr.wire.openai_responses_render.CALL_FORMS`).

    ``additional`` holds the tools of the input's ``additional_tools`` items: Codex puts all
    its tools there for its newer models (gpt-5.6-*, gpt-6*), with ``tools: []``. They are
    offered like the others; their forms say so, so the response echoes only ``tools``."""
    if tools is None:
        tools = []
    if not isinstance(tools, list):
        raise InvalidRequest("`tools` must be a list", param="tools")
    declared = len(tools)
    tools = tools + (additional or [])
    # With a client tool search the client hands deferred tools over in its search results;
    # without one (a hosted search, which no other upstream runs) they are offered at once.
    client_search = any(isinstance(t, dict) and t.get("type") == "tool_search"
                        and t.get("execution") == "client" for t in tools)
    parsed: list[Tool] = []
    forms: dict[str, dict[str, Any]] = {}
    for i, tool in enumerate(tools):
        param = f"tools[{i}]" if i < declared else "input.additional_tools"
        if not isinstance(tool, dict):
            raise InvalidRequest(f"{param} must be an object", param=param)
        count = len(parsed)
        kind = tool.get("type")
        if kind == "function":
            spec = tool["function"] if isinstance(tool.get("function"), dict) else tool
            if not (client_search and spec.get("defer_loading") is True):
                parsed.append(_function_tool(spec, required_str(spec, "name", param), param))
        elif kind == "namespace":
            _add_namespace(tool, param, client_search, parsed, forms)
        elif kind == "tool_search" and tool.get("execution") == "client":
            schema = tool.get("parameters")
            parsed.append(Tool("tool_search", tool.get("description") or "",
                               schema if isinstance(schema, dict) else dict(_EMPTY_SCHEMA)))
            forms["tool_search"] = {"type": "tool_search_call"}
        elif kind == "custom":
            parsed.append(_custom_tool(tool, required_str(tool, "name", param)))
        elif isinstance(kind, str):
            # Hosted kinds stay raw; a web search carries its forms for other upstreams.
            extra = {NATIVE_FOR: equivalents(tool)} if is_web_search(tool) else {}
            parsed.append(Tool(name=str(tool.get("name") or kind), raw=tool, extra=extra))
        else:
            raise InvalidRequest(f"{param}.type is required", param=f"{param}.type")
        if i >= declared:
            for added in parsed[count:]:
                forms[added.name] = forms.get(added.name, {}) | {"additional": True}
    return parsed, forms


def _add_namespace(tool: dict[str, Any], param: str, client_search: bool,
                   parsed: list[Tool], forms: dict[str, dict[str, Any]]) -> None:
    """A namespace's functions and custom tools, each offered as ``{namespace}__{name}``,
    with the form its calls go back in."""
    namespace = required_str(tool, "name", param)
    members = tool.get("tools")
    if not isinstance(members, list):
        raise InvalidRequest(f"{param}.tools must be a list", param=f"{param}.tools")
    about = tool.get("description")
    offered = {t.name for t in parsed}
    for member in members:
        if not isinstance(member, dict) or not isinstance(member.get("name"), str) \
                or member.get("type") not in ("function", "custom"):
            continue
        name = upstream_tool_name(namespace, member["name"])
        # A name cut or cleaned to one already offered stays out: APIs refuse twins.
        if (client_search and member.get("defer_loading") is True) or name in offered:
            continue
        offered.add(name)
        parsed.append(_function_tool(member, name, param) if member["type"] == "function"
                      else _custom_tool(member, name))
        forms[name] = {"namespace": namespace, "name": member["name"],
                       "namespace_description": about if isinstance(about, str) else ""}


def _custom_tool(tool: dict[str, Any], name: str) -> Tool:
    """A free-form tool, offered as a function taking its raw text as one string ``input``;
    ``raw`` keeps the client's definition (calls go back as ``custom_tool_call``).

    The OpenAI API constrains sampling to the tool's ``format`` grammar; another API has no
    such thing, so the grammar goes into the description (Codex's ``apply_patch`` says only
    "do not wrap the patch in JSON", and its ``*** Begin Patch`` format lives in the lark
    grammar alone) and the ``input`` schema points at it."""
    description = tool.get("description") or ""
    grammar = _grammar(tool.get("format"))
    if grammar is None:
        return Tool(name, description, dict(_CUSTOM_TOOL_SCHEMA), raw=tool)
    syntax, definition = grammar
    rule = "lark grammar" if syntax == "lark" else "regular expression"
    description = (f"{description}\n\n" if description else "") + (
        f"The `input` string must match this {rule} exactly:\n"
        f"```{syntax}\n{definition.strip()}\n```")
    schema = {"type": "object", "properties": {"input": {
        "type": "string",
        "description": f"The raw input of the tool, matching the {rule} in the tool's "
                       "description."}}, "required": ["input"]}
    return Tool(name, description, schema, raw=tool)


def _grammar(fmt: Any) -> tuple[str, str] | None:
    """``(syntax, definition)`` of a custom tool's grammar ``format``; None for free text."""
    if not isinstance(fmt, dict) or fmt.get("type") != "grammar":
        return None
    syntax, definition = fmt.get("syntax"), fmt.get("definition")
    if not isinstance(definition, str) or not definition.strip():
        return None
    return (syntax if syntax in ("lark", "regex") else "lark"), definition


def _function_tool(spec: dict[str, Any], name: str, param: str) -> Tool:
    schema = spec.get("parameters")
    strict = spec.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise InvalidRequest(f"{param}.strict must be a boolean", param=f"{param}.strict")
    return Tool(name=name, description=spec.get("description") or "",
                input_schema=schema if isinstance(schema, dict) else dict(_EMPTY_SCHEMA),
                strict=strict)


def functions(tools: Any, param: str = "tools") -> Iterator[tuple[str | None, str,
                                                                   dict[str, Any]]]:
    """``(namespace, its description, function)`` for each function tool in ``tools``, those
    inside a namespace included; other kinds (a namespace's custom tools) are skipped."""
    for tool in tools if isinstance(tools, list) else []:
        if not isinstance(tool, dict):
            continue
        if tool.get("type") == "function" and isinstance(tool.get("name"), str):
            yield None, "", tool
        elif tool.get("type") == "namespace" and isinstance(tool.get("name"), str):
            members = tool.get("tools")
            if not isinstance(members, list):
                raise InvalidRequest(f"{param}.tools must be a list", param=f"{param}.tools")
            about = tool.get("description")
            for member in members:
                if isinstance(member, dict) and member.get("type") == "function" \
                        and isinstance(member.get("name"), str):
                    yield tool["name"], about if isinstance(about, str) else "", member


def upstream_tool_name(namespace: str | None, name: str) -> str:
    """The name a namespace's function is offered upstream by: ``{namespace}__{name}``, the
    join Codex's own chat-completions adapter uses (``mcp__lynkr`` + ``grep`` reads as Claude
    Code's ``mcp__lynkr__grep``). Characters other APIs refuse become ``_``, and a name over
    their limit is cut and ends in a hash of the whole; calls come back by lookup, so the
    name never has to be split. Members of the ``functions`` namespace (the default one,
    where Codex's code mode puts ``exec`` and ``wait``) keep their own names: the
    descriptions refer to each other by them."""
    if namespace is None or namespace == DEFAULT_NAMESPACE:
        return name
    joined = _NAME_UNSAFE.sub("_", f"{namespace}__{name}")
    if len(joined) <= _NAME_LIMIT:
        return joined
    digest = hashlib.sha256(joined.encode()).hexdigest()[:8]
    return f"{joined[:_NAME_LIMIT - 9]}_{digest}"


def add_loaded_tools(tools: list[Tool], forms: dict[str, dict[str, Any]],
                      messages: list[Message]) -> None:
    """Offer each tool a tool search in the conversation found (its ``tool_reference``
    carries the definition), unless a tool of that name is offered already."""
    offered = {t.name for t in tools}
    refs = [n.raw for m in messages for b in m.content if isinstance(b, ToolResultBlock)
            for n in b.content if isinstance(n, NativeBlock)
            and n.raw.get("type") == "tool_reference" and isinstance(n.raw.get("tool"), dict)]
    for ref in refs:
        if ref["tool_name"] not in offered:
            offered.add(ref["tool_name"])
            tools.append(_function_tool(ref["tool"], ref["tool_name"], "tool_search_output"))
            forms[ref["tool_name"]] = {"loaded": True, "name": ref["tool"]["name"]} | (
                {"namespace": ref["namespace"],
                 "namespace_description": ref["namespace_description"]}
                if ref.get("namespace") else {})


def responses_choice_name(choice: dict[str, Any], tools: list[Tool],
                          forms: dict[str, dict[str, Any]]) -> str | None:
    """The tool ``{"type": "function" | "custom", "name": ...}`` names, by the name it is
    offered upstream under. A function of a namespace is offered as ``{namespace}__{name}``,
    so a choice of its bare name (with the choice's ``namespace``, or the only namespace
    holding that name) must name that, or the upstream refuses a choice of a tool it was
    never offered."""
    name = choice.get("name")
    if choice.get("type") not in ("function", "custom") or not isinstance(name, str):
        return None
    namespace = choice.get("namespace")
    if namespace is None and any(t.name == name for t in tools):
        return name
    members = [offered for offered, form in forms.items() if form.get("name") == name
               and form.get("namespace") is not None
               and namespace in (None, form["namespace"])]
    return members[0] if len(members) == 1 else name


def required_str(obj: dict[str, Any], key: str, param: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise InvalidRequest(f"{param}.{key} is required and must be a string",
                             param=f"{param}.{key}")
    return value
