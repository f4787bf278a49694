"""The webhook refuses an unauthenticated or oversized request from its headers, before it
reads the body, and keeps each refusal in the audit trail."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlparse

import aiohttp
import pytest
from sqlalchemy import select

from storage.models import AuditEntry
from tests.telegram.harness import SECRET_HEADER, World

WEBHOOK = pytest.mark.parametrize("world", ["webhook"], indirect=True)
ANSWER_WITHIN = 3.0  # seconds; a server reading 50 MB that never come would wait for ever


async def headers_only(url: str, headers: dict[str, str], length: int) -> int:
    """POST headers announcing a `length`-byte body, send a few bytes of it, and return the
    status the server answers with before the rest."""
    where = urlparse(url)
    reader, writer = await asyncio.open_connection(where.hostname, where.port)
    try:
        lines = [f"POST {where.path} HTTP/1.1", f"Host: {where.netloc}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines += ["Content-Type: application/json", f"Content-Length: {length}", "", ""]
        writer.write("\r\n".join(lines).encode() + b'{"update_id": 1,')
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), ANSWER_WITHIN)
        return int(status_line.split()[1])
    finally:
        writer.close()


def refusals(world: World) -> list[dict[str, object]]:
    with world.bot.core.db.session() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "request.refused")
        ).all()
        return [dict(row.detail, platform=row.platform) for row in rows]


@WEBHOOK
async def test_a_request_without_the_secret_is_refused_before_its_body_and_audited(
    world: World,
) -> None:
    assert world.webhook is not None
    assert await headers_only(world.webhook, {}, 50_000_000) == 403
    assert await headers_only(world.webhook, {SECRET_HEADER: "guessed"}, 50_000_000) == 403
    assert [(r["platform"], r["status"], r["reason"]) for r in refusals(world)] == [
        ("telegram", 403, "secret"),
        ("telegram", 403, "secret"),
    ]
    assert all(r["from"] == "127.0.0.1" for r in refusals(world))


@WEBHOOK
async def test_a_body_larger_than_any_update_is_refused_unread_and_audited(world: World) -> None:
    assert world.webhook is not None
    status = await headers_only(world.webhook, {SECRET_HEADER: world.secret}, 50_000_000)
    assert status == 413
    assert [(r["status"], r["reason"]) for r in refusals(world)] == [(413, "size")]
    li = await world.linked("李明")  # and the webhook still works
    assert li.texts


@WEBHOOK
async def test_a_body_sent_without_a_length_is_cut_off_at_the_limit(world: World) -> None:
    """Chunked, with no Content-Length to refuse it by: read up to the limit, then refused."""
    assert world.webhook is not None

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):  # 2.5 MB in 64 KB chunks
            yield b" " * 65536

    async with aiohttp.ClientSession() as http:
        headers = {SECRET_HEADER: world.secret, "Content-Type": "application/json"}
        async with http.post(world.webhook, data=chunks(), headers=headers) as answer:
            assert answer.status == 413
    assert [(r["status"], r["reason"]) for r in refusals(world)] == [(413, "size")]
