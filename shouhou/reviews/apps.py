from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "shouhou.reviews"
    verbose_name = "评价与口碑"
