"""A scratch project for the agents to work in: a small Python package with real code, a
long pytest suite (150 passing tests, 2 real failures) and a git history.

``python -m pytest -v`` in it prints a few hundred lines (well over the compression
threshold) and ``inventory/core.py`` is a 300-line module (past the size the read policy keeps whole)
whose long function bodies the Read compressor elides.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from dataclasses import dataclass
from pathlib import Path

SOURCE = "inventory/core.py"
# The two tests that really fail (bugs in SOURCE), as pytest -v names them.
FAILING = (
    "tests/test_core.py::test_discount_rounds_half_up",
    "tests/test_core.py::test_parse_sku_ignores_surrounding_spaces",
)
PASSING = 150

CORE = '''\
"""Stock keeping for a small shop: items, SKUs, prices, discounts and reorders."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

SKU_PATTERN = re.compile(r"^([A-Z]{3})-(\\d{4})$")
DEFAULT_REORDER_LEVEL = 5
VAT_RATE = Decimal("0.20")


class InventoryError(Exception):
    """Raised when the inventory would become inconsistent."""


@dataclass(frozen=True)
class Sku:
    """A stock keeping unit: a category code and a number, e.g. ``TOY-0042``."""

    category: str
    number: int

    def __str__(self) -> str:
        return f"{self.category}-{self.number:04d}"


@dataclass
class Item:
    """One line of stock."""

    sku: Sku
    name: str
    unit_price: Decimal
    quantity: int = 0
    reorder_level: int = DEFAULT_REORDER_LEVEL
    tags: set[str] = field(default_factory=set)

    def value(self) -> Decimal:
        return self.unit_price * self.quantity

    def needs_reorder(self) -> bool:
        return self.quantity <= self.reorder_level


def parse_sku(text: str) -> Sku:
    """Parse ``ABC-1234`` into a Sku; raise ValueError on anything else."""
    match = SKU_PATTERN.match(text)
    if match is None:
        raise ValueError(f"not a SKU: {text!r}")
    category, number = match.groups()
    if category in {"XXX", "TMP"}:
        raise ValueError(f"reserved category: {category}")
    number = int(number)
    if number == 0:
        raise ValueError("SKU numbers start at 1")
    return Sku(category, number)


def apply_discount(price: Decimal, percent: int) -> Decimal:
    """The price after a percentage discount, rounded to cents, half up."""
    if not 0 <= percent <= 100:
        raise ValueError(f"discount out of range: {percent}")
    factor = Decimal(100 - percent) / Decimal(100)
    discounted = price * factor
    cents = Decimal("0.01")
    rounded = discounted.quantize(cents, rounding=ROUND_HALF_EVEN)
    if rounded < 0:
        raise InventoryError("negative price after discount")
    return rounded


def with_vat(price: Decimal, rate: Decimal = VAT_RATE) -> Decimal:
    """The gross price for a net price."""
    gross = price * (Decimal(1) + rate)
    return gross.quantize(Decimal("0.01"))


class Inventory:
    """All items, by SKU, with the operations a shop needs."""

    def __init__(self) -> None:
        self._items: dict[Sku, Item] = {}
        self._log: list[tuple[str, str, int]] = []

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, sku: object) -> bool:
        return sku in self._items

    def add(self, item: Item) -> None:
        if item.sku in self._items:
            raise InventoryError(f"duplicate SKU {item.sku}")
        if item.quantity < 0:
            raise InventoryError("quantity cannot be negative")
        if item.unit_price < 0:
            raise InventoryError("price cannot be negative")
        self._items[item.sku] = item
        self._log.append(("add", str(item.sku), item.quantity))

    def get(self, sku: Sku) -> Item:
        try:
            return self._items[sku]
        except KeyError:
            raise InventoryError(f"unknown SKU {sku}") from None

    def receive(self, sku: Sku, quantity: int) -> int:
        """Book incoming stock; return the new quantity."""
        if quantity <= 0:
            raise InventoryError("received quantity must be positive")
        item = self.get(sku)
        item.quantity += quantity
        self._log.append(("receive", str(sku), quantity))
        if item.quantity > 10_000:
            raise InventoryError(f"implausible stock for {sku}: {item.quantity}")
        return item.quantity

    def sell(self, sku: Sku, quantity: int) -> Decimal:
        """Book a sale; return its net total."""
        if quantity <= 0:
            raise InventoryError("sold quantity must be positive")
        item = self.get(sku)
        if quantity > item.quantity:
            raise InventoryError(
                f"cannot sell {quantity} of {sku}: only {item.quantity} in stock"
            )
        item.quantity -= quantity
        self._log.append(("sell", str(sku), quantity))
        total = item.unit_price * quantity
        return total.quantize(Decimal("0.01"))

    def total_value(self) -> Decimal:
        total = Decimal(0)
        for item in self._items.values():
            total += item.value()
        return total.quantize(Decimal("0.01"))

    def reorder_list(self) -> list[Item]:
        """Items at or below their reorder level, the emptiest first."""
        due = [item for item in self._items.values() if item.needs_reorder()]
        due.sort(key=lambda item: (item.quantity, str(item.sku)))
        result = []
        for item in due:
            if "discontinued" in item.tags:
                continue
            result.append(item)
        return result

    def by_tag(self, tag: str) -> list[Item]:
        found = []
        for item in self._items.values():
            if tag in item.tags:
                found.append(item)
        found.sort(key=lambda item: str(item.sku))
        return found

    def history(self) -> list[tuple[str, str, int]]:
        return list(self._log)


