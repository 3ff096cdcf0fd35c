"""TIM's server-side REST API (v4): an app's own back end calls
``POST /v4/<service>/<command>?sdkappid=…&identifier=…&usersig=…&random=…&contenttype=json``
signed with an app administrator's UserSig, and gets TIM's answer body
``{"ActionStatus", "ErrorCode", "ErrorInfo", …}`` with TIM's PascalCase fields.

An adapter like the WebSocket's (``docs/architecture.md``): each command parses its body,
calls the services, and writes TIM's fields; what it does reaches online users as the
same events. ``docs/rest-api.md`` lists the commands.
"""
