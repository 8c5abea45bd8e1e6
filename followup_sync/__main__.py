"""``python -m followup_sync``: the same as the ``followup-sync`` command (used by the service files)."""

from followup_sync.cli import main

if __name__ == "__main__":
    main()
