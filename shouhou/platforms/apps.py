from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformsConfig(AppConfig):
    name = "shouhou.platforms"
    label = "platforms"
    verbose_name = _("平台对接")

    def ready(self) -> None:
        # A decision taken in shouhou on a platform's request goes back to the platform (outbox).
        from shouhou.cases.services import decision_hooks
        from shouhou.platforms.services import case_decided

        if case_decided not in decision_hooks:
            decision_hooks.append(case_decided)
