import pytest

from shouhou.core.testing.asgiserver import asgi_server_run


@pytest.fixture
def asgi_server(transactional_db):
    yield from asgi_server_run()


@pytest.fixture
def contexts(browser):
    """New browser contexts (closed afterwards): the customer on a phone, the agent on a laptop screen."""
    made = []

    def _new(**kwargs):
        kwargs.setdefault("bypass_csp", True)
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **kwargs)
        made.append(context)
        return context

    yield _new
    for context in made:
        context.close()
