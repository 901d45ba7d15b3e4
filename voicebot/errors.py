"""Errors that reach a user: each names the thing that is wrong and what to do."""


class VoicebotError(Exception):
    """Base for errors shown to the user as one clear line."""


class ModelError(VoicebotError):
    """A model is missing, incomplete or corrupt."""


class SipError(VoicebotError):
    """SIP stack failure: transport bind, registration, call set-up."""
