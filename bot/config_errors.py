"""pydantic's validation errors -> one line per problem, naming the key as config.toml spells it
(`events[2].ends_at: ...`, entries counted from 1 in file order)."""

from __future__ import annotations

from pydantic import ValidationError


def _where(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        elif part in ("function-after", "function-before") or "[" in str(part):
            continue  # pydantic's validator wrappers, not keys
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(error: dict) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind == "timezone_aware":
        return "needs a UTC offset, e.g. 2027-06-10T09:00:00-04:00"
    message = error["msg"]
    return message.removeprefix("Value error, ")


def format_errors(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors():
        where, message = _where(error["loc"]), _message(error)
        for line in message.splitlines():
            problems.append(f"{where}: {line}" if where and not line.startswith(where) else line)
    return problems
