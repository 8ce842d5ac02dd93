// Print every VEVENT of an .ics file as Mozilla ical.js (Thunderbird's parser) reads it: one JSON line each.
// Usage: node events.mjs FILE.ics
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const text = readFileSync(process.argv[2], "utf8");
const calendar = new ICAL.Component(ICAL.parse(text));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(zone);
}
const utc = (time) => time.isDate ? time.toString() : time.convertToZone(ICAL.Timezone.utcTimezone).toString();
const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  return {
    uid: event.uid,
    start: utc(event.startDate),
    end: utc(event.endDate),
    tzid: event.startDate.isDate ? null : event.startDate.zone.tzid,
    summary: event.summary,
    description: event.description,
    location: event.location,
    status: vevent.getFirstPropertyValue("status"),
    sequence: event.sequence,
    properties: vevent.getAllProperties().map((p) => p.name).sort(),
  };
});
process.stdout.write(JSON.stringify({ name: calendar.getFirstPropertyValue("x-wr-calname"), events }) + "\n");
