"""Campaigns: ``campaigns`` (issuing, targets, tasks, publishing, reading), ``reports`` (the target units'
reports with evidence, and their review), ``progress`` (the units × tasks table). The conditions of who
reaches what are ``backend.campaigns.scoping``."""
