from django.urls import NoReverseMatch, reverse

from shouhou.desk.nav import NAV_ITEMS


def nav_links(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    links = []
    for label, name in NAV_ITEMS:
        try:
            links.append({"label": label, "url": reverse(name)})
        except NoReverseMatch:
            continue
    return {"nav_links": links}
