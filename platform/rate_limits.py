"""A rate-limit store in PostgreSQL, shared by every worker process of every server.

flask-limiter's default keeps its counts in each process, so with several gunicorn workers
an attacker gets that many times the login attempts. Redis (`REDIS_URL` or
`RATELIMIT_STORAGE_URI`) is the usual shared store; without one, the counts live in
`platform.rate_limits` (fixed windows, one upsert per counted request: only the login
endpoints are limited), so `make run` and a small deployment share them too.
"""

from __future__ import annotations

import random
import time
from datetime import datetime

from limits.storage import Storage
from sqlalchemy import DateTime, Text, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped, mapped_column

from .config import RATE_LIMIT_PG_SCHEME as SCHEME
from .db import PlatformBase

_INCR = text("""
    INSERT INTO platform.rate_limits AS r (key, count, expires_at)
    VALUES (:key, :amount, now() + make_interval(secs => :expiry))
    ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN r.expires_at <= now() THEN :amount ELSE r.count + :amount END,
        expires_at = CASE WHEN r.expires_at <= now() THEN now() + make_interval(secs => :expiry) ELSE r.expires_at END
    RETURNING count
""")


class RateLimitCount(PlatformBase):
    """One fixed window's count for one key (e.g. login attempts from one address)."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(Text, primary_key=True)
    count: Mapped[int] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PostgresStorage(Storage):
    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, engine: Engine | None = None, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        if engine is None:
            raise ValueError(f"{SCHEME}:// needs RATELIMIT_STORAGE_OPTIONS = {{'engine': engine}}")
        self.engine = engine

    @property
    def base_exceptions(self):
        return DBAPIError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        with self.engine.begin() as conn:
            count = conn.execute(_INCR, {"key": key, "amount": amount, "expiry": float(expiry)}).scalar_one()
            if random.random() < 0.01:  # now and then, forget windows long gone
                conn.execute(text("DELETE FROM platform.rate_limits WHERE expires_at < now() - interval '1 hour'"))
        return count

    def get(self, key: str) -> int:
        with self.engine.connect() as conn:
            return (
                conn.execute(
                    text("SELECT count FROM platform.rate_limits WHERE key = :key AND expires_at > now()"), {"key": key}
                ).scalar()
                or 0
            )

    def get_expiry(self, key: str) -> float:
        with self.engine.connect() as conn:
            found = conn.execute(
                text("SELECT extract(epoch FROM expires_at) FROM platform.rate_limits WHERE key = :key"), {"key": key}
            ).scalar()
        return float(found) if found is not None else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except DBAPIError:
            return False

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(text("DELETE FROM platform.rate_limits")).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM platform.rate_limits WHERE key = :key"), {"key": key})
