"""Bot replies for a Rasa-driven conversation (dialogue.plan = "rasa") over the sample dialplans' intents.

Exported with the plans' examples into the one Rasa project per language the tests train; the replies
only add rules to the project, the intent model is the plan's alone. Custom payloads are call actions.
"""

REPLIES: dict[str, dict] = {
    "en-US": {
        "call_start": "Hello {name}, this is Acme Home. We have a quiet new air purifier for you, interested?",
        "affirm": "Great, I'll text you the details.",
        "not_interested": ["No problem, thanks for your time.", {"action": "hang_up", "reason": "declined"}],
        "ask_price": "It is 1299 yuan, with free delivery.",
        "busy_call_later": ["Sorry to bother you, I'll call back later.",
                            {"action": "schedule_callback", "delay_s": 7200},
                            {"action": "hang_up", "reason": "callback"}],
        "request_human": ["One moment, I'll connect you to a colleague.",
                          {"action": "transfer", "mode": "blind", "reason": "asked for a person"}],
        "stop_calling": ["Understood, we won't call again.", {"action": "tag", "tags": ["do_not_call"]},
                         {"action": "outcome", "grade": "D"}, {"action": "hang_up", "reason": "do_not_call"}],
        "no_input": "Hello, are you still there?",
        "transfer_failed": ["Sorry, nobody is free right now; we will call you back.",
                            {"action": "hang_up", "reason": "no_agent"}],
    },
    "zh-CN": {
        "call_start": "{name}您好，我们新出了一款静音空气净化器，您感兴趣吗？",
        "affirm": "好的，我把详情短信发给您。",
        "not_interested": ["好的，不打扰您了。", {"action": "hang_up", "reason": "declined"}],
        "ask_price": "一千二百九十九元，包邮。",
        "busy_call_later": ["不好意思打扰了，我晚点再打给您。", {"action": "schedule_callback", "delay_s": 7200},
                            {"action": "hang_up", "reason": "callback"}],
        "request_human": ["好的，马上为您转接人工。", {"action": "transfer", "reason": "要求人工"}],
        "stop_calling": ["明白，以后不再打扰您。", {"action": "tag", "tags": ["do_not_call"]},
                         {"action": "hang_up", "reason": "do_not_call"}],
        "no_input": "喂，您还在吗？",
    },
}
