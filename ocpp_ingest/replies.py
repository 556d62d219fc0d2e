"""Work done stays done when its answer cannot be sent.

A charger that sends two StopTransactions and closes its socket (what a real one
did on a hard reset) has both frames in our receive buffer. The `ocpp` library
sends each answer from inside the message loop, so the first answer failing on
the closed socket used to end the loop and the second frame was never read: no
row, no anomaly, a session open until its 24 h limit. Here a failed answer is
logged and the loop goes on to the frames that already arrived; the socket's
close then ends it as usual."""

from __future__ import annotations

import logging

from websockets.exceptions import ConnectionClosed

log = logging.getLogger(__name__)


class AnswersMayFail:
    """Mixin placed first in the CSMS-side charge point classes' bases."""

    async def _handle_call(self, msg):
        try:
            await super()._handle_call(msg)
        except ConnectionClosed:
            log.info(
                "charger %s: the answer to %s %s could not be sent (socket closed); "
                "the message was processed",
                self.id,
                msg.action,
                msg.unique_id,
            )
