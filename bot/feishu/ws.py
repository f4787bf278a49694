"""Feishu's long connection (no public URL needed), run beside the bot's event loop.

lark-oapi's `lark.ws.Client` takes an event loop when its module is imported (the module
global `loop`, from `asyncio.get_event_loop()`) and blocks in `start()` with
`loop.run_until_complete`; inside a running loop that raises "Cannot run the event loop
while another loop is running" (upstream oapi-sdk-python issues #96, #119, #133). So it gets
a thread of its own with a new loop, put into that module global before `start()`. Its
handlers run on that thread: each hands the callback to the bot's loop
(`run_coroutine_threadsafe`) and, for a card action, waits there for the answer, which the
SDK sends back in the frame Feishu expects within its 3 seconds.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any

import lark_oapi as lark
import lark_oapi.ws.client as ws_client
from lark_oapi.event.callback.model.p2_card_action_trigger import P2CardActionTriggerResponse

log = logging.getLogger(__name__)

Answer = Callable[[dict[str, Any]], Coroutine[Any, Any, dict[str, Any]]]
ANSWER_SECONDS = 2.8  # Feishu waits 3 s for a card action's answer
CLOSE_SECONDS = 5.0


class LongConnection:
    """`lark.ws.Client` in its own thread and loop, feeding callbacks to `answer` on `loop`."""

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        domain: str,
        answer: Answer,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.answer = answer
        self.loop = loop
        handler = (
            lark.EventDispatcherHandler.builder("", "")
            .register_p2_im_message_receive_v1(self._event)
            .register_p2_card_action_trigger(self._card)
            .build()
        )
        self.client = ws_client.Client(
            app_id, app_secret, lark.LogLevel.WARNING, handler, domain, auto_reconnect=True
        )
        self._own_loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._run, name="feishu-long-connection", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    async def stop(self) -> None:
        """Close the connection (not to be reopened), then end the thread's loop."""
        if not self._thread.is_alive():
            return
        self.client._auto_reconnect = False  # the SDK reconnects after any close otherwise
        closed = asyncio.run_coroutine_threadsafe(self.client._disconnect(), self._own_loop)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.wrap_future(closed), CLOSE_SECONDS)
        self._own_loop.call_soon_threadsafe(self._own_loop.stop)
        await asyncio.to_thread(self._thread.join, CLOSE_SECONDS)

    def _run(self) -> None:
        asyncio.set_event_loop(self._own_loop)
        ws_client.loop = self._own_loop  # the module global start() and its tasks use
        try:
            self.client.start()
        except RuntimeError:  # "Event loop stopped before Future completed": stop() did it
            pass
        except Exception:
            log.exception("feishu: the long connection ended")

    def _submit(self, data: Any) -> concurrent.futures.Future[dict[str, Any]]:
        raw = json.loads(
            lark.JSON.marshal(data) or "{}"
        )  # the SDK's typed event, as Feishu sent it
        return asyncio.run_coroutine_threadsafe(self.answer(raw), self.loop)

    def _event(self, data: Any) -> None:
        self._submit(data)  # a message is acknowledged at once; its work goes on in the bot

    def _card(self, data: Any) -> P2CardActionTriggerResponse:
        try:
            return P2CardActionTriggerResponse(self._submit(data).result(timeout=ANSWER_SECONDS))
        except Exception:  # the work goes on in the bot's loop; Feishu gets an empty answer now
            log.warning("feishu: a card action was not answered in time")
            return P2CardActionTriggerResponse({})
