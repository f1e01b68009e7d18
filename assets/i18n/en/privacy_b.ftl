calendar-feed-shown-once = This is the new subscription address and it is shown only this once. Add it to your phone's calendar now; to see an address again you will have to change it.
calendar-feed-is-on = The calendar feed is on. The address is not kept, so it cannot be shown again; to subscribe on another phone, change the address.
