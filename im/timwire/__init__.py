"""TIM's wire protocol: the WebSocket adapter that Tencent's own ``tim-js-sdk`` (2.27.6)
talks to when a page sets ``proxyServer`` to ``wss://<host>/tim`` (docs/tim-sdk.md).

- ``codec``: frames (``{head, body}`` JSON; binary on ``/tim/binfo``, text on ``/tim/info``).
- ``consumer``: the framing adapter over the same ``IMSession`` as ``/ws/im/``; login,
  re-login by A2 ticket, heartbeats, logout and kicks.
- ``commands``: one module per TIM service, registered by servcmd (``commands.command``).
- ``serializers``: models and results in TIM's key spellings.
- ``pushes``: the push encoder (``events.register_encoder``), one function per event.
"""

PROTOCOL = "timwire"
