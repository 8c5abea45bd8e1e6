"""A synthetic sales mailbox for the fake Graph: threads with promises, open questions, replies and noise.

Deterministic for a seed. The sentences are the kind reps write ("I'll call you Thursday at 2pm."), so the
real detectors fire; tests compare what the Graph path produces with what the same pipeline produces from the
same messages held in memory, and check that the promises planted are among the reminders.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from followup_sync.backends.graph import parse_message
from followup_sync.model import Message
from tests.fakegraph.server import FakeGraph

FIRST = ["Mark", "Priya", "Tom", "Jane", "Luis", "Aiko", "Noah", "Fatima", "Olga", "Ben", "Chen", "Sara"]
LAST = ["Miller", "Patel", "Okafor", "Schmidt", "Garcia", "Tanaka", "Dubois", "Novak", "Rossi", "Larsen"]
COMPANIES = ["acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark", "wayne", "tyrell", "wonka"]
TOPICS = ["Renewal 2027", "Pricing for Q1", "Pilot rollout", "Support contract", "Licence upgrade", "Onboarding"]
PROMISES = [
    "I'll call you Thursday at 2pm to go through the numbers.",
    "I will send you the revised pricing by Friday.",
    "I'll email you the case study tomorrow.",
    "I'll get back to you with the contract draft on Monday.",
    "Let me check with our product team and I'll come back to you by Wednesday.",
]
QUESTIONS = [
    "Could you let me know whether the revised quote works for you?",
    "Can you send me the signed order form when you have a moment?",
    "Would Tuesday or Wednesday suit you for the demo?",
]
INBOUND = [
    "Can you send me the installation guide for the new version?",
    "Could you tell me what the price would be for 40 more seats?",
]
NOISE = [
    "Thanks, that's all clear.",
    "Please see the notes from today's meeting below. Nothing to do on your side.",
    "Our office will be closed on the 24th.",
]


@dataclass
class Mailbox:
    fake: FakeGraph
    promises: list[str] = field(default_factory=list)  # internetMessageIds (lower, no <>) of planted promises
    threads: dict[str, tuple[str, str]] = field(default_factory=dict)  # conversationId -> (contact, subject)

    def messages(self) -> list[Message]:
        """The same messages as the Graph path reads them, for the in-memory reference run."""
        out = []
        for raw in self.fake.messages.values():
            folder = self.fake.folders[raw["_folder"]]
            if folder.well_known in ("deleteditems", "junkemail", "drafts", "outbox"):
                continue
            msg = parse_message(raw, folder=folder.name)
            if msg is not None:
                out.append(msg)
        return out

    def reply(self, conversation_id: str, *, at: datetime, text: str = "Thanks Rita, that works for us.") -> str:
        contact, subject = self.threads[conversation_id]
        return self.fake.add_message(
            "inbox",
            sender=contact,
            to=[self.fake.user],
            subject=f"RE: {subject}",
            body=text,
            sent=at,
            conversation_id=conversation_id,
        )


def build(fake: FakeGraph, *, messages: int, now: datetime, seed: int = 7, days: int = 25) -> Mailbox:
    """About ``messages`` messages over the ``days`` before ``now``; roughly 1 in 12 threads holds a promise."""
    rng = random.Random(seed)
    box = Mailbox(fake)
    me = fake.user
    count = 0
    while count < messages:
        first, last, company = rng.choice(FIRST), rng.choice(LAST), rng.choice(COMPANIES)
        contact = f"{first.lower()}.{last.lower()}@{company}.example"
        subject = f"{rng.choice(TOPICS)} - {company.title()}"
        conv = f"AAQkConv{count:06d}"
        box.threads[conv] = (contact, subject)
        at = now - timedelta(days=rng.uniform(1, days), minutes=rng.randint(0, 600))
        kind = rng.random()
        if kind < 0.08:
            text = f"Hi {first},\n\nThanks for your time today. {rng.choice(PROMISES)}\n\nBest,\nRita"
            mid = fake.add_message(
                "sentitems", sender=me, to=[contact], subject=subject, body=text, sent=at, conversation_id=conv
            )
            box.promises.append(fake.messages[mid]["internetMessageId"].strip("<>").lower())
            count += 1
        elif kind < 0.16:
            text = f"Hi {first},\n\n{rng.choice(QUESTIONS)}\n\nThanks,\nRita"
            fake.add_message(
                "sentitems", sender=me, to=[contact], subject=subject, body=text, sent=at, conversation_id=conv
            )
            count += 1
            if rng.random() < 0.5:
                box.reply(conv, at=at + timedelta(hours=rng.randint(1, 30)))
                count += 1
        elif kind < 0.22:
            text = f"Hi Rita,\n\n{rng.choice(INBOUND)}\n\nRegards,\n{first}"
            fake.add_message(
                "inbox", sender=contact, to=[me], subject=subject, body=text, sent=at, conversation_id=conv
            )
            count += 1
            if rng.random() < 0.6:
                fake.add_message(
                    "sentitems",
                    sender=me,
                    to=[contact],
                    subject=f"RE: {subject}",
                    body=f"Hi {first},\n\nHere it is.\n\nRita",
                    sent=at + timedelta(hours=2),
                    conversation_id=conv,
                )
                count += 1
        elif kind < 0.6:
            fake.add_message(
                "inbox",
                sender="news@vendor-news.example",
                to=[me],
                subject="Weekly digest",
                body="Read the latest news.",
                sent=at,
                conversation_id=conv,
                headers=[("List-Unsubscribe", "<mailto:unsub@vendor-news.example>"), ("Precedence", "bulk")],
            )
            count += 1
        else:
            colleague = f"{rng.choice(FIRST).lower()}@contoso.com"
            fake.add_message(
                "inbox",
                sender=colleague,
                to=[me],
                subject="Team update",
                body=rng.choice(NOISE),
                sent=at,
                conversation_id=conv,
            )
            count += 1
    return box
