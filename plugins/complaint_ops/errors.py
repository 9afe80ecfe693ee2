"""Errors an operator can act on. The CLI prints them without a traceback (exit 2); tasks fail with them."""


class UserError(Exception):
    """Base: the message says what is wrong and how to fix it."""


class CalendarRangeError(UserError):
    """A date outside the filled business calendar: never guessed, always an error."""


class PolicyError(UserError):
    """A policy file is invalid; the message names the file and the key."""


class ImportFileError(UserError):
    """An intake file cannot be read at all (missing, wrong encoding, unknown format)."""
