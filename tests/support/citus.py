"""What the same tests expect differently on Citus (the `-m citus` tier), each with its reason."""

from __future__ import annotations

from wijknet.platform.tenancy.citus import is_citus


def refused_at_commit(engine, message: str) -> str:
    """The error text of a deferred check (the ledger's balance, the asset shares' total) that
    refuses a transaction at its commit. On Citus the check runs on the worker at the
    worker's commit, and Citus reports only that the commit was refused, not the trigger's
    words: the rule holds (nothing is written), its message is lost (docs/scale-out.md)."""
    return "could not commit transaction for shard" if is_citus(engine) else message
