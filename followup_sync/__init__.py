"""followup-sync: turn the follow-ups a sales rep owes into calendar reminders.

The package is one pipeline (sources -> normalise -> thread -> detect -> resolve -> schedule -> plan -> apply);
:func:`followup_sync.sync.run_once` is its entry point and ``followup_sync.cli`` the command line around it.
"""

__version__ = "0.1.0"
