from django.apps import AppConfig


class ImConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "im"
    verbose_name = "Hutong IM"

    def ready(self) -> None:
        # Every process encodes pushes for every protocol it may serve, whoever sends
        # them (a consumer, the admin, a command): register each adapter's encoder.
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_out
        from django.db.models.signals import post_migrate, post_save

        from im import events, hooks, origins, roles, serializers  # noqa: F401 (origins: its check)
        from im.rest.callbacks import Codec
        from im.services import site
        from im.timwire import PROTOCOL as TIMWIRE
        from im.timwire import commands, pushes

        events.register_encoder(serializers.PROTOCOL, serializers.encode_event)
        # TIM's pushes are registered by its modules (some beside their commands): load
        # them all here, since any process (an admin action, a command) encodes events.
        commands.load()
        events.register_encoder(TIMWIRE, pushes.encode_event)
        # Callback bodies are the REST adapter's format.
        hooks.register_codec(Codec())
        post_save.connect(hooks.on_app_saved, sender="im.App", dispatch_uid="im-app-callbacks")
        # After the permissions themselves: Django's own receiver was connected first.
        post_migrate.connect(roles.ensure_roles, sender=self)
        # Every site user has its IM account from the moment it exists.
        post_save.connect(
            site.on_user_saved, sender=get_user_model(), dispatch_uid="im-site-account"
        )
        # Signing out of the chat site ends the IM sessions that browser session opened.
        user_logged_out.connect(site.on_user_logged_out, dispatch_uid="im-site-sign-out")
