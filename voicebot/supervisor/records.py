"""Old home of the record checks; they live in ``voicebot.store.records`` (the store's event sink uses them too)."""

from __future__ import annotations

from voicebot.store.records import *  # noqa: F403 - the whole module, for older imports
from voicebot.store.records import BadRecord, clean_event, clean_live_row  # noqa: F401 - named for readers
