"""Where a form sends the user back to: only a page of this site."""

from __future__ import annotations

from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def redirect_next(request, default: str = "/"):
    """Redirect to the form's `next` when it is a page of this host (never https://elsewhere or //elsewhere),
    else to `default` (a URL or a URL name)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not target or not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                         require_https=request.is_secure()):
        target = resolve_url(default)
    return redirect(target)
