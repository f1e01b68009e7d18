# Navigation by role, the start pages, the "more" page (issue 15).
nav-more = More
nav-tab-home = Home
nav-tab-my-week = Week
nav-tab-recipients = People
nav-tab-dashboard = Figures
nav-tab-mine = Me
start-lead-coordinator = What needs you: gaps in the schedule, missed visits, referrals and contract risks.
start-lead-official = Your townships' contract risks, months to accept and open work.
start-lead-admin = Contract risks, months to accept and open work in every township, and administration.
start-unassigned = Visits with no worker
start-conflicting = Visits that clash
start-coming-days = next 7 days
start-missed = Missed visits
start-last-days = last 14 days
start-risks = Contracts at risk
start-risks-checked = { $n } of { $total } contracts in force checked, those ending first
start-due = Contracts with months to accept
start-due-explain = months ended and not yet accepted
start-months-due = To accept: { $list }
start-pending = Contract changes awaiting a decision
start-pending-explain = proposed, not yet decided
start-pending-n = { $n ->
    [one] one change awaiting a decision
   *[other] { $n } changes awaiting a decision
}
start-referrals = Open referrals
start-referrals-explain = needs found at the door
start-admin = Administration
settings-more = Other sections
settings-account = My account
calendar-feed-subscribe = Subscribe in the calendar
calendar-feed-copy = Copy the address
calendar-feed-copied = Copied.
calendar-feed-copy-failed = Could not copy by itself: the address is selected, press and hold it and choose Copy.
