"""How a feature plugs into the core: its commands, its button actions and its forms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from handlers.engine.context import Ctx
from handlers.engine.forms.model import Form

CommandFn = Callable[[Ctx, str], None]  # (ctx, the text after the command)
ActionFn = Callable[[Ctx, list[str]], None]  # (ctx, the action's parts after its prefix)
# A line typed with no form open, read as one of the feature's buttons: True when it was.
TypedFn = Callable[[Ctx, str], bool]
# A shared location (latitude, longitude), read by the feature waiting for one: True when it was.
LocatedFn = Callable[[Ctx, tuple[float, float]], bool]


@dataclass(frozen=True)
class Command:
    name: str
    summary: str  # catalog key: one line for /help and the platforms' command menus
    run: CommandFn
    roles: frozenset[str] = frozenset()  # any of these; empty means every linked person
    lists_drafts: bool = False  # its answer ends with the person's unfinished forms (/my)
    # Its cards' buttons that may be typed, by exact label: (label key, the argument they
    # stand for), as "提交给经理" stands for `/plan submit`.
    buttons: tuple[tuple[str, str], ...] = ()
    # The form it begins: where a whole form can be shown (a Slack modal), the command alone
    # opens that form's sheet instead of asking its first question.
    form: str | None = None

    def allowed(self, roles: frozenset[str]) -> bool:
        return not self.roles or bool(self.roles & roles) or "org_admin" in roles


@dataclass(frozen=True)
class Feature:
    commands: tuple[Command, ...] = ()
    actions: dict[str, ActionFn] = field(default_factory=dict)
    forms: tuple[Form, ...] = ()
    typed: tuple[TypedFn, ...] = ()
    located: tuple[LocatedFn, ...] = ()