def reorder_quantity(item: Item, weekly_sales: float, lead_weeks: int = 2) -> int:
    """How many to order so stock lasts the lead time plus a safety week."""
    if weekly_sales < 0:
        raise ValueError("weekly sales cannot be negative")
    if lead_weeks < 1:
        raise ValueError("lead time is at least one week")
    needed = weekly_sales * (lead_weeks + 1)
    shortfall = needed - item.quantity
    if shortfall <= 0:
        return 0
    return math.ceil(shortfall)


def save(inventory: Inventory, path: Path) -> None:
    """Write the inventory as JSON."""
    rows = []
    for item in inventory._items.values():
        rows.append(
            {
                "sku": str(item.sku),
                "name": item.name,
                "unit_price": str(item.unit_price),
                "quantity": item.quantity,
                "reorder_level": item.reorder_level,
                "tags": sorted(item.tags),
            }
        )
    path.write_text(json.dumps(rows, indent=2))


def load(path: Path) -> Inventory:
    """Read an inventory written by save()."""
    inventory = Inventory()
    for row in json.loads(path.read_text()):
        item = Item(
            sku=parse_sku(row["sku"]),
            name=row["name"],
            unit_price=Decimal(row["unit_price"]),
            quantity=row["quantity"],
            reorder_level=row.get("reorder_level", DEFAULT_REORDER_LEVEL),
            tags=set(row.get("tags", [])),
        )
        inventory.add(item)
    return inventory


def stock_report(inventory: Inventory, weekly_sales: dict[str, float]) -> list[str]:
    """One line per item: what is in stock, what it is worth, and what to order."""
    lines = []
    for item in sorted(inventory._items.values(), key=lambda i: str(i.sku)):
        sales = weekly_sales.get(str(item.sku), 0.0)
        order = reorder_quantity(item, sales)
        value = with_vat(item.unit_price * item.quantity)
        flag = "LOW" if item.quantity <= item.reorder_level else "ok"
        tags = ",".join(sorted(item.tags)) or "-"
        lines.append(
            f"{item.sku!s:<12} {item.name:<24} {item.quantity:>6} {value:>12} "
            f"{flag:<4} order {order:>4} [{tags}]"
        )
    if not lines:
        lines.append("(no items)")
    return lines


def merge(first: Inventory, second: Inventory) -> Inventory:
    """One inventory holding both: quantities of the same SKU add up, the first's price
    and name win, tags are the union, and the higher reorder level is kept."""
    merged = Inventory()
    for source in (first, second):
        for item in source._items.values():
            known = merged._items.get(str(item.sku))
            if known is None:
                merged.add(
                    Item(
                        sku=item.sku,
                        name=item.name,
                        unit_price=item.unit_price,
                        quantity=item.quantity,
                        reorder_level=item.reorder_level,
                        tags=set(item.tags),
                    )
                )
                continue
            known.quantity += item.quantity
            known.tags |= item.tags
            known.reorder_level = max(known.reorder_level, item.reorder_level)
    return merged


def price_changes(before: Inventory, after: Inventory) -> dict[str, tuple[Decimal, Decimal]]:
    """SKUs whose unit price differs between two inventories, with both prices."""
    changes = {}
    for key, item in after._items.items():
        old = before._items.get(key)
        if old is None or old.unit_price == item.unit_price:
            continue
        changes[key] = (old.unit_price, item.unit_price)
    for key in before._items.keys() - after._items.keys():
        changes[key] = (before._items[key].unit_price, Decimal("0"))
    return dict(sorted(changes.items()))


