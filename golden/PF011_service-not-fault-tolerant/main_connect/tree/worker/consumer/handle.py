def handle(order):
    print("order", order["id"])
