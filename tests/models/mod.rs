mod audit_chain;
mod concurrency;
