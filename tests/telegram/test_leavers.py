"""A person removed from the org file, on Telegram: their linked phone is a stranger's at
once — their commands, their old approval card, a second linked account — and, added back,
they link again with the new code (issue 18 item 2)."""

from __future__ import annotations

from sqlalchemy import select

from handlers.org.chart import import_org, load_org_file
from storage.models import Identity
from tests.conftest import EXAMPLE_ORG
from tests.reliability.driver import ZH_PEOPLE, file_reception
from tests.reliability.support import ZH
from tests.telegram.harness import World
from tests.test_leavers import without


def reimport(world: World, org: dict[str, object]) -> dict[str, str]:
    core = world.bot.core
    with core.db.session() as session:
        return import_org(session, org, core.policy, core.clock()).codes


async def test_a_removed_persons_telegram_gets_the_stranger_line_at_once(world: World) -> None:
    zhang = await world.linked("张伟")
    assert "陈经理" in (await zhang.send("/client 华南电子"))[-1].text
    reimport(world, without(load_org_file(EXAMPLE_ORG), "张伟"))

    assert [r.text for r in await zhang.send("/client 华南电子")] == [ZH("stranger")]
    assert [r.text for r in await zhang.send("/start")] == [ZH("stranger")]
    with world.bot.core.db.session() as session:
        assert session.scalars(select(Identity.platform_user)).all() == []  # unlinked


async def test_a_removed_approvers_card_tapped_afterwards_decides_nothing(world: World) -> None:
    wang = await world.linked("王经理")
    file_reception(world.bot.core, ZH_PEOPLE)
    await world.settle()
    card = wang.showing(ZH("approval.approve"))
    reimport(world, without(load_org_file(EXAMPLE_ORG), "王经理"))
    await world.settle()

    replies = await wang.press(ZH("approval.approve"), on=card)
    assert [r.text for r in replies] == [ZH("stranger")]
    zhao = await world.linked("赵总")
    await zhao.send("/pending")
    assert zhao.showing(ZH("approval.approve"))  # the step waits for him now


async def test_a_person_added_back_links_again_with_the_new_code_only(world: World) -> None:
    zhang = await world.linked("张伟")
    spare = world.link_code("张伟")  # for a second phone, printed before he left
    reimport(world, without(load_org_file(EXAMPLE_ORG), "张伟"))

    second_phone = world.phone(7777, "zh-hans")
    assert [r.text for r in await second_phone.send(f"/start {spare}")] == [ZH("link.bad_code")]
    codes = reimport(world, load_org_file(EXAMPLE_ORG))
    assert [r.text for r in await zhang.send("/help")] == [ZH("stranger")]  # not until linked
    replies = await zhang.send(f"/start {codes['张伟']}")
    assert "张伟" in replies[-1].text
    assert "陈经理" in (await zhang.send("/client 华南电子"))[-1].text
