"""Names from the code (`awaiting_backorder`, `BackorderLinesCancelled`,
`customer_requested`, `max_backorder_age_days`) as the words pages show."""

from __future__ import annotations

import re

# Where the plain reading of a name is not what people say.
WORDS = {
    "ready": "Ready to fulfil",
    "fifo": "FIFO",
    "max_backorder_age_days": "Maximum backorder age (days)",
    "charge_backorders_on_shipment": "Charge backorders on shipment",
    "over_max_age": "Over the maximum age",
    "sku": "SKU",
    "upc": "UPC",
    "vip": "VIP",
    "api": "API",
    "ApiTokenIssued": "API token issued",
    "ApiTokenRevoked": "API token revoked",
}
CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
QUOTED = re.compile(r"""('[^']*'|"[^"]*"|“[^”]*”)""")
ACRONYMS = {"sku": "SKU", "skus": "SKUs", "upc": "UPC", "vip": "VIP", "api": "API", "po": "PO"}


def words(name: object) -> str:
    """`awaiting_backorder` → "Awaiting backorder", `BackorderLinesCancelled`
    → "Backorder lines cancelled"; anything else is returned as it is."""
    text = "" if name is None else str(name)
    if text in WORDS:
        return WORDS[text]
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", text):
        return text
    parts = CAMEL.sub("_", text).split("_")
    parts = [ACRONYMS.get(p.lower(), p.lower()) for p in parts if p]
    if not parts:
        return text
    first = parts[0]
    return " ".join([first[0].upper() + first[1:], *parts[1:]])


def plain_message(message: object) -> str:
    """A message with the snake_case names in it said in words: the one at
    the start keeps its capital, others are lower case (“oversell_policy must
    be one of …” → “Oversell policy must be one of …”). What is quoted (what
    the person typed) is left as it is."""
    text = str(message)

    def say_at(match: re.Match, offset: int) -> str:
        said = words(match.group(0))
        if offset + match.start() == 0 or said.split(" ", 1)[0] in ACRONYMS.values():
            return said
        return said[0].lower() + said[1:]

    parts = QUOTED.split(text)
    offset, said = 0, []
    for i, part in enumerate(parts):
        if i % 2:
            said.append(part)
        else:
            said.append(SNAKE.sub(lambda m, at=offset: say_at(m, at), part))
        offset += len(part)
    return "".join(said)
