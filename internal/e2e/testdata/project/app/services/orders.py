def order_total(items):
    total = sum(items)
    return total
