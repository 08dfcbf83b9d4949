"""What the app reports about an offer (impression, click, accept, dismiss), to the
`offer_events` topic, confirmed by Kafka before the 202."""

from __future__ import annotations

import logging
import time
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from backbeat.events.schemas import OfferEventRecord
from backbeat.kafka.producer import KafkaDeliveryError
from offers.api.dependencies import SECURED, Publisher, Reader
from offers.api.schemas import ERRORS, OfferEventAccepted, OfferEventIn

log = logging.getLogger("backbeat.api")
router = APIRouter(dependencies=SECURED)


@router.post(
    "/v1/offers/{offer_id}/events",
    status_code=202,
    responses={
        **ERRORS,
        404: {"description": "No such offer for this user"},
        413: {"description": "The body is over BACKBEAT_API_MAX_BODY_BYTES"},
        503: {"description": "Kafka or Redis unavailable; send again"},
    },
)
async def offer_event(
    offer_id: Annotated[str, Path(pattern=r"^[0-9a-f]{24}$", description="From /offers")],
    event: OfferEventIn,
    read: Reader,
    publisher: Publisher,
) -> OfferEventAccepted:
    offer = await read(read.reads.offer(event.user_id, offer_id))
    if offer is None:
        raise HTTPException(404, f"user {event.user_id} has no offer {offer_id}")
    at_ms = int(time.time() * 1000)
    record = OfferEventRecord(
        ts=at_ms,
        offer_id=offer_id,
        user_id=event.user_id,
        offer_type=offer["offer_type"],
        type=event.type,
    )
    try:
        await publisher.publish(record, str(event.user_id).encode())
    except KafkaDeliveryError as exc:
        log.warning("offer event not delivered: %s", exc)
        raise HTTPException(503, "the event could not be recorded (Kafka); send again") from None
    return OfferEventAccepted(
        offer_id=offer_id, user_id=event.user_id, type=event.type, at_ms=at_ms
    )
