# Audit log entity names that had no message (the audit page showed
# "Unknown localization key"); found by the smoke walk (tests/e2e/walk.js).
entity-callbacks = Satisfaction call-backs
entity-contract_versions = Contract versions
entity-milestones = Payment milestones
entity-payments = Payments
entity-referrals = Referrals
entity-service_types = Service types
entity-visits = Visits
