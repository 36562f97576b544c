"""Plain typed data: the profile a team describes and the decision ftgate makes about it."""
