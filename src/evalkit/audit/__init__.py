"""核查 (audit): the plan's requirements checked against the submitted data.

``run_audit(dataset, period)`` runs every rule; ``facts`` derives what the rules share
from the ledger once; ``rules`` holds the rule catalogue and rules 1–5 (reports and plan),
``rules_handling`` rules 6–12 (how violations were handled).
"""

from evalkit.audit.rules import AUDIT_RULES
from evalkit.audit.run import AuditResult, run_audit

__all__ = ["AUDIT_RULES", "AuditResult", "run_audit"]
