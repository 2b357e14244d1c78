"""Page helpers: the settings table shows every value in full (pandas' HTML cuts at 50 characters)."""
from reprolib import report


def test_config_table_shows_long_values_in_full():
    methods = ["Natural", "GR", "LLR", "AT", "RST(λ=.5)", "RST(λ=1)", "RST(λ=2)", "TRADES(β=1)", "TRADES(β=3)"]
    html = report.config_table({"methods": methods, "eps": 0.1}).to_html()
    assert str(methods).replace("'", "&#x27;") in html or str(methods) in html
    assert "..." not in html