def restock_plan(
    inventory: Inventory, weekly_sales: dict[str, float], budget: Decimal
) -> list[tuple[str, int]]:
    """What to order within a budget: the items closest to running out first, each as much
    as it needs or as the remaining budget allows."""
    wanted = []
    for item in inventory._items.values():
        sales = weekly_sales.get(str(item.sku), 0.0)
        quantity = reorder_quantity(item, sales)
        if quantity <= 0:
            continue
        weeks_left = item.quantity / sales if sales else float("inf")
        wanted.append((weeks_left, str(item.sku), quantity, item.unit_price))
    plan = []
    for _, sku, quantity, price in sorted(wanted):
        affordable = int(budget // price) if price > 0 else quantity
        take = min(quantity, affordable)
        if take <= 0:
            continue
        plan.append((sku, take))
        budget -= price * take
    return plan


def audit(inventory: Inventory) -> list[str]:
    """Problems a stock take should look at: negative or zero stock, prices that are not
    whole cents, reorder levels above what the shelf holds, and duplicate names."""
    problems = []
    names: dict[str, list[str]] = {}
    for key, item in sorted(inventory._items.items()):
        if item.quantity < 0:
            problems.append(f"{key}: negative stock ({item.quantity})")
        elif item.quantity == 0:
            problems.append(f"{key}: out of stock")
        if item.unit_price != item.unit_price.quantize(Decimal("0.01")):
            problems.append(f"{key}: price {item.unit_price} is not in whole cents")
        if item.reorder_level > 10 * max(item.quantity, 1):
            problems.append(f"{key}: reorder level {item.reorder_level} looks too high")
        names.setdefault(item.name.strip().lower(), []).append(key)
    for name, keys in sorted(names.items()):
        if len(keys) > 1:
            problems.append(f"{', '.join(keys)}: share the name {name!r}")
    return problems
'''

TESTS = """\
from decimal import Decimal

import pytest

from inventory.core import (
    Inventory,
    InventoryError,
    Item,
    Sku,
    apply_discount,
    load,
    parse_sku,
    reorder_quantity,
    save,
    with_vat,
)


@pytest.mark.parametrize("number", range(1, 61))
def test_parse_sku_roundtrip(number):
    text = f"TOY-{number:04d}"
    assert str(parse_sku(text)) == text


@pytest.mark.parametrize("percent", range(0, 101, 2))
def test_discount_never_exceeds_price(percent):
    assert apply_discount(Decimal("19.99"), percent) <= Decimal("19.99")


@pytest.mark.parametrize("quantity", range(1, 21))
def test_receive_then_sell(quantity):
    inv = Inventory()
    sku = Sku("BOX", 1)
    inv.add(Item(sku, "box", Decimal("2.50"), quantity=1))
    inv.receive(sku, quantity)
    assert inv.sell(sku, quantity) == Decimal("2.50") * quantity
    assert inv.get(sku).quantity == 1


@pytest.mark.parametrize("weekly", [0, 0.5, 1, 2.5, 3, 7, 10, 12.25, 20, 40])
def test_reorder_quantity_covers_lead_time(weekly):
    item = Item(Sku("PEN", 7), "pen", Decimal("1.00"), quantity=3)
    ordered = reorder_quantity(item, weekly)
    assert item.quantity + ordered >= weekly * 3


@pytest.mark.parametrize("bad", ["", "toy-0001", "TOY-1", "TOYS-0001", "XXX-0001", "TOY-0000", "TOY_0001", "T0Y-0001", "TMP-0002"])
def test_parse_sku_rejects(bad):
    with pytest.raises(ValueError):
        parse_sku(bad)


def test_with_vat():
    assert with_vat(Decimal("10.00")) == Decimal("12.00")


def test_save_and_load(tmp_path):
    inv = Inventory()
    inv.add(Item(Sku("CUP", 3), "cup", Decimal("4.20"), quantity=9, tags={"kitchen"}))
    save(inv, tmp_path / "inv.json")
    again = load(tmp_path / "inv.json")
    assert again.get(Sku("CUP", 3)).tags == {"kitchen"}


def test_discount_rounds_half_up():
    # 0.125 is exactly half a cent: the docstring promises half up.
    assert apply_discount(Decimal("0.25"), 50) == Decimal("0.13")


def test_parse_sku_ignores_surrounding_spaces():
    assert parse_sku("  TOY-0042\\n") == Sku("TOY", 42)
"""


@dataclass
class Project:
    root: Path

    @property
    def source(self) -> Path:
        return self.root / SOURCE

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=self.root, check=True, capture_output=True, text=True
        ).stdout


def make_project(root: Path) -> Project:
    """Write the scratch project under root and commit it."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "inventory").mkdir()
    (root / "inventory" / "__init__.py").write_text('"""Stock keeping."""\n')
    (root / SOURCE).write_text(CORE)
    (root / "tests").mkdir()
    (root / "tests" / "__init__.py").write_text("")
    (root / "tests" / "test_core.py").write_text(TESTS)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [project]
            name = "inventory"
            version = "0.1.0"

            [tool.pytest.ini_options]
            testpaths = ["tests"]
            """
        )
    )
    (root / ".gitignore").write_text("__pycache__/\n.pytest_cache/\n")
    project = Project(root)
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="e2e",
        GIT_AUTHOR_EMAIL="e2e@example.invalid",
        GIT_COMMITTER_NAME="e2e",
        GIT_COMMITTER_EMAIL="e2e@example.invalid",
    )
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "inventory"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env=env)
    return project
