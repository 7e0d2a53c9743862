import pytest

from shouhou.core.testing.asgiserver import asgi_server_run
from shouhou.core.testing.factories import CustomerFactory, OrderFactory
from shouhou.inbox.channels import webchat


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


@pytest.fixture
def chat(shop):
    """A customer's web chat about an order, the bot off (messages wait for an agent)."""
    customer = CustomerFactory(shop=shop, name="李女士", phone="13812345678")
    order = OrderFactory(shop=shop, customer=customer, order_no="XL20261101001")
    conversation = webchat.webchat_start(order=order)
    conversation.bot_active = False
    conversation.save(update_fields=["bot_active"])
    return conversation
