"""Read a GX row condition (its JSON form): the SQL predicate it means, the columns it reads.

Used to count conditional uniqueness in DuckDB, to name the condition in a failure message,
and to know which columns a conditional expectation needs (value_groups.py).
"""

from __future__ import annotations

from typing import Any

_COMPARISONS = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _as_json(condition: Any) -> dict:
    if hasattr(condition, "dict"):  # a Condition object rather than its JSON form
        return condition.dict()
    return condition


def condition_columns(condition: Any) -> set[str]:
    condition = _as_json(condition)
    if condition.get("type") in ("and", "or"):
        return set().union(*(condition_columns(part) for part in condition["conditions"]))
    return {condition["column"]["name"]}


def condition_sql(condition: Any) -> str:
    condition = _as_json(condition)
    kind = condition.get("type")
    if kind in ("and", "or"):
        parts = [condition_sql(part) for part in condition["conditions"]]
        return "(" + f" {kind.upper()} ".join(parts) + ")"
    column = quote_identifier(condition["column"]["name"])
    if kind == "nullity":
        return f"{column} IS {'NULL' if condition['is_null'] else 'NOT NULL'}"
    if kind == "comparison":
        operator, parameter = condition["operator"], condition["parameter"]
        if operator in ("IN", "NOT_IN"):
            values = ", ".join(sql_literal(v) for v in parameter)
            return f"{column} {'IN' if operator == 'IN' else 'NOT IN'} ({values})"
        return f"{column} {_COMPARISONS[operator]} {sql_literal(parameter)}"
    raise ValueError(f"unsupported row condition: {condition!r}")
