"""django-ninja names an OpenAPI component after the schema class: two routers with an `EventOut` share
one component, and one of them is documented with the other's shape. Every schema name must be unique."""

from ninja import Schema


def _schema_classes(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _schema_classes(sub)


def test_every_api_schema_name_is_unique_across_the_routers():
    from shouhou.api.api import api  # every router imported

    by_name: dict[str, set[str]] = {}
    for cls in _schema_classes(Schema):
        if cls.__module__.startswith("shouhou."):
            by_name.setdefault(cls.__name__, set()).add(cls.__module__)
    assert len(by_name) > 100
    assert {name: sorted(modules) for name, modules in by_name.items() if len(modules) > 1} == {}
    components = api.get_openapi_schema()["components"]["schemas"]
    assert {"CaseEventOut", "TrackingEventOut", "TrackingIngestOut", "ReviewIngestOut"} <= set(components)
