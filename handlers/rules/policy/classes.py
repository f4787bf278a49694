"""The client classes ([classes.A] …): what a class sets, and the four built in."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from handlers.rules.policy.fields import (
    MEAL_CAP_CEILING,
    Amount,
    Chain,
    Description,
    Text,
    _distinct,
)
from handlers.rules.policy.sections import _Section

# Who hosts (主陪): "manager" is the requester's department head; the others are org roles.
Accompanier = Literal["manager", "vp", "gm", "chairman"]


def _one_or_more(value: object) -> object:
    # `accompany = "gm"`, as files written before it took a list say it.
    return (value,) if isinstance(value, str) else value


# In order of preference: the first of them the org chart has somebody for hosts (seed 002
# "至少有一名副总经理主陪": a deputy GM, else the GM). Empty: nobody in particular.
Hosts = Annotated[tuple[Accompanier, ...], BeforeValidator(_one_or_more), AfterValidator(_distinct)]


class ClassPolicy(_Section):
    label_zh: Text
    label_en: Text
    who_zh: Description = ""
    who_en: Description = ""
    # None: the org's employee meal standard
    meal_cap: Annotated[Amount, Field(le=MEAL_CAP_CEILING)] | None = None
    accompany: Hosts = ("manager",)
    chain: Chain = ("manager",)

    def label(self, locale: str) -> str:
        return self.label_zh if locale.startswith("zh") else self.label_en

    def who(self, locale: str) -> str:
        return self.who_zh if locale.startswith("zh") else self.who_en


DEFAULT_CLASSES: Mapping[str, ClassPolicy] = {
    "A": ClassPolicy(
        label_zh="特别重要",
        label_en="Very important",
        who_zh="各级政府部门的重要领导,来宾单位的主要领导",
        who_en="Government leaders; the visiting company's top leaders",
        meal_cap=Decimal(150),
        accompany=("chairman", "gm"),
        chain=("manager", "gm"),
    ),
    "B": ClassPolicy(
        label_zh="比较重要",
        label_en="Important",
        who_zh="大客户领导、潜在客户及签单可能性较大的客户",
        who_en="Key-account leaders; prospects likely to sign",
        meal_cap=Decimal(130),
        accompany=("vp", "gm"),
        chain=("manager", "gm"),
    ),
    "C": ClassPolicy(
        label_zh="普通",
        label_en="Ordinary",
        who_zh="一般客户来访、参观考察,处于合作前期、需持续跟踪",
        who_en="Ordinary client visits and tours; early-stage cooperation to follow up",
        meal_cap=Decimal(100),
    ),
    "D": ClassPolicy(
        label_zh="一般",
        label_en="General",
        who_zh="设备、原材料供应商的来访、参观",
        who_en="Suppliers and vendors visiting or touring",
    ),
}
