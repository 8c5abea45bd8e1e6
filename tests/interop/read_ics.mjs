// Reads .ics files with ical.js (the parser of Thunderbird's and Nextcloud's calendars) and prints, as JSON,
// every event occurrence between --from and --to: {file: [{uid, recurrenceId, start, end, allDay}]}, times as
// UTC ISO.
// Time zones come from the file's own VTIMEZONEs, registered as those apps do; floating times are read in
// the TZ environment variable's zone. Used by tests/test_interop.py to check what icalendar reads.
import ICAL from "ical.js";
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
let from = new Date("1900-01-01T00:00:00Z");
let to = new Date("2200-01-01T00:00:00Z");
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--from") from = new Date(args[++i]);
  else if (args[i] === "--to") to = new Date(args[++i]);
  else files.push(args[i]);
}

const iso = (time) => time.toJSDate().toISOString();

function occurrences(root) {
  for (const vtz of root.getAllSubcomponents("vtimezone")) ICAL.TimezoneService.register(vtz);
  const series = new Map();
  for (const vevent of root.getAllSubcomponents("vevent")) {
    const uid = vevent.getFirstPropertyValue("uid") || "";
    if (!series.has(uid)) series.set(uid, { master: null, exceptions: [] });
    const entry = series.get(uid);
    if (vevent.hasProperty("recurrence-id")) entry.exceptions.push(vevent);
    else entry.master = vevent;
  }
  const out = [];
  for (const [uid, { master, exceptions }] of series) {
    if (master === null) {
      for (const ex of exceptions) {
        const ev = new ICAL.Event(ex);
        out.push({ uid, recurrenceId: iso(ev.recurrenceId), start: iso(ev.startDate), end: iso(ev.endDate), allDay: ev.startDate.isDate });
      }
      continue;
    }
    const event = new ICAL.Event(master);
    for (const ex of exceptions) event.relateException(ex);
    if (!event.isRecurring()) {
      out.push({ uid, recurrenceId: null, start: iso(event.startDate), end: iso(event.endDate), allDay: event.startDate.isDate });
      continue;
    }
    const it = event.iterator();
    for (let n = 0, next = it.next(); next && n < 5000; n++, next = it.next()) {
      const details = event.getOccurrenceDetails(next);
      if (details.startDate.toJSDate() > to) {
        if (next.toJSDate() > to) break;
        continue;
      }
      if (details.endDate.toJSDate() < from) continue;
      out.push({
        uid, recurrenceId: iso(details.recurrenceId), start: iso(details.startDate), end: iso(details.endDate),
        allDay: details.startDate.isDate,
      });
    }
  }
  return out;
}

const result = {};
for (const file of files) {
  result[file] = occurrences(new ICAL.Component(ICAL.parse(readFileSync(file, "utf8"))));
}
process.stdout.write(JSON.stringify(result));
