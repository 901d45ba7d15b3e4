"""Old home of the dial identity; it lives in ``voicebot.dial_identity`` (the settings check staff numbers with it)."""

from __future__ import annotations

from voicebot.dial_identity import *  # noqa: F403 - the whole module, for older imports
from voicebot.dial_identity import DialIdentity, StaffList, account_key, customer_number, dial_identity  # noqa: F401
