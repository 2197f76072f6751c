"""SQLite's SQL, as the repositories and migrations write it, said in PostgreSQL's.

The store has one set of repositories and one list of migrations, written for SQLite.
On a team database (PostgreSQL) every statement passes through here first:

- `query()` for what the repositories run: `?` placeholders become `%s` (and a literal
  `%` becomes `%%`), `INSERT OR IGNORE` / `INSERT OR REPLACE` become `ON CONFLICT`
  clauses, `instr()` becomes `strpos()`, `LIKE` keeps SQLite's case-insensitivity
  (`ILIKE`), `IS ?` becomes `IS NOT DISTINCT FROM`, `LIMIT -1` becomes `LIMIT ALL`.
- `ddl()` for what the migrations run: SQLite's column types become PostgreSQL's
  (INTEGER -> BIGINT, REAL -> DOUBLE PRECISION, BLOB -> BYTEA, TEXT -> TEXT COLLATE "C" so
  text sorts byte by byte as in SQLite), `CHECK (typeof(...))` goes (the column type
  checks it), a table that has a rowid in SQLite gets a `rowid` identity column (queries
  may `ORDER BY rowid`), `WITHOUT ROWID` goes, and a trigger whose body is only
  `SELECT RAISE(ABORT, '...')` becomes a PL/pgSQL function and a trigger.

Anything it cannot say raises `UnsupportedSql` naming the statement: a migration that
needs it carries its PostgreSQL text itself (`Migration.postgres`). String literals,
quoted names and comments are never rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache


class UnsupportedSql(ValueError):
    """A statement the translation cannot carry over; give PostgreSQL text for it."""


# --- tokenising: code, and what must never be rewritten --------------------------------

_LITERAL = re.compile(
    r"""
    '(?:[^']|'')*'          # a string literal ('' is a quote inside it)
    | "(?:[^"]|"")*"        # a quoted name
    | --[^\n]*              # a line comment
    | /\*.*?\*/             # a block comment
    """,
    re.VERBOSE | re.DOTALL,
)


def _segments(sql: str) -> Iterator[tuple[bool, str]]:
    """(is_code, text) pieces of `sql`; literals, quoted names and comments are not code."""
    pos = 0
    for match in _LITERAL.finditer(sql):
        if match.start() > pos:
            yield True, sql[pos : match.start()]
        yield False, match.group()
        pos = match.end()
    if pos < len(sql):
        yield True, sql[pos:]


def _map_code(sql: str, rewrite: re.Pattern[str], replace: str) -> str:
    return "".join(rewrite.sub(replace, text) if code else text for code, text in _segments(sql))


# --- queries ---------------------------------------------------------------------------

_INSERT_OR_IGNORE = re.compile(r"\bINSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_INSERT_OR_REPLACE = re.compile(
    r"\b(?:INSERT\s+OR\s+REPLACE|REPLACE)\s+INTO\s+(\w+)\s*\(([^)]*)\)", re.IGNORECASE
)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_SIMPLE_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\binstr\s*\(", re.IGNORECASE), "strpos("),
    (re.compile(r"\bNOT\s+LIKE\b", re.IGNORECASE), "NOT ILIKE"),
    (re.compile(r"(?<!NOT )\bLIKE\b", re.IGNORECASE), "ILIKE"),
    (re.compile(r"\bIS\s+NOT\s+\?", re.IGNORECASE), "IS DISTINCT FROM ?"),
    (re.compile(r"\bIS\s+\?", re.IGNORECASE), "IS NOT DISTINCT FROM ?"),
    (re.compile(r"\bLIMIT\s+-1\b", re.IGNORECASE), "LIMIT ALL"),
    (re.compile(r"\bBEGIN\s+(?:IMMEDIATE|EXCLUSIVE|DEFERRED)\b", re.IGNORECASE), "BEGIN"),
)


def _append_clause(sql: str, clause: str) -> str:
    """`clause` at the end of the statement, or before its RETURNING."""
    pieces = list(_segments(sql.rstrip().rstrip(";")))
    for index in range(len(pieces) - 1, -1, -1):
        code, text = pieces[index]
        if code:
            found = list(_RETURNING.finditer(text))
            if found:
                at = found[-1].start()
                pieces[index] = (code, f"{text[:at]}{clause} {text[at:]}")
                return "".join(text for _code, text in pieces)
    return "".join(text for _code, text in pieces) + " " + clause


@lru_cache(maxsize=2048)
def query(sql: str, *, params: bool = True) -> str:
    """A repository's statement for PostgreSQL (cached: the texts are mostly constants).

    `params=False` for a statement run without parameters (a migration's): `?` and `%`
    are then left alone.
    """
    conflict: str | None = None
    if _INSERT_OR_IGNORE.search(sql):
        sql = _map_code(sql, _INSERT_OR_IGNORE, "INSERT INTO")
        conflict = "ON CONFLICT DO NOTHING"
    else:
        replace = _INSERT_OR_REPLACE.search(sql)
        if replace is not None:
            table, columns = replace.group(1), replace.group(2)
            names = [name.strip() for name in columns.split(",") if name.strip()]
            sets = ", ".join(f"{name} = EXCLUDED.{name}" for name in names)
            sql = sql[: replace.start()] + f"INSERT INTO {table} ({columns})" + sql[replace.end() :]
            conflict = f"ON CONFLICT ON CONSTRAINT {table}_pkey DO UPDATE SET {sets}"
    pieces: list[str] = []
    for code, text in _segments(sql):
        if code:
            for pattern, replacement in _SIMPLE_REWRITES:
                text = pattern.sub(replacement, text)
            if params:
                text = text.replace("%", "%%").replace("?", "%s")
        elif params:
            text = text.replace("%", "%%")
        pieces.append(text)
    out = "".join(pieces)
    if conflict is not None:
        out = _append_clause(out, conflict)
    return out


# --- schema ----------------------------------------------------------------------------

_TYPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(?:INTEGER|INT|BIGINT|SMALLINT|TINYINT|BOOLEAN|BOOL)\b", re.I), "BIGINT"),
    (re.compile(r"^(?:REAL|DOUBLE(?:\s+PRECISION)?|FLOAT)\b", re.I), "DOUBLE PRECISION"),
    (re.compile(r"^BLOB\b", re.I), "BYTEA"),
    (
        re.compile(r"^(?:TEXT|VARCHAR(?:\s*\(\s*\d+\s*\))?|CHAR(?:\s*\(\s*\d+\s*\))?)", re.I),
        'TEXT COLLATE "C"',
    ),
)
_TYPEOF_CHECK = re.compile(r"\s*CHECK\s*\(\s*typeof\s*\(", re.IGNORECASE)
_INTEGER_PK = re.compile(r"^BIGINT\s+PRIMARY\s+KEY\b(\s+AUTOINCREMENT\b)?", re.IGNORECASE)
_CREATE_TABLE = re.compile(r"^\s*CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?(\w+)\s*\(", re.IGNORECASE)
_ADD_COLUMN = re.compile(
    r"^\s*ALTER\s+TABLE\s+(\w+)\s+ADD\s+(?:COLUMN\s+)?(\w+)\s+(.*)$", re.IGNORECASE | re.DOTALL
)
_TABLE_CONSTRAINT = re.compile(r"^(?:CONSTRAINT|PRIMARY\s+KEY|UNIQUE|CHECK|FOREIGN\s+KEY)\b", re.I)
_RAISE_TRIGGER = re.compile(
    r"""^\s*CREATE\s+TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s+
        (BEFORE|AFTER)\s+(INSERT|UPDATE|DELETE)\s+ON\s+(\w+)\s+
        (?:FOR\s+EACH\s+ROW\s+)?
        BEGIN\s+SELECT\s+RAISE\s*\(\s*(?:ABORT|FAIL|ROLLBACK)\s*,\s*('(?:[^']|'')*')\s*\)\s*;\s*
        END\s*;?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_TRIGGER = re.compile(r"^\s*CREATE\s+(?:TEMP\w*\s+)?TRIGGER\b", re.IGNORECASE)
_PRAGMA = re.compile(r"^\s*PRAGMA\b", re.IGNORECASE)


def _close_paren(text: str, open_at: int) -> int:
    """The index of the `)` that closes the `(` at `open_at` (literals skipped)."""
    depth = 0
    pos = open_at
    for code, piece in _segments(text[open_at:]):
        if code:
            for offset, char in enumerate(piece):
                if char == "(":
                    depth += 1
                elif char == ")":
                    depth -= 1
                    if depth == 0:
                        return pos + offset
        pos += len(piece)
    raise UnsupportedSql(f"unbalanced parentheses in: {text.strip()[:80]}")


def _split_top_level(body: str) -> list[str]:
    """`body` split at the commas that are not inside parentheses or literals."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for code, piece in _segments(body):
        if not code:
            current.append(piece)
            continue
        for char in piece:
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
            if char == "," and depth == 0:
                parts.append("".join(current))
                current = []
            else:
                current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def _drop_typeof_checks(text: str) -> str:
    while (found := _TYPEOF_CHECK.search(text)) is not None:
        open_at = text.index("(", found.start())
        text = text[: found.start()] + text[_close_paren(text, open_at) + 1 :]
    return text


def _column(definition: str) -> tuple[str, bool]:
    """A column definition in PostgreSQL's types; True when it is SQLite's rowid alias."""
    name, _, rest = definition.partition(" ")
    rest = _drop_typeof_checks(rest.strip())
    for pattern, replacement in _TYPES:
        if pattern.match(rest):
            rest = pattern.sub(replacement, rest, count=1)
            break
    if _INTEGER_PK.match(rest):
        rest = _INTEGER_PK.sub("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", rest)
        return f"{name} {rest}", True
    return f"{name} {rest}".rstrip(), False


def _create_table(sql: str, match: re.Match[str]) -> str:
    open_at = match.end() - 1
    close_at = _close_paren(sql, open_at)
    body, suffix = sql[open_at + 1 : close_at], sql[close_at + 1 :]
    rowid_alias = False
    parts: list[str] = []
    for part in _split_top_level(body):
        if _TABLE_CONSTRAINT.match(part):
            if _TYPEOF_CHECK.match(" " + part):
                continue
            parts.append(part)
        else:
            column, alias = _column(part)
            rowid_alias = rowid_alias or alias
            parts.append(column)
    without_rowid = re.search(r"\bWITHOUT\s+ROWID\b", suffix, re.IGNORECASE) is not None
    if not without_rowid and not rowid_alias:
        # SQLite gives every ordinary table a rowid that queries may order by.
        parts.append("rowid BIGINT GENERATED BY DEFAULT AS IDENTITY")
    suffix = re.sub(r"\b(?:WITHOUT\s+ROWID|STRICT)\b|,", "", suffix, flags=re.IGNORECASE).strip()
    head = f"CREATE TABLE {match.group(1) or ''}{match.group(2)}"
    inner = ",\n    ".join(parts)
    return f"{head} (\n    {inner}\n){(' ' + suffix) if suffix.strip(';') else ''}"


def _raise_trigger(match: re.Match[str]) -> list[str]:
    name, when, event, table, message = match.groups()
    function = f"{name}_fn"
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $body$"
        f" BEGIN RAISE EXCEPTION {message} USING ERRCODE = 'restrict_violation'; END $body$",
        f"CREATE TRIGGER {name} {when} {event} ON {table}"
        f" FOR EACH ROW EXECUTE FUNCTION {function}()",
    ]


def ddl(statement: str) -> list[str]:
    """One migration statement as the PostgreSQL statements that do the same."""
    created = _CREATE_TABLE.match(statement)
    if created is not None:
        return [_create_table(statement, created)]
    added = _ADD_COLUMN.match(statement)
    if added is not None:
        table, column, rest = added.groups()
        definition, _alias = _column(f"{column} {rest.strip()}")
        return [f"ALTER TABLE {table} ADD COLUMN {definition}"]
    trigger = _RAISE_TRIGGER.match(statement)
    if trigger is not None:
        return _raise_trigger(trigger)
    if _TRIGGER.match(statement):
        raise UnsupportedSql(
            "only triggers that do nothing but RAISE translate to PostgreSQL; give the "
            f"migration its PostgreSQL text (Migration.postgres): {statement.strip()[:80]}"
        )
    if _PRAGMA.match(statement):
        raise UnsupportedSql(f"PRAGMA has no PostgreSQL meaning: {statement.strip()[:80]}")
    return [query(statement, params=False)]
