"""Zoning: the author's own text survives, quoted/forwarded text, signatures and disclaimers never do."""

from __future__ import annotations

import time

import pytest

from followup_sync.text.zoning import author_text, html_to_text, sentences

# (name, body, must contain, must not contain)
PLAIN_CASES = [
    (
        "outlook original message",
        "Hi Tom,\n\nI'll send the revised pricing by Friday.\n\nJane\n\n -----Original Message-----\n"
        "From: \tTom Baker\nSent:\tMonday, March 2, 2026 9:14 AM\nTo:\tJane Doe\nSubject:\tPricing\n\n"
        "Can you send me the pricing? I will call you tomorrow.\n",
        ["I'll send the revised pricing by Friday."],
        ["Can you send me", "I will call you tomorrow", "Original Message", "Subject"],
    ),
    (
        "outlook express dashes",
        "Sounds good, see you then.\n\n----- Original Message -----\nFrom: Bob\nTo: Jane\nSent: Tue\n\nquoted\n",
        ["Sounds good, see you then."],
        ["quoted", "Original"],
    ),
    (
        "gmail attribution one line",
        "Thanks, I will confirm the slot tomorrow.\n\nOn Mon, Mar 2, 2026 at 10:15 AM Tom <tom@example.com> "
        "wrote:\n> Could you confirm the slot?\n> Tom\n",
        ["I will confirm the slot tomorrow."],
        ["Could you confirm", "wrote"],
    ),
    (
        "gmail attribution wrapped",
        "Will do.\n\nOn Mon, Mar 2, 2026 at 10:15 AM Tom Baker <\ntom.baker@example.com> wrote:\n\n> old text\n",
        ["Will do."],
        ["old text", "On Mon", "tom.baker"],
    ),
    (
        "attribution wrapped before wrote",
        "Agreed.\n\nOn 02/03/2026 10:15, Tom Baker\nwrote:\nthe old text without quote marks\n",
        ["Agreed."],
        ["old text", "On 02/03"],
    ),
    (
        "german attribution",
        "Danke, ich rufe Sie morgen an.\n\nAm 02.03.2026 um 10:15 schrieb Tom Baker <tom@example.de>:\n> Alt\n",
        ["ich rufe Sie morgen an"],
        ["Alt", "schrieb"],
    ),
    (
        "french attribution",
        "Merci, je vous envoie le devis.\n\nLe lun. 2 mars 2026 à 10:15, Tom <tom@example.fr> a écrit :\n"
        "> Ancien\n",
        ["je vous envoie le devis"],
        ["Ancien", "écrit"],
    ),
    (
        "spanish attribution",
        "Gracias.\n\nEl lun, 2 mar 2026 a las 10:15, Tom (<tom@example.es>) escribió:\n> Viejo\n",
        ["Gracias."],
        ["Viejo"],
    ),
    (
        "outlook underscore separator with header",
        "Please find the proposal attached.\n\n________________________________\nFrom: Tom Baker "
        "<tom@example.com>\nSent: Monday, March 2, 2026 9:14 AM\nTo: Jane\nSubject: RE: offer\n\nOld offer text\n",
        ["Please find the proposal attached."],
        ["Old offer text", "From:"],
    ),
    (
        "header block without separator",
        "See below.\n\nFrom: Tom Baker [mailto:tom@example.com]\nSent: Monday, March 2, 2026 9:14 AM\n"
        "To: Jane Doe\nSubject: RE: offer\n\nOld offer text\n",
        ["See below."],
        ["Old offer text"],
    ),
    (
        "german outlook header",
        "Anbei das Angebot.\n\nVon: Tom Baker <tom@example.de>\nGesendet: Montag, 2. März 2026 09:14\n"
        "An: Jane\nBetreff: Angebot\n\nAlter Text\n",
        ["Anbei das Angebot."],
        ["Alter Text"],
    ),
    (
        "begin forwarded message",
        "FYI - see below.\n\nBegin forwarded message:\n\nFrom: Tom\nSubject: x\n\nforwarded body\n",
        ["FYI - see below."],
        ["forwarded body"],
    ),
    (
        "gmail forwarded",
        "Forwarding this.\n\n---------- Forwarded message ---------\nFrom: Tom <t@example.com>\n"
        "Date: Mon\n\nbody\n",
        ["Forwarding this."],
        ["body", "Forwarded"],
    ),
    (
        "enron forwarded by banner",
        "Please review and call me.\n---------------------- Forwarded by Jane Doe/HOU/ECT on 05/14/2001 09:12 AM "
        "---------------------------\n\nTom Baker\n05/13/2001 04:30 PM\nTo: Jane Doe/HOU/ECT@ECT\ncc:\n"
        "Subject: Volumes\n\nThe volumes are attached.\n",
        ["Please review and call me."],
        ["volumes are attached", "Forwarded by"],
    ),
    (
        "lotus notes block with name and date above",
        "I agree, let's meet Tuesday.\n\n\n\n\nTom Baker\n05/13/2001 04:30 PM\nTo:\tJane Doe/HOU/ECT@ECT\n"
        "cc:\tBill Smith/HOU/ECT@ECT\nSubject:\tVolumes\n\nThe volumes are attached.\n",
        ["let's meet Tuesday"],
        ["volumes are attached", "Tom Baker", "05/13/2001"],
    ),
    (
        "lotus from on date",
        "Glad you are back.  Lynn\n\n\nFrom:\tTom Baker/ENRON@enronXgate on 06/22/2001 09:18 AM\n"
        "To:\tJane Doe/ET&S/Enron@ENRON\ncc:\t \n\nSubject:\tFW: Concerns \n\nI agree with Larry.\n",
        ["Glad you are back."],
        ["I agree with Larry"],
    ),
    (
        "sent from my iphone",
        "I'll call you at 3.\n\nSent from my iPhone\n\nOn Mar 2, 2026, at 10:15, Tom wrote:\n> old\n",
        ["I'll call you at 3."],
        ["iPhone", "old"],
    ),
    (
        "outlook for android",
        "Ok, will do.\n\nGet Outlook for Android\n________________________________\nFrom: Tom\nSent: x\n",
        ["Ok, will do."],
        ["Android"],
    ),
    (
        "dash dash signature",
        "I will send the contract tomorrow.\n-- \nJane Doe | Acme | +1 555 0100\n",
        ["I will send the contract tomorrow."],
        ["Acme", "555"],
    ),
    (
        "best regards signature block",
        "Hi Tom,\n\nI'll get back to you on the discount by Monday.\n\nBest regards,\nJane Doe\n"
        "Account Executive\nAcme Corp.\nPhone: +1 (555) 010-0100\n",
        ["I'll get back to you on the discount by Monday."],
        ["Best regards", "Account Executive", "010-0100"],
    ),
    (
        "thanks name signature",
        "I'll check with shipping and let you know.\n\nThanks,\nJane\n",
        ["let you know."],
        ["Jane"],
    ),
    (
        "disclaimer",
        "I'll send it Friday.\n\nThis email and any attachments are confidential and intended solely for the "
        "addressee. If you received it in error, please delete it. We will never ask for your password.\n",
        ["I'll send it Friday."],
        ["confidential", "We will never ask"],
    ),
    (
        "confidentiality notice",
        "Call me tomorrow.\n\nCONFIDENTIALITY NOTICE: The contents of this email message are confidential.\n",
        ["Call me tomorrow."],
        ["CONFIDENTIALITY"],
    ),
    (
        "quote at end",
        "Yes, Thursday works.\n\n> Does Thursday work for you?\n> I will bring the samples.\n",
        ["Yes, Thursday works."],
        ["Does Thursday", "samples"],
    ),
    (
        "inline reply keeps answers and drops quotes",
        "On Mon, Tom wrote:\n> Can you send the quote?\nYes, I'll send it today.\n> And the samples?\n"
        "I'll ship them Monday.\n",
        ["I'll send it today.", "I'll ship them Monday."],
        ["Can you send the quote", "samples?", "Tom wrote"],
    ),
    (
        "nested quotes after original",
        "Ok.\n>  -----Original Message-----\n> From: x\n> > deeper\n",
        ["Ok."],
        ["deeper", "Original"],
    ),
    (
        "odd whitespace and CRLF",
        "  Hi Tom,\r\n\r\n\r\n\r\nI'll call\xa0you\ttomorrow.  \r\n\r\n-----Original Message-----\r\nFrom: T\r\n",
        ["I'll call you\ttomorrow."],
        ["Original", "\r"],
    ),
    (
        "non ascii",
        "Grüße aus Köln – ich schicke Ihnen das Angebot (€ 4.500) bis Freitag. 日本語もOK。\n\n"
        "-----Ursprüngliche Nachricht-----\nVon: Tom\nGesendet: Montag\nAn: Jane\nBetreff: x\n\nalt\n",
        ["ich schicke Ihnen das Angebot", "日本語"],
        ["alt", "Ursprüngliche"],
    ),
]


