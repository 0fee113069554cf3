module cannonball/guests

go 1.26
