"""The REST commands, one module per TIM service; importing them registers them."""

from im.rest.commands import accounts, blacklist, groups, messages, profiles  # noqa: F401
