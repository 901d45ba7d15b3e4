"""Old home of the Redis key names; they live in ``voicebot.store.keys`` (the store and the dialogue write them too)."""

from __future__ import annotations

from voicebot.store.keys import *  # noqa: F403 - the whole table, for older imports
from voicebot.store.keys import CampaignKeys, customer_id  # noqa: F401 - named for readers and type checkers
