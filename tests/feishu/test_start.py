"""`visitdesk run feishu`: its settings, and a credential Feishu refuses stopping the start in
one line that names the setting (and never shows the secret)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web

from bot.config import SettingError, load_settings
from bot.feishu.send import api_client
from bot.feishu.start import check_credentials, locale_of
from tests.feishu.conftest import APP_ID, APP_SECRET
from tests.feishu.openapi import OpenApiStandIn
from tests.support import run_visitdesk

CEILING = 180.0  # reached only by a start that hangs; lark-oapi alone takes seconds to import


@pytest.mark.parametrize(
    ("app_id", "secret", "setting"),
    [(APP_ID, "not-the-secret", "FEISHU_APP_SECRET"), ("cli_unknown", APP_SECRET, "FEISHU_APP_ID")],
)
async def test_a_credential_feishu_refuses_names_its_setting(
    standin: OpenApiStandIn, app_id: str, secret: str, setting: str
) -> None:
    client = api_client(app_id, secret, standin.origin)
    with pytest.raises(SettingError) as refused:
        await check_credentials(client, app_id, secret, standin.origin)
    assert str(refused.value).startswith(f"setting {setting}: Feishu refused it (code 10")
    assert secret not in str(refused.value)


async def test_an_address_that_is_not_feishu_names_feishu_domain() -> None:
    runner = web.AppRunner(web.Application())  # a web server: 404 pages, no Feishu JSON
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    wrong = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        with pytest.raises(SettingError) as refused:
            await check_credentials(
                api_client(APP_ID, APP_SECRET, wrong), APP_ID, APP_SECRET, wrong
            )
    finally:
        await runner.cleanup()
    assert str(refused.value) == (
        f"setting FEISHU_DOMAIN: {wrong} does not answer like Feishu's Open API (HTTP 404)"
    )


def test_the_settings_are_checked_and_name_themselves() -> None:
    settings = load_settings(
        {"FEISHU_APP_ID": "cli_x", "FEISHU_DOMAIN": "https://open.larksuite.com/"}
    )
    assert settings.platforms == ["feishu"] and settings.feishu_listen is None
    assert settings.feishu_domain == "https://open.larksuite.com"
    assert (
        locale_of(settings.feishu_domain) == "en-US"
        and locale_of("https://open.feishu.cn") == "zh-CN"
    )
    with pytest.raises(SettingError, match="setting FEISHU_APP_ID: "):
        load_settings({"FEISHU_APP_ID": "my-app"})
    with pytest.raises(SettingError, match="setting FEISHU_DOMAIN: "):
        load_settings({"FEISHU_DOMAIN": "http://open.feishu.cn"})  # http only on this machine
    with pytest.raises(SettingError, match="setting FEISHU_DOMAIN: "):
        load_settings({"FEISHU_DOMAIN": "https://open.feishu.cn/open-apis"})
    with pytest.raises(SettingError, match="setting FEISHU_LISTEN: "):
        load_settings({"FEISHU_LISTEN": "nowhere"})
    assert "s3cret" not in repr(load_settings({"FEISHU_APP_SECRET": "s3cret"}))


async def test_visitdesk_run_feishu_with_a_wrong_secret_says_so_in_one_line(
    tmp_path: Path, standin: OpenApiStandIn
) -> None:
    env = {
        "FEISHU_APP_ID": APP_ID,
        "FEISHU_APP_SECRET": "wrong-secret",
        "FEISHU_DOMAIN": standin.origin,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'v.db'}",
        "PATH": "/usr/bin:/bin",
    }
    code, said = await run_visitdesk(["run", "feishu"], env, tmp_path, CEILING)
    assert code == 2
    assert said.strip().splitlines()[-1] == (
        "setting FEISHU_APP_SECRET: Feishu refused it (code 10014: app secret invalid)"
    )
    assert "Traceback" not in said and "wrong-secret" not in said


async def test_the_callback_url_needs_the_encrypt_key_and_token(
    tmp_path: Path, standin: OpenApiStandIn
) -> None:
    env = {
        "FEISHU_APP_ID": APP_ID,
        "FEISHU_APP_SECRET": APP_SECRET,
        "FEISHU_LISTEN": "127.0.0.1:9",  # never taken: the start stops first
        "FEISHU_DOMAIN": standin.origin,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'v.db'}",
        "PATH": "/usr/bin:/bin",
    }
    code, said = await run_visitdesk(["run", "feishu"], env, tmp_path, CEILING)
    assert code == 2
    assert said.strip().splitlines()[-1] == (
        "setting FEISHU_ENCRYPT_KEY: is needed for the callback URL (FEISHU_LISTEN)"
    )
