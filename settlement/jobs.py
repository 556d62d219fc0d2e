"""Interim: compute_period via the pure rules (the polars jobs replace this)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from domain.documents import Document
from domain.settlement import build_period_documents
from settlement.facts import load_facts

__all__ = ["PeriodComputation", "compute_period"]


@dataclass(frozen=True)
class PeriodComputation:
    period: str
    documents: tuple[Document, ...]


def compute_period(export_dir: Path) -> PeriodComputation:
    facts = load_facts(Path(export_dir))
    return PeriodComputation(facts.period, build_period_documents(facts))
