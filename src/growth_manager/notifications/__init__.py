"""What the product tells people: the notification list, the header bell's count and read
state per person, for the dashboard and the API. Notifications are created where things
happen (e.g. ``accounts.notifications``); this package is where people read them."""
