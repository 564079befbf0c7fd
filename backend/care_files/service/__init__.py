"""Care files: ``files`` (opening, plan and team, reading, listing), ``timeline`` (entries and the due dates
derived from them), ``closure`` (alerts, closure with a lead's approval), ``intervals`` (follow-up intervals).
Other domains never import these: work that spans domains goes through ``backend.workflows``; the conditions
behind the worklists are in ``backend.care_files.worklists``."""
