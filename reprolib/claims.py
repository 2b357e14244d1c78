"""The papers' qualitative claims as checks computed from our results (shown pass/fail in the book)."""
from __future__ import annotations


def claim(claim_id: str, text: str, passed: bool, evidence: str) -> dict:
    """One checked claim: an id (``<artifact>.<what>``), the claim in words, the outcome, the numbers behind it."""
    return {"id": claim_id, "text": text, "passed": bool(passed), "evidence": evidence}

