"""Validation of request and webhook bodies against LINE's OpenAPI specs in ../shared/line-openapi.

(Stub: replaced by the full validator.)
"""
from __future__ import annotations


def messaging_validator():
    def validate(method: str, path: str, body: dict | None) -> list[str]:
        return []
    return validate
