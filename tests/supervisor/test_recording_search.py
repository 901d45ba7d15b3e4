"""Recording search over the store's metadata: each filter, the transcript match (masked for viewers), sorting."""

from __future__ import annotations

from voicebot.supervisor.search import SearchQuery, search


def _entry(call_id: str, started: float, duration, **kw) -> dict:
    return {"day": "2026-03-03", "call_id": call_id, "started": started, "duration_s": duration,
            "variant": kw.get("variant", "A"), "escalation": kw.get("escalation", ""),
            "emotions": kw.get("emotions", []), "outcome": {"intents": kw.get("intents", [])}}


class FakeStore:
    def __init__(self) -> None:
        self.entries = [
            _entry("c1", 100, 30.0, intents=["ask_price", 3, None], emotions=[{"label": "angry"}, "calm"],
                   escalation="anger"),
            _entry("c2", 300, 90, variant="B", intents=["affirm"]),
            _entry("c3", 200, None, emotions=["calm", {"x": 1}]),
        ]
        self.transcripts = {"c1": [{"text": "my number is 13812345678"}, {"text": "too EXPENSIVE"}],
                            "c2": [{"text": "sounds good"}], "c3": []}
        self.queries = []

    def search(self, base):
        self.queries.append(base)
        return list(self.entries)

    def transcript(self, day, call_id):
        return self.transcripts[call_id]


def _ids(q: SearchQuery, include_numbers: bool = True, flagged=lambda day, call_id: call_id == "c2") -> list[str]:
    return [e["call_id"] for e in search(FakeStore(), q, include_numbers, flagged)]


def test_filters():
    assert _ids(SearchQuery()) == ["c2", "c3", "c1"]  # newest first
    assert _ids(SearchQuery(variant="B")) == ["c2"]
    assert _ids(SearchQuery(intent="3")) == ["c1"]
    assert _ids(SearchQuery(emotion="calm")) == ["c3", "c1"]
    assert _ids(SearchQuery(escalated="yes")) == ["c1"] and _ids(SearchQuery(escalated="no")) == ["c2", "c3"]
    assert _ids(SearchQuery(min_s=40)) == ["c2"] and _ids(SearchQuery(max_s=40)) == ["c1"]  # unknown length: neither
    assert _ids(SearchQuery(flagged="yes")) == ["c2"]


def test_sorting_limit_and_the_rows():
    assert _ids(SearchQuery(sort="oldest")) == ["c1", "c3", "c2"]
    assert _ids(SearchQuery(sort="longest")) == ["c2", "c1", "c3"]
    assert _ids(SearchQuery(sort="shortest", limit=2)) == ["c3", "c1"]
    assert _ids(SearchQuery(sort="bogus")) == ["c2", "c3", "c1"]
    store = FakeStore()
    [row] = search(store, SearchQuery(variant="B", date_from="2026-03-01", customer="王", outcome="done", grade="A",
                                      segment="vip"), False, lambda day, call_id: True)
    assert row["flagged"] is True and row["match"] == "" and row["intents"] == ["affirm"]
    base = store.queries[0]
    assert (base.date_from, base.customer, base.outcome, base.grade, base.segment) == ("2026-03-01", "王", "done", "A", "vip")


def test_words_said_and_masking():
    store = FakeStore()
    [row] = search(store, SearchQuery(text="  Expensive "), True, lambda d, c: False)
    assert row["call_id"] == "c1" and row["match"] == "too EXPENSIVE"
    assert [e["match"] for e in search(store, SearchQuery(text="13812345678"), True, lambda d, c: False)] == [
        "my number is 13812345678"]
    assert search(store, SearchQuery(text="13812345678"), False, lambda d, c: False) == []  # viewers search masked text
