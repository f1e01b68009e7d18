public-text = Public (written into the public acceptance pack and OCDS)
public-text-marked = public
action-download = Downloaded
entity-contracts = Contracts
entity-acceptances = Acceptances
entity-contract_documents = Contract documents
