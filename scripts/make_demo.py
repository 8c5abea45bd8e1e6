"""Regenerate the bundled demo mailbox and calendar (followup_sync/demo/).

The demo is a week in the life of Dana Reyes, an account executive at Northwind (America/New_York), around
Wednesday 2026-03-18 16:00 local time: every follow-up kind appears, with the cases that must NOT produce a
reminder beside them (answered quotes, a recap already sent, newsletters, colleagues, an out-of-office reply).
Written for the project; no real mail. Run: .venv/bin/python scripts/make_demo.py
"""

from __future__ import annotations

import shutil
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent / "followup_sync" / "demo"
NY = ZoneInfo("America/New_York")
DANA = "Dana Reyes <dana.reyes@northwind.example>"
SIG = "\n\nBest regards,\nDana Reyes\nAccount Executive | Northwind\n+1 (617) 555-0134"

# folder, id, date (local), from, to, subject, body, extra headers, attachments, in-reply-to
MAIL: list[dict[str, object]] = [
    # Acme: Mark asks, Dana answers (quoting him), then promises a call on Thursday at 2pm.
    dict(
        folder="",
        id="acme-1",
        at=(2026, 3, 16, 9, 5),
        frm="Mark Chen <mark.chen@acme.example>",
        to=[DANA],
        subject="Rollout questions",
        body="Hi Dana,\n\nCould we talk this week about the rollout? Tuesday afternoon works for me.\n\nMark\n\n"
        "Mark Chen\nHead of IT | Acme Corporation\nMobile: +1 (617) 555-0199\nwww.acme.example",
    ),
    dict(
        folder=".Sent",
        id="acme-2",
        at=(2026, 3, 16, 10, 20),
        frm=DANA,
        to=["Mark Chen <mark.chen@acme.example>"],
        subject="RE: Rollout questions",
        reply_to="acme-1",
        body="Hi Mark,\n\nTuesday at 3pm works. Talk then."
        + SIG
        + "\n\n-----Original Message-----\nFrom: Mark Chen\nSent: Monday, March 16, 2026 9:05 AM\n"
        "To: Dana Reyes\nSubject: Rollout questions\n\nCould we talk this week about the rollout? "
        "I'll call you Friday if not.",
    ),
    dict(
        folder=".Sent",
        id="acme-3",
        at=(2026, 3, 17, 15, 10),
        frm=DANA,
        to=["Mark Chen <mark.chen@acme.example>"],
        subject="Rollout plan",
        body="Hi Mark,\n\nThanks for the time today. I'll call you Thursday at 2pm to walk through the rollout "
        "plan and answer the IT questions." + SIG,
    ),
    # Globex: a promise that is now overdue (the 2027 in the subject is not a date).
    dict(
        folder=".Sent",
        id="globex-1",
        at=(2026, 3, 12, 11, 30),
        frm=DANA,
        to=["Priya Nair <priya.nair@globex.example>"],
        subject="Pricing for the 2027 renewal",
        body="Hi Priya,\n\nGood news: finance approved the volume discount. I'll send the revised pricing by "
        "Monday.\n\nThanks,\nDana",
    ),
    # Initech: a promise kept the next day.
    dict(
        folder=".Sent",
        id="initech-1",
        at=(2026, 3, 9, 14, 0),
        frm=DANA,
        to=["Tom Baker <tom.baker@initech.example>"],
        subject="Case study",
        body="Hi Tom,\n\nGreat meeting you at the expo. I'll send you the Contoso case study tomorrow." + SIG,
    ),
    dict(
        folder=".Sent",
        id="initech-2",
        at=(2026, 3, 10, 10, 0),
        frm=DANA,
        to=["Tom Baker <tom.baker@initech.example>"],
        subject="RE: Case study",
        reply_to="initech-1",
        attachments=["Contoso-case-study.pdf"],
        body="Hi Tom,\n\nAs promised, here is the case study.\n\nDana",
    ),
    # Umbrella: a quote awaiting a reply.
    dict(
        folder=".Sent",
        id="umbrella-1",
        at=(2026, 3, 16, 16, 45),
        frm=DANA,
        to=["Lisa Wong <lisa.wong@umbrella.example>"],
        subject="Quote Q-2291 for 250 seats",
        attachments=["Quote-Q-2291.pdf"],
        body="Hi Lisa,\n\nAttached is our quote for 250 seats, valid until April 30. Could you let me know "
        "whether this works for your budget?" + SIG,
    ),
    # Hooli: a proposal, answered only by an out-of-office reply naming the return date.
    dict(
        folder=".Sent",
        id="hooli-1",
        at=(2026, 3, 16, 11, 0),
        frm=DANA,
        to=["Raj Gupta <raj.gupta@hooli.example>"],
        subject="Proposal: analytics add-on",
        attachments=["Hooli-Proposal.pdf"],
        body="Hi Raj,\n\nPlease find attached our proposal for the analytics add-on. Can you review it with "
        "your team and tell me if you have questions?" + SIG,
    ),
    dict(
        folder="",
        id="hooli-2",
        at=(2026, 3, 16, 11, 1),
        frm="Raj Gupta <raj.gupta@hooli.example>",
        to=[DANA],
        subject="Automatic reply: Proposal: analytics add-on",
        reply_to="hooli-1",
        headers={"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
        body="I am out of the office until Monday, March 23 with limited access to email. For urgent "
        "matters please contact support@hooli.example.",
    ),
    # Stark: a quote answered (Outlook-style reply without In-Reply-To, filed in a customer folder).
    dict(
        folder=".Sent",
        id="stark-1",
        at=(2026, 3, 9, 9, 30),
        frm=DANA,
        to=["Nina Ross <nina.ross@stark.example>"],
        subject="Quote for the support plan",
        attachments=["Stark-Support-Quote.pdf"],
        body="Hi Nina,\n\nAttached is the quote for the premium support plan. Does this match what you had "
        "in mind?\n\nDana",
    ),
    dict(
        folder=".Customers.Stark",
        id="stark-2",
        at=(2026, 3, 10, 8, 15),
        frm="Nina Ross <nina.ross@stark.example>",
        to=[DANA],
        subject="RE: Quote for the support plan",
        body="Hi Dana,\n\nYes, that matches. We'll go ahead and I'll send the PO next week.\n\nNina\n\n"
        "-----Original Message-----\nFrom: Dana Reyes\nSent: Monday, March 09, 2026 9:30 AM\nTo: Nina Ross\n"
        "Subject: Quote for the support plan\n\nAttached is the quote for the premium support plan.",
    ),
    # Initrode: the recap after Monday's demo was sent.
    dict(
        folder=".Sent",
        id="initrode-1",
        at=(2026, 3, 16, 15, 30),
        frm=DANA,
        to=["Carl White <carl.white@initrode.example>"],
        subject="Recap: Northwind demo",
        body="Hi Carl,\n\nThanks for joining the demo today. Here is a short recap and the next steps we "
        "agreed on." + SIG,
    ),
    # Vandelay: the customer's purchase order; Dana thanks them.
    dict(
        folder="",
        id="vandelay-1",
        at=(2026, 3, 13, 10, 0),
        frm="Olivia Grant <olivia.grant@vandelay.example>",
        to=[DANA],
        subject="PO 4711 - 40 licenses",
        attachments=["PO-4711.pdf"],
        body="Hi Dana,\n\nPlease find attached PO 4711 for 40 licenses. Delivery is planned for March 30, and "
        "we're looking forward to the go-live.\n\nOlivia\n\nOlivia Grant\n"
        "Procurement Lead, Vandelay Industries, Inc.\nTel. +1 212 555 0148 | Fax +1 212 555 0149",
    ),
    dict(
        folder=".Sent",
        id="vandelay-2",
        at=(2026, 3, 13, 11, 0),
        frm=DANA,
        to=["Olivia Grant <olivia.grant@vandelay.example>"],
        subject="RE: PO 4711 - 40 licenses",
        reply_to="vandelay-1",
        body="Hi Olivia,\n\nThank you for your order! I've passed it to our onboarding team.\n\nDana",
    ),
    # Wayne: a customer's questions still unanswered.
    dict(
        folder="",
        id="wayne-1",
        at=(2026, 3, 18, 8, 40),
        frm="Bruce Kent <bruce.kent@wayne.example>",
        to=[DANA],
        subject="Security questionnaire",
        body="Hi Dana,\n\nBefore we sign, could you send me your SOC 2 report? Also, can you confirm whether "
        "SSO is included in the standard tier?\n\nThanks,\nBruce\n--\nBruce Kent | CISO | Wayne Enterprises\n"
        "(201) 555-0123",
    ),
    # Soylent: a question answered the same day.
    dict(
        folder="",
        id="soylent-1",
        at=(2026, 3, 16, 12, 0),
        frm="Ellen Park <ellen.park@soylent.example>",
        to=[DANA],
        subject="Agenda for Wednesday?",
        body="Hi Dana,\n\nCan you send the agenda for Wednesday's call?\n\nEllen",
    ),
    dict(
        folder=".Sent",
        id="soylent-2",
        at=(2026, 3, 16, 12, 40),
        frm=DANA,
        to=["Ellen Park <ellen.park@soylent.example>"],
        subject="RE: Agenda for Wednesday?",
        reply_to="soylent-1",
        body="Hi Ellen,\n\nHere is the agenda: introductions, your current process, a short demo.\n\nDana",
    ),
    # Noise that must never become a reminder.
    dict(
        folder="",
        id="news-1",
        at=(2026, 3, 17, 7, 0),
        frm="SaaS Trends <news@saastrends.example>",
        to=["dana.reyes@northwind.example"],
        subject="This week in SaaS",
        headers={"List-Unsubscribe": "<https://saastrends.example/u/123>", "Precedence": "bulk"},
        body="Can you guess which startup raised $200M this week? Read our analysis and reply to tell us.",
    ),
    dict(
        folder="",
        id="docusign-1",
        at=(2026, 3, 17, 13, 0),
        frm="DocuSign <no-reply@docusign.example>",
        to=["dana.reyes@northwind.example"],
        subject="Completed: Vandelay order form",
        body="All parties have completed the envelope. Could you please review the document?",
    ),
    dict(
        folder="",
        id="sam-1",
        at=(2026, 3, 17, 17, 0),
        frm="Sam Patel <sam.patel@northwind.example>",
        to=[DANA],
        subject="Acme call",
        body="Dana, can you cover the Acme call tomorrow? I'll send you my notes tonight.",
    ),
    # Cyberdyne: a lead with three unanswered touches (cadence: one reminder, spaced, then it stops).
    dict(
        folder=".Sent",
        id="cyberdyne-1",
        at=(2026, 2, 23, 10, 0),
        frm=DANA,
        to=["Miles Dyson <miles.dyson@cyberdyne.example>"],
        subject="Northwind for Cyberdyne",
        body="Hi Miles,\n\nWould you have 20 minutes next week to see how Northwind could help your sales "
        "team?" + SIG,
    ),
    dict(
        folder=".Sent",
        id="cyberdyne-2",
        at=(2026, 3, 2, 10, 0),
        frm=DANA,
        to=["Miles Dyson <miles.dyson@cyberdyne.example>"],
        subject="RE: Northwind for Cyberdyne",
        reply_to="cyberdyne-1",
        body="Hi Miles,\n\nJust checking in: would a quick call next week work for you?\n\nDana",
    ),
    dict(
        folder=".Sent",
        id="cyberdyne-3",
        at=(2026, 3, 10, 9, 0),
        frm=DANA,
        to=["Miles Dyson <miles.dyson@cyberdyne.example>"],
        subject="RE: Northwind for Cyberdyne",
        reply_to="cyberdyne-2",
        body="Hi Miles,\n\nAre you the right person to talk to about sales tooling, or should I reach out to "
        "someone else on your team?\n\nDana",
    ),
    # Pied Piper: today's promise for early next week.
    dict(
        folder=".Sent",
        id="piper-1",
        at=(2026, 3, 18, 11, 0),
        frm=DANA,
        to=["George Lee <george.lee@piedpiper.example>"],
        subject="Next steps",
        body="Hi George,\n\nGreat chat this morning. I'll send over the contract draft early next week, once "
        "legal has signed off." + SIG,
    ),
]

MEETINGS = [
    (
        "soylent-discovery",
        "Soylent discovery call",
        (2026, 3, 18, 10, 0),
        (2026, 3, 18, 11, 0),
        ["ellen.park@soylent.example", "jim.hall@soylent.example"],
        None,
    ),
    (
        "initrode-demo",
        "Initrode: Northwind demo",
        (2026, 3, 16, 13, 0),
        (2026, 3, 16, 14, 0),
        ["carl.white@initrode.example"],
        None,
    ),
    (
        "pipeline-review",
        "Weekly pipeline review",
        (2026, 3, 2, 9, 0),
        (2026, 3, 2, 9, 30),
        ["sam.patel@northwind.example"],
        "FREQ=WEEKLY;BYDAY=MO;COUNT=10",
    ),
    (
        "wayne-signing",
        "Wayne Enterprises: contract review",
        (2026, 3, 24, 15, 0),
        (2026, 3, 24, 16, 0),
        ["bruce.kent@wayne.example"],
        None,
    ),
]


def _mail(spec: dict[str, object]) -> bytes:
    msg = EmailMessage()
    msg["From"] = str(spec["frm"])
    msg["To"] = ", ".join(spec["to"])  # type: ignore[arg-type]
    msg["Subject"] = str(spec["subject"])
    msg["Date"] = format_datetime(datetime(*spec["at"], tzinfo=NY))  # type: ignore[misc]
    msg["Message-ID"] = f"<{spec['id']}@demo.northwind.example>"
    if spec.get("reply_to"):
        ref = f"<{spec['reply_to']}@demo.northwind.example>"
        msg["In-Reply-To"] = ref
        msg["References"] = ref
    for name, value in dict(spec.get("headers") or {}).items():  # type: ignore[call-overload]
        msg[name] = value
    msg.set_content(str(spec["body"]) + "\n")
    for name in spec.get("attachments") or []:  # type: ignore[attr-defined]
        msg.add_attachment(b"%PDF-1.4 demo attachment\n", maintype="application", subtype="pdf", filename=name)
    if msg.is_multipart():
        msg.set_boundary(f"==demo-{spec['id']}==")  # fixed, so regenerating gives the same bytes
    return bytes(msg)


def _ics() -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//followup-sync//demo//EN"]
    for uid, summary, start, end, attendees, rrule in MEETINGS:
        s = datetime(*start, tzinfo=NY).astimezone(ZoneInfo("UTC"))
        e = datetime(*end, tzinfo=NY).astimezone(ZoneInfo("UTC"))
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}@demo.northwind.example",
            "DTSTAMP:20260301T000000Z",
            f"DTSTART:{s:%Y%m%dT%H%M%SZ}",
            f"DTEND:{e:%Y%m%dT%H%M%SZ}",
            f"SUMMARY:{summary}",
            "ORGANIZER;CN=Dana Reyes:mailto:dana.reyes@northwind.example",
        ]
        lines += [f"ATTENDEE;ROLE=REQ-PARTICIPANT:mailto:{a}" for a in attendees]
        if rrule:
            lines.append(f"RRULE:{rrule}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def main() -> None:
    box = ROOT / "mailbox"
    if box.exists():
        shutil.rmtree(box)
    for n, spec in enumerate(MAIL, 1):
        folder = box / str(spec["folder"]) if spec["folder"] else box
        # only cur/: git keeps no empty folders, and the reader treats missing new/ and tmp/ as empty
        (folder / "cur").mkdir(parents=True, exist_ok=True)
        if spec["folder"]:
            (folder / "maildirfolder").touch()
        # Maildir names without ":2,S" flags: a colon is not allowed in Windows file names.
        (folder / "cur" / f"17730{n:05d}.demo{n:02d}.northwind").write_bytes(_mail(spec))
    (ROOT / "meetings.ics").write_text(_ics(), encoding="utf-8", newline="")
    print(f"wrote {len(MAIL)} messages and {len(MEETINGS)} meetings under {ROOT}")


if __name__ == "__main__":
    main()
