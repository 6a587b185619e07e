"""The leaf every domain package stands on: record ids, time as the contract writes it, and
the event log (every state change is one entry in a Redis Stream)."""

from core.audit import AuditEntry, AuditFilter, AuditNote, AuditTrail, audit_csv
from core.cells import spreadsheet_cell, spreadsheet_row
from core.events import SYSTEM, Event, EventLog
from core.groups import GroupConsumer, ensure_group, settled_before
from core.sweeps import sweep_forever
from core.ids import ID_PATTERN, is_id, new_id
from core.time import EARLIEST_YEAR, LATEST_YEAR, iso, parse_iso, parse_moment
from core.watch import watched

__all__ = ["EARLIEST_YEAR", "LATEST_YEAR", "ID_PATTERN", "AuditEntry", "AuditFilter", "AuditNote", "AuditTrail", "SYSTEM", "audit_csv", "Event", "EventLog", "GroupConsumer", "ensure_group", "settled_before", "sweep_forever", "is_id", "iso", "new_id", "parse_iso", "parse_moment", "spreadsheet_cell", "spreadsheet_row", "watched"]
