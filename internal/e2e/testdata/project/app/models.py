class Order:
    def __init__(self, items):
        self.items = items


def total(order):
    return sum(order.items)
