"""Answering with a model that is already built, without FastAPI checking it a second time."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


def model_answer(model: BaseModel, status_code: int = 200) -> Response:
    """``model`` as the JSON body, serialised once.

    A sync endpoint that returns a model has FastAPI validate it against ``response_model``
    again, on a worker thread of its own (one more hop to a thread and back per request, and
    under load a wait for a free one); its JSON is then the same as this. The route keeps
    ``response_model`` for its OpenAPI schema. Only for models the endpoint built itself (a
    model built with validation is already what the schema says).
    """
    return Response(
        content=model.__pydantic_serializer__.to_json(model, by_alias=True),
        status_code=status_code,
        media_type="application/json",
    )
