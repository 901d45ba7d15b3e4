"""The bot process put together: SIP, engines, sessions, the supervisor's phone line and console channel, health.

It sits above the session, SIP, campaigns and the supervisor because it wires them to one another.
"""
