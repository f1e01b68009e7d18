# The privacy page (/privacy) and the README's personal-data table, generated from domain::privacy
privacy-title = Privacy
privacy-link = Privacy
privacy-sign-in-note = How we handle personal data
privacy-intro = Doudi holds the ID numbers, health and care needs, addresses, phones, locations and signatures of the people in the county who most need help. This page says what is collected, why, who sees how much of it, and how long it is kept. It is generated from the same rules the system applies.
privacy-law = Under China's Personal Information Protection Law, ID numbers, health and disability, assistance status and locations are sensitive personal information: they are handled only for the purposes needed, and no further than needed.
privacy-legend-title = Who sees how much
privacy-scope-note = Each role sees only the records its scope reaches: officials their townships', coordinators those their organisation registered, workers and volunteers those of their own visits. Records outside the scope do not exist for them.
privacy-section-recipients = About the people served
privacy-section-staff = About staff, and security records
privacy-why-label = Why
privacy-seen-label = Who sees it
privacy-kept-label = How long it is kept
privacy-col-datum = Personal data
privacy-col-kept = Kept
privacy-correction-title = Corrections and questions
privacy-correction = If something about you, or someone you care for, is wrong, or you want to know what is held, ask the civil-affairs office (民政办 or 社会事务办) of your township or subdistrict. They check it and correct it in the system; every correction is written to the audit log with what was there before and after. Staff: ask your organisation's coordinator or the administrator to correct your account.
privacy-as-data = The same as data:

privacy-role-admin = Admin
privacy-role-official = Official
privacy-role-coordinator = Coordinator
privacy-role-worker = Worker / volunteer

privacy-seen-whole = whole
privacy-seen-masked = masked
privacy-seen-masked-revealable = masked; may reveal with a reason
privacy-seen-at-the-door = only at the door
privacy-seen-at-the-door-masked = only at the door, masked
privacy-seen-own = only their own
privacy-seen-not = not at all
privacy-seen-whole-means = Whole, in the records their scope reaches.
privacy-seen-masked-means = Masked: ID numbers show their first four characters only (province and city, 5119**************), birth dates the year only; together they still leave tens of thousands of possible numbers.
privacy-seen-masked-revealable-means = Masked; admins and the coordinators of the organisation that registered the person may reveal a whole ID number by giving a reason, and each reveal is written to the audit log (the reason, never the number).
privacy-seen-at-the-door-means = Whole only for a visit assigned to them, from { $before } day before its day to { $after } days after, on that visit's page and the day's cards. Everywhere else the name is masked (单**) and the rest is not shown.
privacy-seen-at-the-door-masked-means = As above, but masked even at the door (a birth date as its year).
privacy-seen-own-means = Only in the records they made or were assigned: their own visits, their own account.
privacy-seen-not-means = Not at all.

-kept-person = Never deleted: a person who no longer receives services is exited, with a reason
-kept-history = Never deleted: a correction keeps the before and the after; accepted periods are locked
-kept-audited = Never deleted; changes are in the audit log

privacy-datum-name = Name
privacy-what-name = The person's name. Shown as 单** (the first character only) to those who may not see it whole.
privacy-why-name = To know whom a service is for and to recognise them at the door (one village may have two 张**).
privacy-kept-name = { -kept-person }

privacy-datum-id-number = ID number
privacy-what-id-number = The 18-character resident ID number, stored encrypted and found again by a keyed hash. Shown as 5119************** (the first four characters only).
privacy-why-id-number = To match people with the township's assistance rosters, refuse duplicate registrations, and check the services bought.
privacy-kept-id-number = { -kept-person }

privacy-datum-birth-date = Date of birth
privacy-what-birth-date = Taken from the ID number. Shown as the year only, unless the whole ID number is revealed.
privacy-why-birth-date = To tell the categories: elderly (60 and over), minors (under 18), and under 14 (consent comes from the guardian); they are decided by calendar month, so they never show a birthday.
privacy-kept-birth-date = { -kept-person }

privacy-datum-gender = Gender
privacy-what-gender = Taken from the ID number.
privacy-why-gender = To send a suitable worker, and for statistics.
privacy-kept-gender = { -kept-person }

privacy-datum-address = Home address
privacy-what-address = The household's address (village, group, house number).
privacy-why-address = To visit.
privacy-kept-address = { -kept-person }

privacy-datum-phone = Phone
privacy-what-phone = The person's and the household's phone numbers.
privacy-why-phone = To arrange visits and call back about satisfaction.
privacy-kept-phone = { -kept-person }

