"""The embedded MQTT broker (amqtt) for a single-machine install with no broker configured.

Production sites run Mosquitto or EMQX; this exists so the demo and a small site need no
external service. It runs its own asyncio loop in a thread so central stays synchronous.
"""

import asyncio
import logging
import threading
from typing import Any

log = logging.getLogger(__name__)


class BrokerStartFailed(RuntimeError):
    """The embedded broker could not listen (port taken?)."""


class EmbeddedBroker:
    def __init__(self, host: str = "127.0.0.1", port: int = 1883) -> None:
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._broker: Any = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        self._thread = threading.Thread(target=self._run, name="embedded-broker", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise BrokerStartFailed(f"embedded broker did not start within {timeout}s")
        if self._error is not None:
            raise BrokerStartFailed(f"embedded broker on {self.url}: {self._error}")
        log.info("embedded MQTT broker listening on %s", self.url)

    def _run(self) -> None:
        from amqtt.broker import Broker  # only loaded when embedding

        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }
        try:
            self._broker = Broker(config, loop=loop)
            loop.run_until_complete(self._broker.start())
        except BaseException as exc:  # report any start failure to the caller
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._broker.shutdown())
        loop.close()

    def stop(self) -> None:
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
