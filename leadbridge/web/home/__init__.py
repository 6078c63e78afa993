"""`/`: the first page of the console this user's role may open."""