@pytest.mark.parametrize(("name", "body", "keep", "drop"), PLAIN_CASES, ids=[c[0] for c in PLAIN_CASES])
def test_author_text_plain(name: str, body: str, keep: list[str], drop: list[str]) -> None:
    text = author_text(body)
    for piece in keep:
        assert piece in text, (name, text)
    for piece in drop:
        assert piece not in text, (name, text)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", ""),
        ("   \n\n  ", ""),
        ("Thanks!", "Thanks!"),
        ("Thanks,\nJane", "Thanks,"),
        ("Got it.\n\nThanks,\nJane\n\n-----Original Message-----\nFrom: a\nSent: b\n", "Got it."),
        ("-----Original Message-----\nFrom: Tom\nSent: x\nTo: y\n\nonly quoted\n", ""),
    ],
)
def test_author_text_edges(body: str, expected: str) -> None:
    assert author_text(body) == expected


@pytest.mark.parametrize(
    ("body", "kept"),
    [
        (
            "Julie, we got the 50 books.\nThanks.\nThe book was an instant hit.\nWe need 50 more books.\nVince",
            "We need 50 more books.",
        ),
        (
            "Could you print these for me?\nThanks.\nFYI: I'm at training from 2:30 to 4:30 today.\nKay",
            "FYI: I'm at training from 2:30 to 4:30 today.",
        ),
        (
            "Here is the draft.\nThanks,\nJane\nP.S. I'll call you tomorrow about the rest.",
            "I'll call you tomorrow",
        ),
        ("Please fax it to Cargill.\nThanks.\nSara ps - the file is on your chair", "the file is on your chair"),
    ],
)
def test_text_after_a_mid_message_thanks_is_kept(body: str, kept: str) -> None:
    assert kept in author_text(body)


