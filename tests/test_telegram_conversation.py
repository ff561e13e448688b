"""Conversations in Telegram: follow-ups per chat and per user in groups, /new, replies, and a sample exchange."""
from __future__ import annotations

import os
import re
import tempfile
from html import unescape
from pathlib import Path

from advisor.strings import t

from . import test_telegram as telegram_tests
from .botapi_standin import ADMIN, ANA, BOT_USER, GROUP, Sent

offline, live, no_network = telegram_tests.offline, telegram_tests.live, telegram_tests.no_network  # the same fixtures
CONFERENCE = "Can I attend a conference in Russia?"
STUDENTS = "Can Russian students still enrol at a Belgian university?"
READ_WITH_CONFERENCE = t("en", "context", previous=CONFERENCE)
ARTIFACTS = Path(os.environ.get("ADVISOR_TEST_ARTIFACTS") or tempfile.gettempdir()) / "collaboration-advisor-telegram"


async def test_a_follow_up_says_what_it_was_read_with_and_new_starts_afresh(offline):
    chat, _ = await offline()
    [first] = await chat.send(CONFERENCE)
    assert not first.text.startswith(READ_WITH_CONFERENCE)
    [follow_up] = await chat.send("Is that the same in Wallonia?")
    assert follow_up.text.startswith(READ_WITH_CONFERENCE) and f"<i>{READ_WITH_CONFERENCE}</i>" in unescape(follow_up.html)
    [thanks] = await chat.send("Thanks!")
    assert thanks.text.startswith("You are welcome")
    [again] = await chat.send("And for Flanders?")  # small talk in between changes nothing
    assert again.text.startswith(READ_WITH_CONFERENCE)
    assert len(chat.standin.methods("sendChatAction")) >= 4  # "typing…" while each answer is prepared
    [fresh] = await chat.send("/new")
    assert fresh.text == "A new conversation: your next question is read on its own."
    [alone] = await chat.send("Is that the same in Wallonia?")
    assert alone.text.startswith(t("en", "no_earlier"))  # not read with the conversation /new ended, and said so


async def test_in_a_group_each_user_has_a_conversation_and_a_reply_leans_on_the_replied_message(offline):
    chat, _ = await offline()
    mention = f"@{BOT_USER['username']}"
    [conference] = await chat.send(f"{mention} {CONFERENCE}", chat=GROUP)
    [other] = await chat.send(f"{mention} Is that the same in Wallonia?", chat=GROUP, user=ADMIN)
    assert other.text.startswith(t("en", "no_earlier"))  # Ada's conversation is not Ana's: she has asked nothing yet
    [students] = await chat.send(f"{mention} {STUDENTS}", chat=GROUP)
    assert "earlier question" not in students.text
    [reply] = await chat.send("Is that the same in Wallonia?", chat=GROUP, reply_to=conference)
    assert reply.text.startswith(READ_WITH_CONFERENCE)  # the replied message's question, not the last one asked
    [private] = await chat.send("And in Flanders?", user=ANA)
    assert "earlier question" not in private.text  # a private chat is a conversation of its own


HOSTING = "Can I host a visiting researcher from Russia in my group?"
PHD = "And what about PhD students?"
READ_AS_PHD = "Reading this as: “PhD students”, with “Russia” from your earlier question"


async def test_a_new_subject_reads_the_same_in_a_private_chat_a_group_and_a_reply(offline):
    """Issue 23 through Telegram: one reading whichever way the follow-up arrives."""
    chat, _ = await offline()
    mention = f"@{BOT_USER['username']}"
    await chat.send(HOSTING)
    [private] = await chat.send(PHD)
    assert private.text.startswith(READ_AS_PHD) and "PhD" in private.text.split("\n\n", 2)[2]
    [hosting] = await chat.send(f"{mention} {HOSTING}", chat=GROUP)
    [other] = await chat.send(f"{mention} {PHD}", chat=GROUP, user=ADMIN)
    assert not other.text.startswith("Reading this as")  # Ada asked nothing before: Ana's question is not hers
    [grouped] = await chat.send(f"{mention} {PHD}", chat=GROUP)
    assert grouped.text.startswith(READ_AS_PHD)
    await chat.send(f"{mention} {CONFERENCE}", chat=GROUP)
    [replied] = await chat.send(PHD, chat=GROUP, reply_to=hosting)  # the replied answer's question, not the last one
    assert replied.text.startswith(READ_AS_PHD)


def as_markdown(message: Sent) -> str:
    """What a user sees, in Markdown: blockquotes as `>`, bold as `**`, italics as `_`, links as links, buttons after."""
    text = message.html
    text = re.sub(r'<a href="([^"]*)">(.*?)</a>', lambda m: f"[{m.group(2)}]({unescape(m.group(1))})", text)
    text = re.sub(r"<blockquote>(.*?)</blockquote>", lambda m: "> " + m.group(1).replace("\n", "\n> "), text, flags=re.S)
    text = re.sub(r"</?b>", "**", text)
    text = re.sub(r"</?i>", "_", text)
    text = unescape(text)
    buttons = " ".join(f"`[{label}]`" for row in message.buttons for label, _ in row)
    return text + (f"\n\n{buttons}" if buttons else "")


async def test_a_conversation_through_the_bot_api_as_a_user_sees_it(live):
    """The real bot polling the stand-in; the exchange is kept as Markdown (docs/telegram-sample.md shows it)."""
    standin, _ = live
    lines: list[str] = []

    async def say(text: str, who: dict = ANA, **fields) -> Sent:
        [reply] = await standin.reply_to(standin.user_sends(text, user=who, **fields))
        lines.extend([f"**{who['first_name']}:** {text}", "", "**Advisor:**", "", as_markdown(reply), ""])
        return reply

    first = await say(CONFERENCE)
    assert "<blockquote>" in first.html
    follow_up = await say("Is that the same in Wallonia?")
    assert follow_up.text.startswith(READ_WITH_CONFERENCE)
    french = await say("Et pour les doctorants ?", ANA | {"language_code": "fr"})
    assert french.text.startswith("Compris comme : « doctorants », avec")  # a subject of its own, with Russia kept
    assert (await say("Thanks!")).text.startswith("You are welcome")
    assert (await say("/new")).text.startswith("A new conversation")
    assert (await say("Is that the same in Wallonia?")).text.startswith(t("en", "no_earlier"))
    assert await standin.until(lambda: len(standin.methods("sendChatAction")) >= 5)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "telegram-conversation.md").write_text("\n".join(lines))
