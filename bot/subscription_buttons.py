"""The subscriptions flow's buttons as data: its kind, and the button to subscribe to a campaign.

The flow (:mod:`bot.handlers.subscriptions`) offers and handles them; the announcement that
launches a campaign (:func:`bot.bulk.render_broadcast`) carries that campaign's button too.
"""

from __future__ import annotations

from bot.conversations.incoming import button_data

FLOW = "sub"


def campaign_button_data(campaign_key: str) -> str:
    """Return the data of a button that subscribes to a campaign (its announcement has one)."""
    return button_data(FLOW, 0, "c", campaign_key)
