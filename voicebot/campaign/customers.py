"""Customers in Redis: one hash per customer (``voicebot:customer:<id>``), id derived from E.164."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import redis
from tqdm import tqdm

from voicebot.campaign.values import LIST_SEP
from voicebot.store import keys

_LIST_FIELDS = ("tags", "categories")
BATCH = 1000


def encode(record: dict[str, Any]) -> dict[str, str]:
    out = {}
    for name, value in record.items():
        if isinstance(value, list):
            out[name] = LIST_SEP.join(value)
        elif isinstance(value, bool):
            out[name] = "1" if value else "0"
        else:
            out[name] = str(value)
    return out


def decode(stored: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = dict(stored)
    for name in _LIST_FIELDS:
        out[name] = [v for v in stored.get(name, "").split(LIST_SEP) if v]
    return out


class CustomerStore:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def upsert_many(self, records: list[dict[str, Any]], progress: bool = False) -> tuple[int, int]:
        """Merge records (each with an E.164 ``phone``) into storage; returns (new, updated)."""
        new = updated = 0
        bar = tqdm(total=len(records), desc="storing customers", unit="cust", disable=not progress)
        for start in range(0, len(records), BATCH):
            batch = records[start:start + BATCH]
            ids = [keys.customer_id(r["phone"]) for r in batch]
            pipe = self.client.pipeline(transaction=False)
            for cid in ids:
                pipe.hmget(keys.customer(cid), ["phone", *_LIST_FIELDS])
            existing = pipe.execute()
            pipe = self.client.pipeline(transaction=False)
            for cid, record, old in zip(ids, batch, existing):
                fields = dict(record)
                for name, old_value in zip(_LIST_FIELDS, old[1:]):
                    if old_value and name in fields:
                        fields[name] = sorted(set(old_value.split(LIST_SEP)) | set(fields[name]))
                if old[0] is None:
                    new += 1
                    fields["imported_at"] = f"{time.time():.0f}"
                else:
                    updated += 1
                fields["id"] = cid
                pipe.hset(keys.customer(cid), mapping=encode(fields))
                pipe.sadd(keys.CUSTOMERS, cid)
            pipe.execute()
            bar.update(len(batch))
        bar.close()
        return new, updated

    def get(self, cid: str) -> dict[str, Any] | None:
        stored = self.client.hgetall(keys.customer(cid))
        return decode(stored) if stored else None

    def get_many(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        ids = list(ids)
        out = []
        for start in range(0, len(ids), BATCH):
            pipe = self.client.pipeline(transaction=False)
            for cid in ids[start:start + BATCH]:
                pipe.hgetall(keys.customer(cid))
            out.extend(decode(s) for s in pipe.execute() if s)
        return out

    def count(self) -> int:
        return int(self.client.scard(keys.CUSTOMERS))


from voicebot.campaign.dnc import DoNotCallList  # noqa: E402,F401  (its home is dnc.py; old import path kept)
