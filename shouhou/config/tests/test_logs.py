"""A request for a host name the site does not serve is one line in the log, not a stack trace (config/logs.py)."""

from __future__ import annotations

import io
import logging

import pytest


@pytest.mark.django_db
def test_a_request_for_another_host_is_one_log_line_without_a_stack_trace(client):
    handler = next(h for h in logging.getLogger().handlers
                   if isinstance(h, logging.StreamHandler) and any(type(f).__name__ == "SecurityOneLine"
                                                                   for f in h.filters))
    stream, handler.stream = handler.stream, io.StringIO()
    try:
        response = client.get("/accounts/login/", HTTP_HOST="scanner.example.net")
        said = handler.stream.getvalue()
    finally:
        handler.stream = stream
    assert response.status_code == 400
    assert said.strip().splitlines() == [
        "Invalid HTTP_HOST header: 'scanner.example.net'. You may need to add 'scanner.example.net' to ALLOWED_HOSTS."]
    assert "Traceback" not in said


def test_other_errors_keep_their_stack_trace():
    from shouhou.config.logs import SecurityOneLine

    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal Server Error", None,
                                   sys.exc_info())
    assert SecurityOneLine().filter(record) and record.exc_info is not None


@pytest.mark.django_db
def test_a_refused_request_is_one_log_line_without_a_stack_trace(client, agent):
    # an agent asks for a shop they do not belong to (a tester's round: 40 lines of trace for each)
    handler = next(h for h in logging.getLogger().handlers
                   if isinstance(h, logging.StreamHandler) and any(type(f).__name__ == "SecurityOneLine"
                                                                   for f in h.filters))
    client.force_login(agent)
    stream, handler.stream = handler.stream, io.StringIO()
    try:
        response = client.get("/desk/im/?shop=999999")
        said = handler.stream.getvalue()
    finally:
        handler.stream = stream
    assert response.status_code == 403
    assert said.strip().splitlines() == ["Forbidden (Permission denied): /desk/im/"]