def test_sign_off_words_inside_a_sentence_are_kept() -> None:
    body = "Thanks for the call.\nBest time to reach me is after 3, I'll be at my desk.\n"
    assert author_text(body) == body.strip()


def test_author_text_does_not_cut_on_mid_sentence_from() -> None:
    body = "Here is the plan\nfrom: the warehouse team will ship Monday.\nI'll confirm by noon.\n"
    assert "I'll confirm by noon." in author_text(body)


HTML_CASES = [
    (
        "outlook html reply",
        "<html><head><style>p.MsoNormal{margin:0}</style></head><body><div class=WordSection1>"
        "<p class=MsoNormal>Hi Tom,<o:p></o:p></p><p class=MsoNormal>I&#8217;ll send the quote by Friday."
        "</p><div id=divRplyFwdMsg><b>From:</b> Tom<br><b>Sent:</b> Monday<br><b>To:</b> Jane</div>"
        "<p>Old question?</p></div></body></html>",
        ["Hi Tom,", "I\u2019ll send the quote by Friday."],
        ["Old question", "MsoNormal", "margin"],
    ),
    (
        "gmail html with quote",
        '<div dir="ltr">Sounds good &amp; thanks!<br><br>I&#39;ll call you Monday.</div><br>'
        '<div class="gmail_quote"><div class="gmail_attr">On Mon, Tom wrote:<br></div>'
        '<blockquote class="gmail_quote">Can you <b>call</b> me?</blockquote></div>',
        ["Sounds good & thanks!", "I'll call you Monday."],
        ["Can you", "wrote"],
    ),
    (
        "script and blockquote",
        "<p>Visible</p><script>var x = 'hidden';</script><blockquote><p>quoted <blockquote>deeper</blockquote>"
        "still quoted</p></blockquote><p>After&nbsp;quote</p>",
        ["Visible", "After quote"],
        ["hidden", "quoted", "deeper"],
    ),
    (
        "html plain header block",
        "<div>Attached is our proposal.</div><hr><div><b>From:</b> Tom<br><b>Sent:</b> Monday<br>"
        "<b>Subject:</b> RFQ</div><div>Please quote 20 units.</div>",
        ["Attached is our proposal."],
        ["Please quote"],
    ),
]


