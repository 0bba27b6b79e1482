"""Every process takes up a plan loaded or a campaign launched by another one, without a restart."""

from __future__ import annotations

import asyncio
import time
from datetime import date

from bot.app import running_bot
from bot.local_api import LocalBotApi
from bot.settings import Settings
from core.org import Campaign, Validity
from core.subscriptions import Scope, Subscription
from tests.bot.conftest import FakeClock, RunningBot
from tests.bot.flows import agree_and_start

SAFE_STREETS = Campaign(
    key="pho-an-toan",
    title="Thi đua “Tuyến phố an toàn”",
    theme="An ninh trật tự",
    description="Mỗi tổ dân phố một tuyến phố an toàn.",
    validity=Validity(date(2026, 1, 1), date(2026, 12, 31)),
)


async def _launch_elsewhere(bot: RunningBot, campaign: Campaign) -> None:
    """Store a campaign as another process launching it in chat would."""
    async with bot.runtime.uow() as uow:
        await uow.organisation.add_campaign(campaign, launched_by=1)
        await uow.commit()


async def test_a_campaign_another_process_launched_is_taken_up_on_refresh(
    api: LocalBotApi, bot: RunningBot
) -> None:
    user = api.user(921, "Hạnh")
    await agree_and_start(user)
    await api.wait_until_idle(timeout=5)
    before = bot.runtime.directory
    assert not await bot.runtime.refresh_directory(), "nothing changed: the same directory"
    assert bot.runtime.directory is before

    await _launch_elsewhere(bot, SAFE_STREETS)
    async with bot.runtime.uow() as uow:
        await uow.subscriptions.add(
            Subscription(user.id, Scope.CAMPAIGN, SAFE_STREETS.key, bot.runtime.clock())
        )
        await uow.commit()
    assert await bot.runtime.refresh_directory()

    assert SAFE_STREETS in bot.runtime.directory.campaigns_on(bot.runtime.today())
    await user.send_command("/subscriptions")
    listing = await user.next_message()
    assert SAFE_STREETS.title in listing.text


async def test_every_process_looks_for_changes_on_its_own(
    api: LocalBotApi, bot_settings: Settings, clock: FakeClock
) -> None:
    settings = bot_settings.model_copy(update={"directory_refresh": 0.1})
    async with running_bot(
        settings, token=api.token, polling=True, clock=clock, poll_timeout=1
    ) as (application, runtime):
        await _launch_elsewhere(RunningBot(application, runtime), SAFE_STREETS)
        deadline = time.monotonic() + 5
        while SAFE_STREETS not in runtime.directory.campaigns_on(runtime.today()):
            assert time.monotonic() < deadline, "the campaign was not taken up"
            await asyncio.sleep(0.05)
