from fillrate.inventory.selectors import product_with_stock


def test_stock_put_through_the_ledger_shows_on_the_product(stock):
    product = stock(quantity=7)
    figures = product_with_stock(product.sku)
    assert (figures.on_hand, figures.allocated, figures.available) == (7, 0, 7)