@pytest.mark.parametrize(("name", "html", "keep", "drop"), HTML_CASES, ids=[c[0] for c in HTML_CASES])
def test_author_text_html(name: str, html: str, keep: list[str], drop: list[str]) -> None:
    text = author_text(html, is_html=True)
    for piece in keep:
        assert piece in text, (name, text)
    for piece in drop:
        assert piece not in text, (name, text)


def test_html_to_text_structure() -> None:
    html = "<p>One</p><p>Two<br>Three</p><ul><li>a</li><li>b</li></ul><table><tr><td>x</td><td>y</td></tr></table>"
    assert html_to_text(html) == "One\n\nTwo\nThree\n\n- a\n- b\n\nx y"


def test_html_to_text_entities_and_broken_markup() -> None:
    assert html_to_text("caf&eacute; &lt;b&gt; &#8364;5 <b>bold") == "café <b> €5 bold"
    assert html_to_text("") == ""


SENTENCE_CASES = [
    ("Mr. Smith will call. He is busy.", ["Mr. Smith will call.", "He is busy."]),
    ("Send it e.g. by mail. Thanks!", ["Send it e.g. by mail.", "Thanks!"]),
    ("I'll call at 3 p.m. Friday. Ok?", ["I'll call at 3 p.m. Friday.", "Ok?"]),
    ("We meet at 10 a.m. Please be on time.", ["We meet at 10 a.m.", "Please be on time."]),
    ("The price is 3.5 per unit. The U.S. team agrees.", ["The price is 3.5 per unit.", "The U.S. team agrees."]),
    ("Can you send it? I need it today!", ["Can you send it?", "I need it today!"]),
    (
        "I wanted to let you know that we\nreceived the order and will ship\nit on Monday.",
        ["I wanted to let you know that we received the order and will ship it on Monday."],
    ),
    ("Hi John,\nCan you call me?", ["Hi John,", "Can you call me?"]),
    (
        "Next steps:\n- send pricing\n- book a demo\n1. sign contract",
        ["Next steps:", "- send pricing", "- book a demo", "1. sign contract"],
    ),
    ("Item No. 5 is ready. Call J. Smith today.", ["Item No. 5 is ready.", "Call J. Smith today."]),
    ('Ask "why?" Then wait.', ['Ask "why?"', "Then wait."]),
    ("Try ACT! after the trial. Call ext. 4711 today.", ["Try ACT! after the trial.", "Call ext. 4711 today."]),
    ("Great news!! We won.", ["Great news!!", "We won."]),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), SENTENCE_CASES)
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


PATHOLOGICAL = [
    "a" * 1_000_000,
    "On " + "x " * 500_000,
    "> " * 500_000,
    ">\n" * 250_000 + "answer\n",
    ("> q\na\n" * 100_000),
    "From: " * 170_000,
    "To: x\n" * 170_000,
    ("-" * 60 + "\n") * 16_000,
    "Mr. " * 250_000,
    "word. " * 170_000,
    ("wrote " * 50 + "\n") * 3_000,
    " " * 1_000_000,
    "Thanks,\n" * 125_000,
]


@pytest.mark.parametrize("body", PATHOLOGICAL, ids=range(len(PATHOLOGICAL)))
def test_huge_bodies_stay_fast(body: str) -> None:
    started = time.perf_counter()
    text = author_text(body)
    sentences(text[:200_000])
    html_to_text("<div>" + body[:300_000] + "</div>")
    assert time.perf_counter() - started < 2.0
