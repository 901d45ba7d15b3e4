"""Interventions on a live call from the browser: whisper, barge (take over), listen by phone, transfer, hang up.

All go through the console channel the bot already reads (voicebot.supervisor.channel): a typed
instruction for the dialogue ("transfer now", "hang up", or the supervisor's own words, understood
by voicebot.dialogue.instructions exactly as the bot will understand it), or a
request that the bot call the supervisor's phone into the call (barge = take over: the supervisor
talks with the customer and the bot leaves; phone_listen = listen on the desk phone).
Supervisors only, CSRF-checked, and every action is audited before it is sent.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from voicebot.dialogue.instructions import Order, understand
from voicebot.store.events import LIVE_CALLS
from voicebot.supervisor import i18n
from voicebot.supervisor.auth import ConsoleSession
from voicebot.supervisor.channel import request_supervisor_call, send_instruction
from voicebot.supervisor.console import Console, locale_for, require_supervisor_csrf
from voicebot.supervisor.errors import ApiError, Invalid

MAX_WHISPER = 500
# What each button sends to the call: an instruction text for the dialogue, or a phone mode.
INSTRUCTIONS = {"transfer": "transfer now", "hang_up": "hang up"}
# barge: the bot leaves and the supervisor talks with the customer (a take-over); phone_listen: the
# supervisor's phone rings in listen mode and DTMF 2/3 switches to whisper/barge from there.
PHONE_MODES = {"barge": "barge", "phone_listen": "listen"}


class Whisper(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_WHISPER)
    # A typed order that ends or hands over the call runs only once the supervisor confirmed it in the
    # page: a slip of the keyboard must not cost the customer (the buttons confirm the same way).
    confirmed: bool = False


CONFIRM_FIRST = (Order.HANG_UP, Order.TRANSFER)


def register(app: FastAPI, console: Console) -> None:
    def live_or_404(call_id: str) -> None:
        if len(call_id) > 200 or not console.client.sismember(LIVE_CALLS, call_id):
            raise ApiError(404, "no_live_call")

    @app.post("/api/calls/{call_id}/whisper", response_model=None)
    async def whisper(call_id: str, body: Whisper, request: Request,
                      session: ConsoleSession = Depends(require_supervisor_csrf)) -> Any:
        text = body.text.strip()
        if not text:
            raise ApiError(400, "whisper_empty")
        await asyncio.to_thread(live_or_404, call_id)
        # The bot understands the text with this same table (Dialogue.on_instruction): one it would not
        # follow is answered here and never reaches the call.
        order = understand(text)
        t = i18n.translator(locale_for(request, session))
        if order is None:
            await asyncio.to_thread(console.audit, request, "whisper_not_understood", session.user, call_id, text=text)
            return JSONResponse({"detail": t("whisper.not_understood"), "not_understood": True}, status_code=422)
        if order in CONFIRM_FIRST and not body.confirmed:
            label = t(f"order.{order}")
            return JSONResponse({"detail": t("whisper.confirm", order=label, text=text), "needs_confirmation": True,
                                 "order": str(order), "order_label": label}, status_code=409)
        await asyncio.to_thread(console.audit, request, "whisper", session.user, call_id, text=text, order=str(order))
        await asyncio.to_thread(send_instruction, console.client, call_id, text)
        return {"ok": True, "sent": text, "order": str(order), "order_label": t(f"order.{order}")}

    @app.post("/api/calls/{call_id}/{action}")
    async def act(call_id: str, action: str, request: Request,
                  session: ConsoleSession = Depends(require_supervisor_csrf)) -> dict[str, Any]:
        if action not in INSTRUCTIONS and action not in PHONE_MODES:
            raise ApiError(404, "no_call_action", action=action[:64])
        await asyncio.to_thread(live_or_404, call_id)
        if action in INSTRUCTIONS:
            text = INSTRUCTIONS[action]
            await asyncio.to_thread(console.audit, request, action, session.user, call_id)
            await asyncio.to_thread(send_instruction, console.client, call_id, text)
            return {"ok": True, "sent": text}
        user = console.settings.supervisor.users.get(session.user)
        phone = user.phone if user else ""
        if not phone:
            raise ApiError(409, "no_phone", user=session.user)
        await asyncio.to_thread(console.audit, request, action, session.user, call_id, phone=phone)
        try:
            await asyncio.to_thread(request_supervisor_call, console.client, call_id, phone, PHONE_MODES[action])
        except Invalid as exc:
            raise ApiError.of(400, exc) from None
        return {"ok": True, "sent": PHONE_MODES[action], "phone": phone}
