"""Validation of request and webhook bodies against LINE's OpenAPI specs (shared/line-openapi).

Plain JSON Schema ignores two OpenAPI 3.0 keywords the specs rely on, so the validator adds them:

* ``discriminator`` (with ``mapping``): the value of the named property picks the subtype;
  an unknown or missing value is an error. Subtypes are written ``allOf: [{$ref: parent}, {...}]``,
  so the instance is checked against the subtype with that back-reference to the parent left out
  (the parent's own keywords are already being applied), which avoids endless recursion.
* ``nullable: true``: ``null`` is accepted where the schema says so.

The spec directory is ``LINE_OPENAPI_DIR`` or ``<repo>/../shared/line-openapi``.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml
from jsonschema import Draft7Validator, ValidationError, validators
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

MESSAGING_URI = "urn:line-openapi:messaging-api"
WEBHOOK_URI = "urn:line-openapi:webhook"
MAX_ERROR_CHARS = 400
_type_keyword = Draft7Validator.VALIDATORS["type"]
_enum_keyword = Draft7Validator.VALIDATORS["enum"]

Validate = Callable[[str, str, "dict | None"], list[str]]


def spec_dir() -> Path:
    """Where LINE's OpenAPI files are: ``LINE_OPENAPI_DIR`` or ``shared/line-openapi`` beside the repo."""
    env = os.environ.get("LINE_OPENAPI_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "line-openapi"


@lru_cache(maxsize=None)
def load_spec(name: str) -> dict:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(spec_dir() / name, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader)


# -- the two OpenAPI keywords ---------------------------------------------------
def _nullable_type(validator, types, instance, schema) -> Iterator[ValidationError]:
    if instance is None and schema.get("nullable") is True:
        return
    yield from _type_keyword(validator, types, instance, schema)


def _nullable_enum(validator, enums, instance, schema) -> Iterator[ValidationError]:
    if instance is None and schema.get("nullable") is True:
        return
    yield from _enum_keyword(validator, enums, instance, schema)


def _is_parent_ref(resolver, part: Any, parent: dict) -> bool:
    if not (isinstance(part, dict) and set(part) == {"$ref"}):
        return False
    target = resolver.lookup(part["$ref"]).contents
    return target is parent or target == parent


def _discriminator(validator, discriminator: dict, instance, schema) -> Iterator[ValidationError]:
    if not isinstance(instance, dict):
        return
    prop = discriminator["propertyName"]
    if prop not in instance:
        if prop not in schema.get("required", ()):  # otherwise `required` already says so
            yield ValidationError(f"{prop!r} is a required property (it selects the object's kind)")
        return
    value = instance[prop]
    mapping = discriminator.get("mapping") or {}
    if not isinstance(value, str) or value not in mapping:
        yield ValidationError(
            f"unknown {prop} {value!r}; expected one of {sorted(mapping)}", path=[prop])
        return
    resolved = validator._resolver.lookup(mapping[value])
    subtype = resolved.contents
    if subtype is schema:
        return
    narrowed = dict(subtype)
    if "allOf" in subtype:
        narrowed["allOf"] = [p for p in subtype["allOf"] if not _is_parent_ref(resolved.resolver, p, schema)]
    yield from validator.descend(instance, narrowed, resolver=resolved.resolver)


OpenAPIValidator = validators.extend(
    Draft7Validator,
    {"discriminator": _discriminator, "type": _nullable_type, "enum": _nullable_enum},
)


# -- building validators from the specs -------------------------------------------
@lru_cache(maxsize=None)
def _registry() -> Registry:
    return Registry().with_resources([
        (MESSAGING_URI, Resource(contents=load_spec("messaging-api.yml"), specification=DRAFT7)),
        (WEBHOOK_URI, Resource(contents=load_spec("webhook.yml"), specification=DRAFT7)),
    ])


def schema_validator(base_uri: str, ref: str) -> OpenAPIValidator:
    """A validator for ``ref`` (e.g. ``#/components/schemas/Message``) inside one spec."""
    return OpenAPIValidator({"$ref": base_uri + ref}, registry=_registry())


_SIZE_WORDS = {
    "maxItems": ("items", "at most"), "minItems": ("items", "at least"),
    "maxLength": ("characters", "at most"), "minLength": ("characters", "at least"),
}


def _format(error: ValidationError) -> str:
    if error.validator in _SIZE_WORDS and isinstance(error.instance, (list, str)):
        unit, bound = _SIZE_WORDS[error.validator]
        message = f"{len(error.instance)} {unit}; {bound} {error.validator_value} allowed"
    else:
        message = error.message
    if len(message) > MAX_ERROR_CHARS:
        message = message[:MAX_ERROR_CHARS] + "…"
    return f"{error.json_path}: {message}"


def errors_of(validator: OpenAPIValidator, instance: Any) -> list[str]:
    """Every error, once (a subtype reached both directly and via its parent reports twice)."""
    found = dict.fromkeys(_format(e) for e in validator.iter_errors(instance))
    return sorted(found)


def _path_regex(template: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")


def _body_ref(operation: dict) -> str | None:
    content = (operation.get("requestBody") or {}).get("content") or {}
    schema = (content.get("application/json") or {}).get("schema")
    if schema is None:
        return None
    return schema.get("$ref")


def messaging_validator() -> Validate:
    """``validate(method, path, body) -> errors`` for Messaging API requests (path like ``/v2/bot/message/push``)."""
    spec = load_spec("messaging-api.yml")
    operations: list[tuple[str, re.Pattern, str | None]] = []
    for template, item in spec["paths"].items():
        for method, operation in item.items():
            if method.lower() in {"get", "post", "put", "delete", "patch"}:
                operations.append((method.upper(), _path_regex(template), _body_ref(operation)))
    # Literal paths win over templated ones (e.g. /message/quota vs /message/{messageId}/...).
    operations.sort(key=lambda op: op[1].pattern.count("[^/]+"))
    cache: dict[str, OpenAPIValidator] = {}

    def validate(method: str, path: str, body: dict | None) -> list[str]:
        method = method.upper()
        if method == "GET" or body is None:
            return []
        for op_method, regex, ref in operations:
            if op_method == method and regex.match(path):
                if ref is None:
                    return []
                if ref not in cache:
                    cache[ref] = schema_validator(MESSAGING_URI, ref)
                return errors_of(cache[ref], body)
        return [f"{method} {path}: no such operation in messaging-api.yml"]

    return validate


def validate_webhook(body: dict) -> list[str]:
    """Errors of a webhook body against webhook.yml's ``CallbackRequest`` ([] when valid)."""
    return errors_of(_webhook_validator(), body)


@lru_cache(maxsize=None)
def _webhook_validator() -> OpenAPIValidator:
    return schema_validator(WEBHOOK_URI, "#/components/schemas/CallbackRequest")
