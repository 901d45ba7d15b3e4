"""Old home of the viewer's masking; it all lives in ``voicebot.masking`` now (campaign reports use it too).

Kept so older imports still work; code in voicebot/ imports ``voicebot.masking``.
"""

from __future__ import annotations

from voicebot.masking import IDENTIFIER_KEYS, mask_name, mask_text, mask_uri, mask_value

mask_number = mask_text  # the older name

__all__ = ["mask_number", "mask_text", "mask_uri", "mask_value", "mask_name", "IDENTIFIER_KEYS"]
