mod audit_chain;
