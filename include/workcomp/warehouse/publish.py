"""Write-audit-publish (写入—校验—发布) for the marts and audit schemas.

The production build (Airflow's warehouse_build) writes the marts and audit models into
``marts_build`` and ``audit_build`` (dbt var ``write_audit_publish``); BI tools and audit staff
read ``marts`` and ``audit``. After the quality suites have validated the build schemas, each
relation whose critical suites passed is moved into its published schema in one transaction:
readers see either the previous tables or the new ones, never half a build. A relation whose
critical suite failed stays in the build schema and the published copy from the last good
build stays where it is; so does a view that reads a held-back relation.

Moving a table (``ALTER TABLE ... SET SCHEMA``) keeps its indexes, comments and grants, and
costs no copy whatever the table's size.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

# Published schema -> where the production build writes it. The same list is the dbt var
# `published_schemas` that generate_schema_name reads.
PUBLISHED_SCHEMAS = ("marts", "audit")
BUILD_SUFFIX = "_build"


def build_schema(schema: str) -> str:
    """Where a published schema's relations are written before they are validated."""
    return schema + BUILD_SUFFIX if schema in PUBLISHED_SCHEMAS else schema


@dataclass
class PublishResult:
    published: list[str] = field(default_factory=list)  # "marts.fct_injury_rates", ...
    held_back: dict[str, str] = field(default_factory=dict)  # relation -> why


class PublishError(RuntimeError):
    """The published schemas could not be swapped; nothing was changed."""


_RELATIONS = """
    select n.nspname, c.relname, c.relkind
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = any(%s) and c.relkind in ('r', 'p', 'v', 'm')
"""

# Which views (and materialized views) read which relation, within the build schemas.
_VIEW_DEPENDENCIES = """
    select distinct vn.nspname, v.relname, tn.nspname, t.relname
    from pg_depend d
    join pg_rewrite r on r.oid = d.objid
    join pg_class v on v.oid = r.ev_class
    join pg_namespace vn on vn.oid = v.relnamespace
    join pg_class t on t.oid = d.refobjid
    join pg_namespace tn on tn.oid = t.relnamespace
    where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass
      and v.oid <> t.oid and vn.nspname = any(%s)
"""

# Every view that reads the given relations, directly or through other views.
_DEPENDENTS = """
    with recursive reader(oid) as (
        select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname || '.' || c.relname = any(%s)
      union
        select v.oid from reader
        join pg_depend d on d.refobjid = reader.oid and d.classid = 'pg_rewrite'::regclass
                        and d.refclassid = 'pg_class'::regclass
        join pg_rewrite r on r.oid = d.objid
        join pg_class v on v.oid = r.ev_class
        where v.oid <> reader.oid
    )
    select n.nspname || '.' || c.relname
    from reader join pg_class c on c.oid = reader.oid join pg_namespace n on n.oid = c.relnamespace
"""

_KEYWORD = {"r": "table", "p": "table", "v": "view", "m": "materialized view"}


def _published_name(schema: str, name: str) -> str:
    return f"{schema.removesuffix(BUILD_SUFFIX)}.{name}"


def publish(conn, held_back: dict[str, str] | None = None) -> PublishResult:
    """Move every validated relation from the build schemas into the published ones.

    ``held_back`` names published relations ("marts.fct_x") whose critical suites failed,
    with the reason; they and the views reading them stay unpublished.
    """
    result = PublishResult(held_back=dict(held_back or {}))
    build_schemas = [build_schema(s) for s in PUBLISHED_SCHEMAS]
    with conn.transaction():
        built = {
            _published_name(schema, name): (schema, name, kind)
            for schema, name, kind in conn.execute(_RELATIONS, [build_schemas]).fetchall()
        }
        reads: dict[str, set[str]] = {}
        for vs, vn, ts, tn in conn.execute(_VIEW_DEPENDENCIES, [build_schemas]).fetchall():
            reads.setdefault(_published_name(vs, vn), set()).add(_published_name(ts, tn))
        changed = True
        while changed:  # a view over a view over a held-back table is held back too
            changed = False
            for view, sources in reads.items():
                blocked = sorted(s for s in sources if s in result.held_back)
                if view in built and view not in result.held_back and blocked:
                    result.held_back[view] = "reads " + ", ".join(blocked)
                    changed = True
        to_publish = sorted(
            (r for r in built if r not in result.held_back),
            key=lambda r: built[r][2] == "r",  # views first: they may read the old tables
        )
        published_now = {
            f"{s}.{n}" for s, n, _ in conn.execute(_RELATIONS, [list(PUBLISHED_SCHEMAS)])
        }
        replaced = [r for r in to_publish if r in published_now]
        outside = sorted(
            r for (r,) in conn.execute(_DEPENDENTS, [replaced]).fetchall() if r not in replaced
        )
        if outside:
            raise PublishError(
                f"cannot replace published relations: {', '.join(outside)} read them and "
                "would be dropped (views made by hand?); nothing was published"
            )
        for relation in replaced:  # views over them are replaced too, so cascade is safe
            conn.execute(f"drop {_KEYWORD[kind_of(conn, relation)]} if exists "
                         f"{_quoted(relation)} cascade")  # fmt: skip
        for relation in to_publish:
            schema, name, kind = built[relation]
            target = relation.split(".", 1)[0]
            conn.execute(f'alter {_KEYWORD[kind]} "{schema}"."{name}" set schema "{target}"')
            result.published.append(relation)
    for relation, why in sorted(result.held_back.items()):
        log.error("not published: %s (%s); the last good copy stays in place", relation, why)
    log.info("published %d relations", len(result.published))
    return result


def kind_of(conn, relation: str) -> str:
    """relkind of a relation; 'v' when a cascade already dropped it (drop ... if exists)."""
    row = conn.execute(
        "select relkind from pg_class where oid = to_regclass(%s)", [_quoted(relation)]
    ).fetchone()
    return row[0] if row else "v"


def _quoted(relation: str) -> str:
    schema, name = relation.split(".", 1)
    return f'"{schema}"."{name}"'
