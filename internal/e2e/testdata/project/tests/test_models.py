from app.models import Order, total


def test_order_total():
    assert total(Order([1, 2])) == 3
