# At the door: whom a worker's visit is for (issue 13, finding 2)
door-view-who = Who the visit is for
door-view-call = Call
door-view-age = born { $year }, { $age } this year
