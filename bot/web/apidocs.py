"""/docs: the API described from its OpenAPI schema as one plain page, with no script or asset from elsewhere.

FastAPI's own docs page loads Swagger UI from a CDN and is blank without the internet; this one works offline.
"""
from __future__ import annotations

from html import escape

_CSS_ORDER = ("get", "post", "put", "patch", "delete")


def api_page(schema: dict) -> str:
    """The endpoints of `schema` with their purpose, parameters, request fields and responses."""
    info = schema.get("info", {})
    sections = []
    for path, operations in sorted(schema.get("paths", {}).items()):
        for method in sorted(operations, key=lambda m: _CSS_ORDER.index(m) if m in _CSS_ORDER else 9):
            sections.append(_operation(schema, method, path, operations[method]))
    title = escape(f"{info.get('title', 'API')} — API")
    summary = escape(info.get("summary") or info.get("description") or "")
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
            f'<link rel="stylesheet" href="/document.css"></head><body><main><h1>{title}</h1><p>{summary}</p>'
            f'<p>Every request and answer is JSON. The machine-readable description: <a href="/openapi.json">/openapi.json</a>.</p>'
            f'{"".join(sections)}</main></body></html>')


def _operation(schema: dict, method: str, path: str, operation: dict) -> str:
    parts = [f'<section id="{escape(method + path, quote=True)}"><h2><code>{method.upper()} {escape(path)}</code></h2>']
    words = operation.get("description") or operation.get("summary") or ""
    if words:
        parts.append(f"<p>{escape(words)}</p>")
    parameters = operation.get("parameters") or []
    if parameters:
        parts.append(_table(("parameter", "in", "type", "required", "meaning"),
                            [(p.get("name", ""), p.get("in", ""), _type(schema, p.get("schema", {})), p.get("required", False),
                              p.get("description", "")) for p in parameters]))
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if body:
        model = _resolve(schema, body)
        required = set(model.get("required", []))
        parts.append("<p>JSON body:</p>" + _table(("field", "type", "required", "meaning"),
                                                  [(name, _type(schema, field), name in required, field.get("description", ""))
                                                   for name, field in model.get("properties", {}).items()]))
    responses = operation.get("responses", {})
    if responses:
        listed = ", ".join(f"{escape(code)} {escape(r.get('description', ''))}" for code, r in responses.items())
        parts.append(f"<p>Responses: {listed}. A refusal is <code>{{\"error\": \"a plain sentence\"}}</code>.</p>")
    return "".join(parts) + "</section>"


def _table(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return escape(str(value))


def _resolve(schema: dict, node: dict) -> dict:
    ref = node.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        return schema.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[1], {})
    return node


def _type(schema: dict, node: dict) -> str:
    node = _resolve(schema, node)
    if "enum" in node:
        return " | ".join(str(v) for v in node["enum"])
    if "anyOf" in node:
        return " | ".join(_type(schema, n) for n in node["anyOf"])
    if "const" in node:
        return str(node["const"])
    kind = node.get("type", "object")
    return f"list of {_type(schema, node.get('items', {}))}" if kind == "array" else str(kind)
