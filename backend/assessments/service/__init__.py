"""Assessments: ``schemes`` (the rules, read and changed in scope), ``runs`` (a run's rules and stored figures,
hand scores, veto items, finalising), ``results`` (totals, grades, ranks and call-ins; a figure's explanation).
Computing a run reads several domains, so it lives in ``backend/workflows/assessment_runs.py``; these store what it
finds."""
