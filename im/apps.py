from django.apps import AppConfig


class ImConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "im"
    verbose_name = "Hutong IM"

    def ready(self) -> None:
        # Every process encodes pushes for every protocol it may serve, whoever sends
        # them (a consumer, the admin, a command): register each adapter's encoder.
        from im import events, serializers

        events.register_encoder(serializers.PROTOCOL, serializers.encode_event)
