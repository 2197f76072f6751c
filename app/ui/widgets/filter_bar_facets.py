"""What the filter bar says about its structured conditions: which are set (each named as
the bar shows it, with the filter as it would be without it), how many rows each hides,
and how a price range treats jobs of the other kind. Plain functions, no widgets."""

from __future__ import annotations

import html
from collections.abc import Mapping

from app.domain.filters import FilterSpec

__all__ = ["facet_note", "facets_of"]


def facets_of(spec: FilterSpec) -> list[tuple[str, FilterSpec]]:
    """Each structured condition set in `spec` (the text query aside), named as the bar
    shows it, with `spec` as it would be without that condition."""
    empty = FilterSpec()
    groups: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("Platform", ("platforms",)),
        ("Kind", ("kinds",)),
        ("Budget", ("budget_min", "budget_max")),
        ("Hourly", ("hourly_min", "hourly_max")),
        ("Client spent", ("client_spend_min",)),
        ("Hire rate", ("hire_rate_min",)),
        ("Payment verified", ("payment_verified",)),
        ("Countries", ("countries_include",)),
        ("Not from", ("countries_exclude",)),
        ("Match", ("min_match_score",)),
        ("Posted", ("posted_within",)),
        ("Connects", ("connects_max",)),
        ("Proposals", ("proposals_max",)),
        ("Client hires", ("client_hires_min",)),
        ("Avg rate paid", ("client_avg_rate_min",)),
        ("State", ("states",)),
    )
    facets: list[tuple[str, FilterSpec]] = []
    for name, fields in groups:
        if all(getattr(spec, f) == getattr(empty, f) for f in fields):
            continue
        without = spec.model_copy(update={f: getattr(empty, f) for f in fields})
        facets.append((name, without))
    return facets


def facet_note(
    spec: FilterSpec, hidden: Mapping[str, int] | None, other_kind: Mapping[str, int] | None
) -> str:
    """The bar's note (rich text; empty when there is nothing to say): how many rows each
    condition hides, and that a budget range lets hourly jobs through (an hourly range,
    fixed-price ones) with a link that keeps one kind only."""
    names = {name for name, _ in facets_of(spec)}
    parts: list[str] = []
    if hidden is not None:
        shown = [(n, c) for n, c in hidden.items() if n in names and c > 0]
        if shown:
            parts.append(
                "Hidden by " + ", ".join(f"{html.escape(n)}: {c:,}" for n, c in shown) + "."
            )
    other = other_kind or {}
    if not spec.kinds and (spec.budget_min is not None or spec.budget_max is not None):
        count = other.get("Budget")
        kept = f"{count:,} hourly jobs pass it" if count is not None else "hourly jobs pass it"
        parts.append(
            f"The budget range applies to fixed-price jobs; {kept}. "
            '<a href="kind:fixed">Fixed only</a>'
        )
    if not spec.kinds and (spec.hourly_min is not None or spec.hourly_max is not None):
        count = other.get("Hourly")
        kept = (
            f"{count:,} fixed-price jobs pass it"
            if count is not None
            else "fixed-price jobs pass it"
        )
        parts.append(
            f"The hourly range applies to hourly jobs; {kept}. "
            '<a href="kind:hourly">Hourly only</a>'
        )
    return " ".join(parts)
