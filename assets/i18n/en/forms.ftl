# Registration forms that keep what was typed, search as you type (issue 15).
forms-choose-township-first = Choose the township first
forms-register-this-person = Register “{ $name }” as a new person
forms-register-household = Register a new household: { $address }
forms-searching = Searching…
forms-draft-restored = What you typed last time, unsaved, is back.
forms-draft-discard = Clear
# Errors of requests the app could not read (never a library's own words).
error-bad-request = The request could not be read. Please go back and try again.
error-bad-path = The address is not right. Please go back and try again.
error-method-not-allowed = This page cannot be opened this way. Please go back and try again.
error-bad-upload = The uploaded file could not be read. Please choose the file again.
