from fillrate.cli import main
from fillrate.catalog.models import Product


def test_products(db, tmp_path, capsys):
    f = tmp_path / "p.csv"
    f.write_text("sku,name,list_price\nA-1,Apple,1.50\nB-2,Banana,2\n")
    assert main(["import", "products", str(f)]) == 0
    print(capsys.readouterr())
    assert Product.objects.count() == 2
    f.write_text("sku,name,list_price\nA-1,Apple,1.50\nB-2,Banana,3\nC-3,Cherry,x\n")
    assert main(["import", "products", str(f)]) == 2
    print(capsys.readouterr())
    assert main(["export", "products"]) == 0
    print(capsys.readouterr())
