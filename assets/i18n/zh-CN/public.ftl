public-text = 公开（写入公开验收包和 OCDS）
public-text-marked = 已公开
action-download = 下载文件
entity-contracts = 合同
entity-acceptances = 履约验收
entity-contract_documents = 合同附件
