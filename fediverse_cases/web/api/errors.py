"""Mastodon-shaped API errors: ``{"error": "..."}`` with the status code Mastodon uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quart import Blueprint, Response, jsonify


@dataclass
class ApiError(Exception):
    status: int
    message: str
    extra: dict[str, Any] | None = None

    def __str__(self) -> str:
        return self.message


def not_found() -> ApiError:
    return ApiError(404, "Record not found")


def unprocessable(message: str) -> ApiError:
    return ApiError(422, f"Validation failed: {message}" if not message.startswith("Validation") else message)


def forbidden(message: str = "This action is not allowed") -> ApiError:
    return ApiError(403, message)


def error_response(error: ApiError) -> Response:
    response = jsonify({"error": error.message, **(error.extra or {})})
    response.status_code = error.status
    return response


def install(blueprint: Blueprint) -> None:
    @blueprint.app_errorhandler(ApiError)
    async def handle_api_error(error: ApiError) -> Response:
        return error_response(error)
