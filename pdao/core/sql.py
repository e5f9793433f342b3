"""Quoting for SQL text the platform builds itself (DuckDB and PostgreSQL spell both alike, as
the SQL standard does). Pure: no Django, so the pure libraries (pdao.catalogue.ingest,
pdao.catalogue.quality) can use it.

A name or a value goes through these whenever it is put into SQL text rather than passed as a
parameter — where parameters cannot go (an identifier, a file path in `read_parquet`, a
setting) or where the text is generated from a declared schema.

>>> column, value = quote_ident("区县"), quote_string("青秀区")
>>> print(f"SELECT count(*) FROM v WHERE {column} = {value}")
SELECT count(*) FROM v WHERE "区县" = '青秀区'
"""

from __future__ import annotations


def quote_ident(name: str) -> str:
    """`name` as a quoted identifier: in double quotes, each double quote inside doubled.

    >>> print(quote_ident('企业名称'))
    "企业名称"
    >>> print(quote_ident('a"b'))
    "a""b"
    """
    return '"' + name.replace('"', '""') + '"'


def quote_string(value: str) -> str:
    """`value` as a string literal: in single quotes, each single quote inside doubled.

    >>> print(quote_string("1GB"))
    '1GB'
    >>> print(quote_string("O'Brien"))
    'O''Brien'
    """
    return "'" + value.replace("'", "''") + "'"
