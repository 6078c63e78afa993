"""SOQL for the sandbox org: parse statements, compile them to SQLite, shape the results.

compiled = compile_query("SELECT Id, Owner.Email FROM Lead", schema,
                         include_deleted=False, now=clock.now())
sql, params = compiled.sql(limit=2000)  # the first page of the statement's result
records = [shape_record(compiled, row, "59.0") for row in db.execute(sql, params)]
"""

from leadbridge.sandbox.soql.compiler import (
    CompiledQuery,
    OrderKey,
    compile_condition,
    compile_query,
)
from leadbridge.sandbox.soql.parser import parse, parse_condition
from leadbridge.sandbox.soql.records import shape_csv_row, shape_record

__all__ = [
    "CompiledQuery",
    "OrderKey",
    "compile_condition",
    "compile_query",
    "parse",
    "parse_condition",
    "shape_csv_row",
    "shape_record",
]
