"""Casework that spans domains (the only caller of several domains' services): ``intake`` (a registration,
a seizure notice, a file opened by hand), ``handover`` (transfers, delivery, closure), ``followup`` (care
work recorded), ``presenting`` (care files and transfers shown with the minor they name), ``overview`` (the
dashboard). Routers call workflows or services; workflows call services; a domain's service never calls
another domain's (docs/architecture.md)."""
