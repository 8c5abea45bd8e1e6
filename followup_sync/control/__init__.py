"""The rep in control: answers from the command line and the review, what is learnt from them, and the listing.

This package calls the core (the state, the scheduling, the text shapes); the core never calls it. What the pass
needs of the rep's answers reaches it as plain data: mute rules and snoozes in the state
(``userdata.preferences``), applied by ``preferences.apply``. Nothing here sends anything anywhere.

- :mod:`.answers`: done, dismiss, snooze, mute and unmute, by a follow-up's short id;
- :mod:`.learning`: the rules learnt from answers (a sentence shape, a kind from a domain), each explainable and
  reversible;
- :mod:`.listing`: the open follow-ups as ``list`` and ``status`` show them;
- :mod:`.review`: the interactive walk through them, one key per answer;
- :mod:`.cli`: the commands, registered on the main ``followup-sync`` group.
"""
