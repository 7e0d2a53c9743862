"""Visitors never see a stack trace or Django's bare English pages: 404, 403 and 500 are the product's own
pages, in Chinese (403 names what the role may not do)."""

import pytest
from django.test import RequestFactory
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


def test_unknown_page_is_the_products_404(client, settings):
    settings.DEBUG = False
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'data-testid="error-404"' in html and "页面不存在" in html and "Traceback" not in html


def test_refused_page_says_why(agent_client, settings):
    settings.DEBUG = False
    response = agent_client.get("/accounts/audit/")
    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-testid="error-403"' in html and "无权访问" in html and "当前角色无权执行：查看审计日志" in html
    assert "audit.view" not in html  # the action's name, not its internal code (round seven)


def test_the_refused_page_says_why_in_english_too(agent_client, settings):
    settings.DEBUG = False
    agent_client.cookies["django_language"] = "en"
    response = agent_client.get("/accounts/audit/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "Your role may not: view the audit log" in html and "当前角色" not in html and "audit.view" not in html


def test_every_action_has_a_name_in_both_languages():
    from django.utils import translation

    from shouhou.accounts import permissions

    actions = {value for name, value in vars(permissions).items() if name.isupper() and isinstance(value, str)}
    assert actions <= set(permissions.ACTION_LABELS)
    with translation.override("en"):
        english = {action: translation.gettext(label) for action, label in permissions.ACTION_LABELS.items()}
    assert [action for action, label in english.items() if label == permissions.ACTION_LABELS[action]] == []


def test_server_error_page_renders_without_a_request_context():
    response = server_error(RequestFactory().get("/boom/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert 'data-testid="error-500"' in html and "服务暂时出错" in html and "Traceback" not in html
