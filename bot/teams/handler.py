"""The Teams bot: an ActivityHandler for a personal chat with each member of staff.

Messages run a command and card actions a form or a button, both from the registry
(bot/teams/dispatch.py); an install or a first message stores the user's conversation
reference, so the outbox can message them first later. Only people in the staff
directory are remembered: someone else gets the polite refusal in reply and nothing
about them is stored, not even the reference. A reference is a route to a person's
chat; the bot has no business keeping one for someone it will never message, and if
they are added to the directory later their next message stores it.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext
from botbuilder.schema import ActivityTypes, ChannelAccount

from bot.context import Turns, message_for
from bot.runtime import Runtime
from bot.teams import dispatch
from bot.teams.context import card_activity, error_response, notice_card, teams_user_id
from bot.teams.linking import RosterLinker
from bot.teams.payloads import command_text
from bot.teams.refs import ReferenceStore
from dialogs.errors import DomainError
from dialogs.help import help_card

PERSONAL_ONLY = (
    "I only work in a private chat with you, so that reports and check-ins stay out of "
    "shared conversations. Open a chat with safecontact to use me."
)


def _personal(turn: TurnContext) -> bool:
    kind = getattr(turn.activity.conversation, "conversation_type", None)
    return kind in (None, "personal")


def _sender(turn: TurnContext) -> str | None:
    try:
        return teams_user_id(turn.activity)
    except DomainError:
        return None


class SafecontactBot(ActivityHandler):
    def __init__(self, runtime: Runtime, refs: ReferenceStore) -> None:
        self.runtime = runtime
        self.refs = refs
        self.linker = RosterLinker(runtime)

    async def on_turn(self, turn_context: TurnContext) -> None:
        """Every turn gets its `Turns`; a failure in a message turn is answered, never silent."""
        # Someone the directory knows by email only is linked by their Teams id first.
        await self.linker.link_sender(turn_context)
        turn_context.turn_state[dispatch.TURNS] = Turns(
            self.runtime, "teams", _sender(turn_context)
        )
        try:
            await super().on_turn(turn_context)
        except Exception as exc:
            if turn_context.activity.type != ActivityTypes.message or turn_context.responded:
                raise
            await turn_context.send_activity(card_activity(notice_card(message_for(exc))))

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        if not _personal(turn_context):
            await turn_context.send_activity(card_activity(notice_card(PERSONAL_ONLY)))
            return
        await turn_context.send_activity(card_activity(await self._answer(turn_context)))

    async def _answer(self, turn: TurnContext) -> dict[str, Any]:
        try:
            await dispatch.turns_of(turn)()
            await self.refs.remember(teams_user_id(turn.activity), turn.activity)
        except Exception as exc:
            return notice_card(message_for(exc))
        return await dispatch.command_card(turn, command_text(turn.activity))

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        """Installed in a personal chat: Teams adds the bot as a member."""
        bot_id = turn_context.activity.recipient.id
        if any(getattr(m, "id", None) == bot_id for m in members_added or []):
            await self._installed(turn_context, greet=True)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        # Teams also sends conversationUpdate on install; greet once, there.
        await self._installed(turn_context, greet=False)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        """Uninstalled: forget the route, so deliveries report them unreachable at once."""
        try:
            await self.refs.forget(teams_user_id(turn_context.activity))
        except DomainError:
            return

    async def _installed(self, turn: TurnContext, *, greet: bool) -> None:
        if not _personal(turn):
            return
        try:
            await dispatch.turns_of(turn)()
            await self.refs.remember(teams_user_id(turn.activity), turn.activity)
            card = dispatch.card(help_card())
        except Exception as exc:
            card = notice_card(message_for(exc))
        if greet:
            await turn.send_activity(card_activity(card))

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        if turn_context.activity.name == "adaptiveCard/action":
            return await dispatch.on_action(turn_context)
        return error_response(
            HTTPStatus.BAD_REQUEST, "safecontact does not handle this kind of request."
        )
