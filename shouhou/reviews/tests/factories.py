from __future__ import annotations

import factory

from shouhou.core.testing.factories import ShopFactory
from shouhou.reviews.models import CommunityGroup


class CommunityGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CommunityGroup

    shop = factory.SubFactory(ShopFactory)
    name = factory.Sequence(lambda n: f"宝妈福利群{n}")
    external_id = factory.Sequence(lambda n: f"wxg-{n}")
