"""The command-line contract: demo, sync (table/json/dry-run), detect, init, purge and error wording."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner

from followup_sync.cli import cli

KINDS = {"promise", "awaiting_reply", "meeting_recap", "after_sale", "unanswered_inbound"}


def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


@pytest.fixture(scope="module")
def demo_json(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:  # type: ignore[type-arg]
    out = tmp_path_factory.mktemp("demo")
    result = invoke("demo", "--out", str(out), "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output), out


def test_demo_finds_every_kind_and_writes_a_valid_ics(demo_json) -> None:  # type: ignore[no-untyped-def]
    doc, out = demo_json
    kinds = {a["followup"]["kind"] for a in doc["actions"]}
    assert kinds == KINDS
    assert all(a["op"] == "create" for a in doc["actions"])
    cal = icalendar.Calendar.from_ical((out / "reminders.ics").read_bytes())
    events = list(cal.walk("VEVENT"))
    assert len(events) == len(doc["actions"])
    assert {str(e["UID"]) for e in events} == {f"{a['followup']['id']}@followup-sync" for a in doc["actions"]}


#: The JSON plan's fields as of its first release: a later version may add fields, never remove or rename one
#: (README, "sync --format json"). Pinned here so that a change to report.to_json cannot break a consumer.
CONTRACT_TOP = {"now", "actions"}
CONTRACT_ACTION = {"op", "followup", "reminder"}
CONTRACT_FOLLOWUP = {"id", "kind", "contacts", "due", "channel", "evidence", "thread_subject", "source_message_id"}
CONTRACT_REMINDER = {"start", "end", "subject"}


def test_demo_json_follows_the_contract(demo_json) -> None:  # type: ignore[no-untyped-def]
    doc, _out = demo_json
    assert doc["now"] == "2026-03-18T16:00:00-04:00"
    assert set(doc) >= CONTRACT_TOP
    for action in doc["actions"]:
        f, r = action["followup"], action["reminder"]
        assert set(action) >= CONTRACT_ACTION
        assert set(f) >= CONTRACT_FOLLOWUP, CONTRACT_FOLLOWUP - set(f)
        assert set(r) >= CONTRACT_REMINDER, CONTRACT_REMINDER - set(r)
        assert f["channel"] in {"call", "email", "meeting", "other", None}
        assert f["due"][-6:] in {"-04:00", "-05:00"}
        assert r["start"] < r["end"]
        assert f["contacts"] and all("@" in c for c in f["contacts"])


def test_demo_reminds_of_what_is_owed_and_nothing_else(demo_json) -> None:  # type: ignore[no-untyped-def]
    doc, _out = demo_json
    by_contact = {c: a for a in doc["actions"] for c in a["followup"]["contacts"]}
    assert by_contact["mark.chen@acme.example"]["followup"]["kind"] == "promise"
    assert by_contact["mark.chen@acme.example"]["followup"]["due"] == "2026-03-19T14:00:00-04:00"
    assert by_contact["mark.chen@acme.example"]["followup"]["channel"] == "call"
    assert by_contact["lisa.wong@umbrella.example"]["followup"]["kind"] == "awaiting_reply"
    # the out-of-office reply names Monday 23 March: the reminder waits for it
    assert by_contact["raj.gupta@hooli.example"]["reminder"]["start"] >= "2026-03-23T09:00"
    assert by_contact["bruce.kent@wayne.example"]["followup"]["kind"] == "unanswered_inbound"
    assert by_contact["olivia.grant@vandelay.example"]["followup"]["kind"] == "after_sale"
    assert by_contact["olivia.grant@vandelay.example"]["followup"]["due"] >= "2026-03-30"
    recap = [a for a in doc["actions"] if a["followup"]["kind"] == "meeting_recap"]
    assert {c for a in recap for c in a["followup"]["contacts"]} == {
        "ellen.park@soylent.example",
        "jim.hall@soylent.example",
    }
    # answered, done, internal or automatic: no reminder
    for contact in (
        "tom.baker@initech.example",
        "nina.ross@stark.example",
        "carl.white@initrode.example",
        "news@saastrends.example",
        "no-reply@docusign.example",
        "sam.patel@northwind.example",
    ):
        assert contact not in by_contact
    # one reminder for the lead written to three times, not three
    assert sum(1 for a in doc["actions"] if "miles.dyson@cyberdyne.example" in a["followup"]["contacts"]) == 1


def test_demo_again_changes_nothing(demo_json) -> None:  # type: ignore[no-untyped-def]
    _doc, out = demo_json
    before = (out / "reminders.ics").read_bytes()
    result = invoke("demo", "--out", str(out), "--format", "json")
    assert result.exit_code == 0
    assert {a["op"] for a in json.loads(result.output)["actions"]} == {"keep"}
    assert (out / "reminders.ics").read_bytes() == before


def test_demo_table_is_a_readable_review(tmp_path: Path) -> None:
    result = invoke("demo", "--out", str(tmp_path), "--dry-run")
    assert result.exit_code == 0
    assert "dry run, nothing written" in result.output
    for kind in KINDS:
        assert kind in result.output
    assert "I'll call you Thursday at 2pm" in result.output
    assert not (tmp_path / "reminders.ics").exists()
    assert not (tmp_path / "state.db").exists()


def write_config(tmp_path: Path, **sections: dict[str, object]) -> Path:
    base: dict[str, dict[str, object]] = {
        "identity": {"addresses": ["dana@northwind.example"], "timezone": "Europe/Berlin"},
        "mail": {"backend": "eml", "path": str(tmp_path / "mail")},
        "meetings": {"backend": "none"},
        "reminders": {"backend": "ics", "path": str(tmp_path / "reminders.ics")},
        "state": {"path": str(tmp_path / "state.db")},
    }
    base.update(sections)
    lines = []
    for name, table in base.items():
        lines.append(f"[{name}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in table.items()]
    (tmp_path / "mail").mkdir(exist_ok=True)
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


EML = (
    "From: Dana <dana@northwind.example>\nTo: Max <max@kunde.example>\nSubject: Angebot\n"
    "Date: Mon, 16 Mar 2026 10:00:00 +0100\nMessage-ID: <a1@northwind.example>\n\n"
    "Hi Max,\n\nI'll send you the signed contract on Friday.\n\nDana\n"
)


def test_sync_json_then_idempotent(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    (tmp_path / "mail" / "a1.eml").write_text(EML)
    first = invoke("sync", "--config", str(path), "--format", "json", "--now", "2026-03-17T09:00")
    assert first.exit_code == 0, first.output
    doc = json.loads(first.output)
    assert doc["now"] == "2026-03-17T09:00:00+01:00"
    [action] = doc["actions"]
    assert action["op"] == "create"
    assert action["followup"]["source_message_id"] == "a1@northwind.example"
    assert action["followup"]["due"].startswith("2026-03-20")
    again = invoke("sync", "--config", str(path), "--format", "json", "--now", "2026-03-17T09:05")
    assert [a["op"] for a in json.loads(again.output)["actions"]] == ["keep"]


def test_sync_dry_run_writes_nothing(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    (tmp_path / "mail" / "a1.eml").write_text(EML)
    result = invoke("sync", "--config", str(path), "--dry-run", "--now", "2026-03-17T09:00")
    assert result.exit_code == 0
    assert "create" in result.output
    assert not (tmp_path / "reminders.ics").exists()
    assert not (tmp_path / "state.db").exists()


def test_bad_config_names_every_wrong_key_without_traceback(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        rules={"awaiting_reply_days": "three", "colour": "blue"},
        schedule={"working_days": ["mon", "funday"]},
    )
    result = CliRunner().invoke(cli, ["sync", "--config", str(path)])
    assert result.exit_code == 1
    assert "rules.awaiting_reply_days" in result.output
    assert "rules.colour: unknown key" in result.output
    assert "schedule.working_days" in result.output
    assert "Traceback" not in result.output


def test_missing_config_says_how_to_make_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sync", "--config", str(tmp_path / "nope.toml")])
    assert result.exit_code == 1
    assert "followup-sync init" in result.output


def test_invalid_toml_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[identity\naddresses = ")
    result = CliRunner().invoke(cli, ["sync", "--config", str(path)])
    assert result.exit_code == 1
    assert "is not valid TOML" in result.output


def test_detect_reads_and_writes_json_lines() -> None:
    lines = [
        {
            "id": "1",
            "text": "Hi Ann,\n\nI'll call you Thursday at 2pm.\n\nBob",
            "sent_at": "2026-03-18T10:00:00-04:00",
        },
        {"id": "2", "text": "Could you call me tomorrow?", "sent_at": "2026-03-18T10:00:00-04:00"},
        {"id": "3", "text": "Thanks!\n\n> I'll call you Monday."},
    ]
    stdin = "\n".join(json.dumps(x) for x in lines) + "\n"
    result = invoke("detect", "--timezone", "America/New_York", input=stdin)
    assert result.exit_code == 0
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o["id"] for o in out] == ["1", "2", "3"]
    [promise] = out[0]["promises"]
    assert promise["channel"] == "call"
    assert promise["due"] == "2026-03-19T14:00:00-04:00"
    assert set(promise) == {"sentence", "action", "channel", "due"}
    assert out[1]["promises"] == [] and out[2]["promises"] == []


def test_detect_skips_a_bad_line_with_one_message() -> None:
    result = CliRunner().invoke(cli, ["detect"], input='{"id": "1", "text": "I will email you."}\nnot json\n')
    assert result.exit_code == 1
    assert result.output.count('"id"') == 1
    assert "line 2" in result.output


def test_init_writes_a_valid_config_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "cfg" / "config.toml"
    maildir = tmp_path / "Maildir"
    maildir.mkdir()
    answers = f"dana@northwind.example\nEurope/Berlin\nmaildir\n{maildir}\nnone\nics\n{tmp_path / 'r.ics'}\n"
    result = invoke("init", "--config", str(target), input=answers)
    assert result.exit_code == 0, result.output
    assert target.stat().st_mode & 0o777 == 0o600
    from followup_sync import config as configmod

    cfg = configmod.load(target)
    assert cfg.identity.addresses == ("dana@northwind.example",)
    assert cfg.mail.backend == "maildir"
    again = CliRunner().invoke(cli, ["init", "--config", str(target)], input=answers)
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_purge_removes_only_our_reminders(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    (tmp_path / "mail" / "a1.eml").write_text(EML)
    invoke("sync", "--config", str(path), "--now", "2026-03-17T09:00")
    listed = invoke("purge", "--config", str(path), "--dry-run")
    assert "1 reminder(s) of ours" in listed.output
    done = invoke("purge", "--config", str(path), "--yes")
    assert "Deleted 1 reminder(s)" in done.output
    cal = icalendar.Calendar.from_ical((tmp_path / "reminders.ics").read_bytes())
    assert list(cal.walk("VEVENT")) == []
    # the purged follow-up does not come back on the next pass
    after = invoke("sync", "--config", str(path), "--format", "json", "--now", "2026-03-17T09:10")
    assert json.loads(after.output)["actions"] == []


def test_every_error_of_ours_reads_as_one_sentence_without_the_unexpected_hint() -> None:
    import errno

    from followup_sync import errors
    from followup_sync.cli import handle_error

    samples = [
        errors.UserError("x", problems=["a: b"]),
        errors.ConfigError("bad config"),
        errors.CredentialsError("run `followup-sync login`"),
        errors.BackendError("boom", backend="ics"),
        errors.TransientError("timed out", backend="graph"),
        errors.PreconditionFailed("etag", backend="caldav", href="x.ics"),
        errors.SinkEmptied(sink="graph", expected=4),
        errors.AlreadyRunning(lock_path="/tmp/s.lock", holder="pid 1"),
        errors.SourceMissing("[mail] folder not found: /m", backend="maildir", path="/m"),
        OSError(errno.ENOSPC, "No space left on device"),
    ]
    for exc in samples:
        message, code = handle_error(exc)
        assert message.startswith("error: ") and code == 1, message
        assert "unexpected" not in message
    assert "--force" in handle_error(errors.SinkEmptied(sink="graph", expected=4))[0]
    assert "the next pass will try again" in handle_error(errors.TransientError("t", backend="graph"))[0]
    assert handle_error(KeyError("k"))[0] == "error: unexpected KeyError: 'k' (run with -v for the traceback)"


def test_a_malformed_message_is_skipped_with_one_line_and_the_pass_goes_on(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    (tmp_path / "mail" / "a1.eml").write_text(EML)
    (tmp_path / "mail" / "broken.eml").write_bytes(
        b"From: x@y.example\nSubject: =?bogus?Q?x?=\n\nno date, no id\n"
    )
    result = CliRunner().invoke(
        cli, ["-v", "sync", "--config", str(path), "--format", "json", "--now", "2026-03-17T09:00"]
    )
    assert result.exit_code == 0, result.output
    assert [a["op"] for a in json.loads(result.stdout)["actions"]] == ["create"]
    assert "broken.eml" in result.stderr and "Traceback" not in result.stderr
    assert "1 messages read (1 skipped)" in result.stderr


def _broken(n: int) -> bytes:
    return f"From: x@y.example\nSubject: broken {n}\nMessage-ID: <broken{n}@y.example>\n\nno date\n".encode()


def test_skipped_messages_are_named_once_across_runs_and_summarised_per_pass(tmp_path: Path, home: Path) -> None:
    """Issue 10 item 12: a second run (a restarted daemon, the rep trying again) does not repeat every warning."""
    path = write_config(tmp_path)
    (tmp_path / "mail" / "a1.eml").write_text(EML)
    for n in range(3):
        (tmp_path / "mail" / f"broken{n}.eml").write_bytes(_broken(n))
    args = ["sync", "--config", str(path), "--format", "json", "--now", "2026-03-17T09:00"]

    first = CliRunner().invoke(cli, [*args, "--dry-run"])
    assert first.exit_code == 0, first.output
    assert first.stderr.count("WARNING Skipping message broken") == 3
    assert "WARNING 3 messages skipped (3 new): see the log" in first.stderr

    second = CliRunner().invoke(cli, args)  # a dry run before does not keep the real one from being quiet
    assert second.exit_code == 0
    assert second.stderr == ""

    (tmp_path / "mail" / "broken9.eml").write_bytes(_broken(9))
    third = CliRunner().invoke(cli, args)
    assert third.stderr.count("Skipping message") == 1 and "broken9@y.example" in third.stderr
    # the .eml source reads only files it has not read before (issue 11): the old three are not counted again
    assert "WARNING 1 messages skipped (1 new)" in third.stderr

    verbose = CliRunner().invoke(cli, ["-v", *args])
    assert "Skipping message" not in verbose.stderr
    assert "0 messages read (0 skipped)" in verbose.stderr

    memory = (home / "logs" / "followup-sync.warned").read_text()
    assert "broken" not in memory and len(memory.splitlines()) == 4  # hashes, not ids or paths
    assert ((home / "logs" / "followup-sync.warned").stat().st_mode & 0o777) == 0o600


def test_a_missing_mail_folder_is_one_sentence_not_a_config_error(tmp_path: Path) -> None:
    path = write_config(tmp_path, mail={"backend": "maildir", "path": str(tmp_path / "gone")})
    result = CliRunner().invoke(cli, ["sync", "--config", str(path)])
    assert result.exit_code == 1
    assert result.output == (
        f"error: [mail] folder not found: {tmp_path / 'gone'}; check that it is there (a disconnected drive, "
        "a moved folder?)\n"
    )


def _check_contract(followup: dict, reminder: dict | None = None) -> None:  # type: ignore[type-arg]
    """Every field of the first release, under its name, with its type (values may be richer since)."""
    assert set(followup) >= CONTRACT_FOLLOWUP, CONTRACT_FOLLOWUP - set(followup)
    for name in ("id", "kind", "due", "evidence", "thread_subject", "source_message_id"):
        assert isinstance(followup[name], str), (name, followup)
    assert isinstance(followup["contacts"], list) and all(isinstance(c, str) for c in followup["contacts"])
    assert followup["channel"] is None or isinstance(followup["channel"], str)
    datetime.fromisoformat(followup["due"])
    if reminder is not None:
        assert set(reminder) >= CONTRACT_REMINDER, CONTRACT_REMINDER - set(reminder)
        assert isinstance(reminder["subject"], str)
        assert datetime.fromisoformat(reminder["start"]) < datetime.fromisoformat(reminder["end"])


@pytest.mark.parametrize(
    "reminders",
    [
        {},  # the defaults: at most 8 new reminders a day
        {"max_new_per_day": 3},  # a queue
        {"max_new_per_day": 3, "digest": True},  # day digests in place of single reminders
    ],
)
@pytest.mark.parametrize("dry_run", [False, True])
def test_sync_json_keeps_every_field_of_its_first_release(
    tmp_path: Path, reminders: dict[str, object], dry_run: bool
) -> None:
    """`sync --format json` after issue 12 (names, the daily cap, digests): new fields (contact_names, queued)
    are allowed, but none of the first release's may go or change name or type (README, "sync --format json")."""
    from followup_sync.demo import DATA

    path = write_config(
        tmp_path,
        identity={"addresses": ["dana.reyes@northwind.example"], "timezone": "America/New_York"},
        mail={"backend": "maildir", "path": str(DATA / "mailbox")},
        meetings={"backend": "ics", "path": str(DATA / "meetings.ics")},
        reminders={"backend": "ics", "path": str(tmp_path / "reminders.ics"), **reminders},
    )
    now = "2026-03-18T16:00:00-04:00"
    args = ["sync", "--config", str(path), "--format", "json", "--now", now, *(["--dry-run"] if dry_run else [])]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert set(doc) >= CONTRACT_TOP and doc["now"] == now
    assert doc["actions"], doc
    for action in doc["actions"]:
        assert set(action) >= CONTRACT_ACTION and action["op"] in {"create", "update", "delete", "keep"}
        _check_contract(action["followup"], action["reminder"])
    for queued in doc.get("queued", []):  # new with issue 12: the follow-ups the daily cap holds back
        _check_contract(queued["followup"])
        assert queued["queued_until"] > now[:10]
    if reminders.get("max_new_per_day") == 3:
        assert len(doc["queued"]) == 9 - 3  # the demo week's nine, three let through today
    if not dry_run:  # the next pass keeps what the first wrote, in the same shape
        again = json.loads(invoke(*args[:-2], "--now", "2026-03-18T16:05:00-04:00").output)
        assert {a["op"] for a in again["actions"]} == {"keep"}
        for action in again["actions"]:
            _check_contract(action["followup"], action["reminder"])
