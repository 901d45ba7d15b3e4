"""A small dialplan-like intent set (outbound marketing call), en + zh, with held-out utterances.

Used for the client/exporter tests that do not depend on the dialogue helper's plans.
"""

EXAMPLES: dict[str, dict[str, list[str]]] = {
    "en-US": {
        "affirm": ["yes", "yeah sure", "okay that sounds good", "sure go ahead", "yes please", "that's right",
                   "alright", "of course", "definitely", "yep I'm interested"],
        "deny": ["no", "no thanks", "not interested", "I don't need it", "nope", "no I'm fine",
                 "not really", "I'm not interested at all", "no thank you", "we don't want that"],
        "ask_price": ["how much is it", "what does it cost", "what's the price", "is it expensive",
                      "how much do I pay per month", "tell me the price", "what are the fees", "how much",
                      "what is the monthly cost", "price please"],
        "busy": ["I'm busy right now", "call me later", "I'm driving", "can you call back tomorrow",
                 "not a good time", "I'm in a meeting", "call me another time", "I have no time now",
                 "I'm at work", "try again this evening"],
        "human_agent": ["let me talk to a person", "I want a human", "transfer me to an agent",
                        "can I speak to someone real", "get me your manager", "real person please",
                        "connect me to customer service", "are you a robot", "I want to talk to a human being",
                        "put a person on the line"],
        "stop_calling": ["stop calling me", "remove my number", "don't call me again", "take me off your list",
                         "unsubscribe", "never call this number again", "how did you get my number",
                         "put me on the do not call list", "stop bothering me", "delete my phone number"],
    },
    "zh-CN": {
        "affirm": ["好的", "可以", "行", "没问题", "好啊", "是的", "对", "可以的你说吧", "感兴趣", "嗯好"],
        "deny": ["不需要", "不用了", "不要", "没兴趣", "不感兴趣", "不用谢谢", "我不需要这个", "算了吧",
                 "不考虑", "暂时不需要"],
        "ask_price": ["多少钱", "价格是多少", "怎么收费", "贵不贵", "一个月多少钱", "费用多少", "有什么优惠",
                      "收费标准是什么", "要花多少钱", "价钱怎么样"],
        "busy": ["我现在很忙", "晚点再打", "我在开车", "明天再打给我", "现在不方便", "我在开会",
                 "等会儿再说", "没时间", "我在上班", "晚上再联系"],
        "human_agent": ["转人工", "我要找人工客服", "让真人跟我说", "你是机器人吗", "找你们经理",
                        "人工服务", "帮我转接客服", "我想跟真人聊", "接人工", "换个人来说"],
        "stop_calling": ["别再打了", "不要再给我打电话", "把我的号码删掉", "以后别打了", "你们怎么有我的号码",
                         "拉黑你们", "再打我就投诉", "取消订阅", "别骚扰我", "不要再联系我"],
    },
}

# Utterances not in EXAMPLES, with the intent a person would assign.
HELDOUT: dict[str, list[tuple[str, str]]] = {
    "en-US": [
        ("yes that's fine", "affirm"), ("sure why not", "affirm"), ("okay", "affirm"),
        ("no I don't want it", "deny"), ("not interested thanks", "deny"), ("no need", "deny"),
        ("how much does it cost", "ask_price"), ("what's the monthly price", "ask_price"),
        ("I'm busy call me later", "busy"), ("can you call back tonight", "busy"),
        ("I want to speak to a human", "human_agent"), ("transfer me to a person", "human_agent"),
        ("stop calling this number", "stop_calling"), ("remove me from your list", "stop_calling"),
    ],
    "zh-CN": [
        ("好的没问题", "affirm"), ("可以啊", "affirm"), ("行啊", "affirm"),
        ("不需要了谢谢", "deny"), ("没有兴趣", "deny"), ("不要了", "deny"),
        ("这个多少钱", "ask_price"), ("收费多少", "ask_price"),
        ("我在忙晚点打", "busy"), ("现在在开车不方便", "busy"),
        ("给我转人工", "human_agent"), ("我要人工客服", "human_agent"),
        ("别再打电话了", "stop_calling"), ("删掉我的号码", "stop_calling"),
    ],
}

# Replies for a Rasa-driven conversation (dialogue.plan = "rasa"); custom payloads are call actions.
REPLIES: dict[str, dict] = {
    "en-US": {
        "call_start": "Hello {name}, this is Acme Broadband. We have a faster plan for you, interested?",
        "affirm": "Great, I'll text you the details.",
        "deny": ["No problem, thanks for your time.", {"action": "hang_up", "reason": "declined"}],
        "ask_price": "It is 99 yuan a month, the first month free.",
        "busy": ["Sorry to bother you, I'll call back later.", {"action": "schedule_callback", "delay_s": 7200},
                 {"action": "hang_up", "reason": "callback"}],
        "human_agent": ["One moment, I'll connect you to a colleague.",
                        {"action": "transfer", "mode": "blind", "reason": "asked for a person"}],
        "stop_calling": ["Understood, we won't call again.", {"action": "tag", "tags": ["do_not_call"]},
                         {"action": "outcome", "grade": "D"}, {"action": "hang_up", "reason": "do_not_call"}],
        "no_input": "Hello, are you still there?",
        "transfer_failed": ["Sorry, nobody is free right now; we will call you back.",
                            {"action": "hang_up", "reason": "no_agent"}],
    },
    "zh-CN": {
        "call_start": "{name}您好，我是宽带客服，我们有一个提速优惠，您感兴趣吗？",
        "affirm": "好的，我把详情短信发给您。",
        "deny": ["好的，不打扰您了。", {"action": "hang_up", "reason": "declined"}],
        "ask_price": "每月九十九元，首月免费。",
        "busy": ["不好意思打扰了，我晚点再打给您。", {"action": "schedule_callback", "delay_s": 7200},
                 {"action": "hang_up", "reason": "callback"}],
        "human_agent": ["好的，马上为您转接人工。", {"action": "transfer", "reason": "要求人工"}],
        "stop_calling": ["明白，以后不再打扰您。", {"action": "tag", "tags": ["do_not_call"]},
                         {"action": "hang_up", "reason": "do_not_call"}],
        "no_input": "喂，您还在吗？",
    },
}
