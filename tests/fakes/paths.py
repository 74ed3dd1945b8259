"""The fake upstream of :mod:`tests.fakes.upstream` reachable under the URL shapes of hosted
providers: Azure OpenAI deployments and v1 paths, Databricks serving endpoints, any
``{prefix}/chat/completions`` (OpenRouter's ``/api/v1``) and ``{prefix}/v1/messages`` (Azure
AI Foundry's ``/anthropic``). ``queries`` records each request's query string.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from tests.fakes.upstream import Behavior, FakeUpstream


class PathsUpstream(FakeUpstream):
    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []
        self.app.router.routes.extend([
            Route("/serving-endpoints/{name}/invocations", self._openai, methods=["POST"]),
            Route("/{prefix:path}/chat/completions", self._openai, methods=["POST"]),
            Route("/{prefix:path}/v1/messages", self._anthropic, methods=["POST"]),
        ])

    async def _next(self, request: Request) -> tuple[Behavior, dict[str, Any]]:
        self.queries.append(request.url.query)
        return await super()._next(request)
