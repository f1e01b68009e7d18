# Audit log entity names that had no message (the audit page showed
# "Unknown localization key"); found by the smoke walk (tests/e2e/walk.js).
entity-callbacks = 满意度回访
entity-contract_versions = 合同版本
entity-milestones = 付款节点
entity-payments = 资金拨付
entity-referrals = 转介
entity-service_types = 服务类型
entity-visits = 上门服务
