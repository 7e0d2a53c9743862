from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from shouhou.accounts.access import current_shop_for_request
from shouhou.commerce.selectors import live_session_summaries, shop_overview


@login_required
def home(request):
    shop = current_shop_for_request(request)
    context = {"shop": shop}
    if shop is not None:
        context["overview"] = shop_overview(shop=shop)
        context["sessions"] = live_session_summaries(shop=shop)
    return render(request, "desk/home.html", context)
