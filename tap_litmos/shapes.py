"""How each Litmos record becomes a stream record, and the schema it follows.

A shape lists the Litmos fields a stream knows, the snake_case property each one
becomes and its type. Fields Litmos adds later are kept under their snake_case
name, and fields that hold credentials are dropped. Properties are snake_case
so that PostgreSQL users can query them without quoting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import inflection

from tap_litmos.dates import UnparseableDateError, normalize_date
from tap_litmos.values import (
    DateConverter,
    to_boolean,
    to_integer,
    to_name,
    to_number,
    to_text,
    to_text_list,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from tap_litmos.values import Converter

LOGGER = logging.getLogger("tap-litmos")

# JSON schema of each kind of value; every property but the keys may be null.
_SCHEMA_OF_KIND: dict[str, dict[str, Any]] = {
    "text": {"type": ["string", "null"]},
    "name": {"type": ["string", "null"]},
    "boolean": {"type": ["boolean", "null"]},
    "integer": {"type": ["integer", "null"]},
    "number": {"type": ["number", "null"]},
    "date-time": {"type": ["string", "null"], "format": "date-time"},
    "text-list": {"type": ["array", "null"], "items": {"type": "string"}},
}

_CONVERTER_OF_KIND: dict[str, Converter] = {
    "text": to_text,
    "name": to_name,
    "boolean": to_boolean,
    "integer": to_integer,
    "number": to_number,
    "text-list": to_text_list,
}


@dataclass(frozen=True)
class Field:
    """A Litmos field and the property it becomes."""

    litmos_name: str
    property_name: str
    kind: str


def field(litmos_name: str, kind: str = "text", *, to: str | None = None) -> Field:
    """Declare a field, naming its property by the snake_case rule by default."""
    return Field(litmos_name, to or snake_case(litmos_name), kind)


def snake_case(litmos_name: str) -> str:
    """Return the property name for a Litmos field name (``FirstName``: first_name)."""
    return str(inflection.underscore(litmos_name))


class MissingKeyError(ValueError):
    """A record lacks one of its stream's key properties."""


class RecordShape:
    """Turns the rows of one Litmos endpoint into records of one stream."""

    def __init__(
        self,
        stream_name: str,
        fields: Iterable[Field],
        *,
        keys: tuple[str, ...],
        dropped: Iterable[str] = (),
    ) -> None:
        """Declare a shape.

        Args:
            stream_name: The stream the records belong to, for warnings.
            fields: The known fields of the endpoint's rows.
            keys: The properties that must hold a non-empty value.
            dropped: Litmos fields never emitted (credentials, or values that
                belong to another stream).
        """
        self.stream_name = stream_name
        self.keys = keys
        self.fields = tuple(fields)
        self._dropped = frozenset(dropped)
        self._template: dict[str, Any] = {}
        self._converters: dict[str, tuple[str, Converter]] = {}
        spellings: dict[str, list[str]] = {}
        for known in self.fields:
            convert: Converter = (
                DateConverter(known.property_name, self._report_bad_date)
                if known.kind == "date-time"
                else _CONVERTER_OF_KIND[known.kind]
            )
            self._converters[known.litmos_name] = (known.property_name, convert)
            spellings.setdefault(known.property_name, []).append(known.litmos_name)
        # Properties several Litmos fields can fill, the preferred field first.
        self._alternatives = [names for names in spellings.values() if len(names) > 1]

    def build(self, row: Mapping[str, Any], **fixed: str) -> dict[str, Any]:
        """Build a record from an API row.

        Args:
            row: One item of a Litmos response.
            **fixed: Properties the row does not carry, such as the parent id.

        Returns:
            The record, with every known field converted to its schema type.

        Raises:
            MissingKeyError: A key property is missing or empty.
        """
        record = self._template.copy()
        converters = self._converters
        for name, value in row.items():
            known = converters.get(name)
            if known is None:
                if name in self._dropped:
                    continue
                known = self._learn_unknown_field(name)
            property_name, convert = known
            record[property_name] = convert(value)

        for names in self._alternatives:
            self._take_preferred(record, row, names)
        record.update(fixed)
        for key in self.keys:
            if not record.get(key):
                raise MissingKeyError(key)
        return record

    def _take_preferred(
        self, record: dict[str, Any], row: Mapping[str, Any], names: list[str]
    ) -> None:
        # When a row holds two spellings of one property (UserId and Id on a
        # change row), the more specific one decides, whatever their order.
        for name in names:
            value = row.get(name)
            if value is not None and value != "":
                property_name, convert = self._converters[name]
                record[property_name] = convert(value)
                return

    def emit_every(self, property_names: Iterable[str]) -> None:
        """Make every record carry these properties, null where the row has none.

        Records of one stream then share one set of columns whichever endpoint
        they came from.
        """
        self._template = dict.fromkeys(property_names)

    def _learn_unknown_field(self, litmos_name: str) -> tuple[str, Converter]:
        # A field the tap does not know yet is kept rather than lost; remembering
        # its converter keeps the per-record cost of such fields low.
        known = (snake_case(litmos_name), _keep_unknown_value)
        self._converters[litmos_name] = known
        return known

    def _report_bad_date(self, property_name: str, value: Any) -> None:  # noqa: ANN401
        LOGGER.warning(
            "Stream '%s': field '%s' holds a value that is not a date (%.40r); "
            "such values are emitted as null.",
            self.stream_name,
            property_name,
            value,
        )


def _keep_unknown_value(value: Any) -> Any:  # noqa: ANN401
    # Unknown fields keep their JSON type; only the two conventions that hold
    # for every Litmos field apply: "" means no value and dates become RFC 3339.
    if not isinstance(value, str):
        return value
    if not value:
        return None
    if value.startswith("/Date("):
        try:
            return normalize_date(value)
        except UnparseableDateError:
            return value
    return value


def stream_schema(
    shapes: list[RecordShape],
    *,
    keys: tuple[str, ...],
) -> dict[str, Any]:
    """Return the JSON schema covering every shape a stream emits.

    Each shape is set to emit every property of the schema, so that records
    of the stream have the same properties whichever endpoint they came from.

    Args:
        shapes: The shapes of the endpoints the stream reads.
        keys: The primary key properties, which are required and never null.

    Returns:
        A JSON schema that keeps properties Litmos adds later.
    """
    properties: dict[str, Any] = {}
    for declared in (known for shape in shapes for known in shape.fields):
        properties.setdefault(
            declared.property_name, dict(_SCHEMA_OF_KIND[declared.kind])
        )
    for key in keys:
        properties[key] = {"type": "string"}
    ordered = {key: properties.pop(key) for key in keys} | properties
    for shape in shapes:
        shape.emit_every(ordered)
    return {
        "type": "object",
        "properties": ordered,
        "required": list(keys),
        "additionalProperties": True,
    }
