# The official's contract page: sections, units, confirmations with a reason, call-backs.
contract-section-fulfilment = Fulfilment
contract-section-acceptance = Acceptance
contract-section-amendments = Changes
contract-section-callbacks = Call-backs
contract-section-documents = Documents
contract-section-recipients = People
contract-sections = Parts of the contract
contract-summary = Summary
contract-key-figures = Key figures
fig-visits = { $n ->
    [one] { $n } visit
   *[other] { $n } visits
}
fig-visits-rate = { $n ->
    [one] { $n } visit
   *[other] { $n } visits
} ({ $percent }%)
fig-people = { $n ->
    [one] { $n } person
   *[other] { $n } people
}
fig-yuan = { $amount } yuan
fig-percent = { $percent }%
fig-minutes = { $n } minutes
fig-of-unit = { $done } / { $total } { $unit } ({ $percent }%)
fig-amount-unit = { $n } { $unit }
fig-paid-of = Paid { $paid } yuan of { $total } yuan
fig-material-service = materials { $material } yuan + services { $service } yuan
fig-item-value = contract value { $amount } yuan
contract-exports = Export tables
contract-more = { $n } earlier
contract-covered-open = See the people covered
contract-danger = End the contract
contract-close-open = End the contract…
contract-close-title = End the contract: { $title }
contract-close-warning = Once ended, the contract is no longer in force, takes no more changes and cannot be made active again. The reason goes into the audit log.
contract-close-reason = Why it ends (required)
contract-close-confirm = End the contract
contract-close-cancel = Back to the contract, keep it
contract-closed-by = Ended by { $by } on { $at }
contract-closed-reason = Reason
flash-contract-closed = The contract has ended.
reason-hint = 2 to 500 characters, kept in the audit log.
error-act-reason-required = Please give a reason.
error-act-reason-short = The reason needs at least 2 characters.
error-act-reason-long = The reason may be at most 500 characters.
amendment-reject-open = Reject…
amendment-reject-reason = Why it is rejected (required)
amendment-reject-confirm = Reject the change
amendment-rejected-reason = Reason for rejection
amendment-approve-note = Note (optional)
place-delete = Delete…
place-delete-warning = A deleted place cannot be restored. A place still used by villages, staff or records cannot be deleted. The reason goes into the audit log.
place-delete-reason = Why it is deleted (required)
place-delete-confirm = Delete for good
callback-outcome = Outcome of the call
callback-satisfaction-when-reached = Satisfaction (required when reached)
callbacks-done = { $n } calls recorded
