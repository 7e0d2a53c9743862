"""A view's context must never reuse a name the context processors fill for every page: a chat view
passing its own "messages" made base.html print each chat message as a Python dict in the flash area
(issue 15). This reads every render() call in the code and checks its literal context keys."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.test import RequestFactory
from django.utils.module_loading import import_string

import shouhou

RENDERERS = {"render", "render_to_string", "TemplateResponse", "render_to_response"}


def _processor_names() -> set[str]:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    names: set[str] = set()
    for dotted in settings.TEMPLATES[0]["OPTIONS"]["context_processors"]:
        names |= set(import_string(dotted)(request))
    return names


def _literal_context_keys(tree: ast.AST):
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name not in RENDERERS:
            continue
        for arg in [*node.args, *(k.value for k in node.keywords if k.arg == "context")]:
            if isinstance(arg, ast.Dict):
                for key in arg.keys:
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        yield node.lineno, key.value


@pytest.mark.django_db
def test_no_view_passes_a_context_name_that_a_context_processor_owns():
    reserved = _processor_names()
    assert "messages" in reserved  # the check reads the real processors
    root = Path(shouhou.__file__).parent
    clashes = []
    for path in sorted(root.rglob("*.py")):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for line, key in _literal_context_keys(ast.parse(path.read_text(encoding="utf-8"))):
            if key in reserved:
                clashes.append(f"{path.relative_to(root)}:{line} passes {key!r}")
    assert clashes == []
