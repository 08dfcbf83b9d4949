"""How the routes answer: a response model serialised once, by pydantic's Rust core.

A route that returns a model has FastAPI validate it a second time against the route's
`response_model` and serialise the copy; returning a `ModelJSON` skips both (FastAPI passes a
returned Response through), while `response_model` still documents the body in the schema.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from starlette.responses import Response


class ModelJSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        if not isinstance(content, BaseModel):
            raise TypeError(f"ModelJSON renders a pydantic model, not {type(content).__name__}")
        return content.__pydantic_serializer__.to_json(content)