privacy-datum-guardian = Guardian or emergency contact
privacy-what-guardian = Name, phone and relation; required for minors.
privacy-why-guardian = Minors and people who cannot decide for themselves need their guardian's consent; someone to call in an emergency.
privacy-kept-guardian = { -kept-person }

privacy-datum-care-needs = Care needs
privacy-what-care-needs = Free text and tags (lives alone, bedridden, dementia, chronic illness …): health information.
privacy-why-care-needs = To know at the door what to do and what to watch for.
privacy-kept-care-needs = { -kept-person }

privacy-datum-disability = Disability
privacy-what-disability = The disability certificate's level (1 to 4) and type.
privacy-why-disability = To tell the person's category and the services they need.
privacy-kept-disability = { -kept-person }

privacy-datum-assistance-status = Assistance status
privacy-what-assistance-status = Dibao (低保), tekun (特困), low income or none, with its dates.
privacy-why-assistance-status = To know whether the services bought cover the person.
privacy-kept-assistance-status = { -kept-person }

privacy-datum-home-location = Home location
privacy-what-home-location = Latitude and longitude of the home.
privacy-why-home-location = To check that a visit's check-in was made near the home.
privacy-kept-home-location = { -kept-person }

privacy-datum-visit-record = Visit records
privacy-what-visit-record = When a visit happened, the services and materials delivered, notes, and later corrections.
privacy-why-visit-record = To show that a service was delivered: the ground for acceptance and payment.
privacy-kept-visit-record = { -kept-history }

privacy-datum-check-in-location = Check-in location
privacy-what-check-in-location = Where the worker's phone was, and when, at check-in and check-out.
privacy-why-check-in-location = To check that the worker was really at the person's home.
privacy-kept-check-in-location = { -kept-history }

privacy-datum-signature = Signature
privacy-what-signature = The handwritten confirmation of a visit by the person or their guardian.
privacy-why-signature = The person served confirms that the service was received.
privacy-kept-signature = Never deleted: a correction that brings a new signature keeps the original beside it, and the amendment names each by its SHA-256

privacy-datum-callback = Satisfaction call-backs
privacy-what-callback = Whether the person was reached, how satisfied they are (1 to 5), and notes.
privacy-why-callback = The township checks the quality of the services.
privacy-kept-callback = { -kept-audited }

privacy-datum-referral = Referrals
privacy-what-referral = Other needs noticed at a visit (a doctor, housing …) and what was done about them.
privacy-why-referral = So that the township's civil-affairs office follows up what a worker saw, and the provider that raised it learns the outcome.
privacy-kept-referral = { -kept-audited }

privacy-datum-roster = Uploaded rosters
privacy-what-roster = The roster files uploaded to import people, with whole ID numbers.
privacy-why-roster = To register many people at once.
privacy-kept-roster = Deleted in the transaction that applies the import; a roster never applied is deleted after { $days } days by a daily job, each deletion audited; the import's counts and report stay, and the rejected rows the report keeps as uploaded are cleared after the same { $days } days (their line numbers and problems stay)

privacy-datum-staff-account = Staff accounts
privacy-what-staff-account = Name, email, phone, role and organisation; the password only as an Argon2 hash, the calendar feed address only as a SHA-256 hash.
privacy-why-staff-account = To sign in, assign visits, and know who did what.
privacy-kept-staff-account = Never deleted: a deactivated account is signed out at once and stays, so the audit log still names the person; a calendar feed's hash is kept until its address is changed

privacy-datum-sign-in-attempt = Failed sign-ins
privacy-what-sign-in-attempt = A keyed hash of what was typed as the account (never the text: people type passwords there) and the network address.
privacy-why-sign-in-attempt = To limit password guessing: each account and each address may fail only a few times in a while.
privacy-kept-sign-in-attempt = The counter for { $minutes } minutes, deleted at the next sign-in after that; each failure also has an audit log entry (naming the account if it exists, else only the hash), kept for ever

privacy-datum-audit-trail = Audit log
privacy-what-audit-trail = Who wrote what and when, from which address, with the before and after (ID numbers only masked; a reveal records the reason, never the number). Other roles see, with a record they may open, only which of its fields changed, when and by whom.
privacy-why-audit-trail = Every change can be traced, and tampering is detected.
privacy-kept-audit-trail = Append-only, for ever: the database refuses changes and deletions, and the hash chain detects edits made directly in the database
