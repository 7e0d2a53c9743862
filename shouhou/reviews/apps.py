from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "shouhou.reviews"
    verbose_name = _("评价与口碑")
