from shouhou.accounts.access import current_shop_for_request, shops_for_user


def current_shop(request):
    """`current_shop` and, for the shop switcher, `user_shops` (a form posting `shop_id` to
    accounts:switch_shop changes the session's shop)."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"current_shop": current_shop_for_request(request),
            "user_shops": shops_for_user(request.user).order_by("pk")}
