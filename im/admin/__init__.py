"""The operators' admin: an adapter over im/services like every other entry point.

One module per model; importing them registers them with Django's admin site.
"""

from im.admin import accounts, apps, callbacks, groups, messages

__all__ = ["accounts", "apps", "callbacks", "groups", "messages"]
