"""Unit costs and currency for KPIs: configured values, else labelled estimates per currency.

Estimates (used only when ``campaign.cost_per_minute`` / ``cost_per_agent_hour`` are unset):
CNY: outbound line about 0.10 元/min (typical carrier outbound rates 0.06-0.15 元/min); an agent
hour about 35 元 (a 6,000 元/month agent with social insurance over 22 days x 8 h).
USD: 0.02 $/min and 25 $/h. The report marks them "estimate, not configured".
"""

from __future__ import annotations

from dataclasses import dataclass

from voicebot.config import CampaignConfig
from voicebot.locales import default_currency

ESTIMATES: dict[str, tuple[float, float]] = {"CNY": (0.10, 35.0), "USD": (0.02, 25.0), "EUR": (0.02, 25.0)}
SYMBOL = {"CNY": "¥", "USD": "$", "EUR": "€"}


@dataclass(frozen=True)
class UnitCosts:
    currency: str
    per_minute: float
    agent_hour: float
    per_minute_estimated: bool
    agent_hour_estimated: bool

    @property
    def estimated(self) -> bool:
        return self.per_minute_estimated or self.agent_hour_estimated

    @property
    def symbol(self) -> str:
        return SYMBOL.get(self.currency, self.currency + " ")


def unit_costs(cfg: CampaignConfig, locale: str = "zh-CN") -> UnitCosts:
    currency = (cfg.currency or default_currency(locale)).upper()
    per_minute, agent_hour = ESTIMATES.get(currency, ESTIMATES["CNY"])
    return UnitCosts(currency,
                     cfg.cost_per_minute if cfg.cost_per_minute is not None else per_minute,
                     cfg.cost_per_agent_hour if cfg.cost_per_agent_hour is not None else agent_hour,
                     cfg.cost_per_minute is None, cfg.cost_per_agent_hour is None)
