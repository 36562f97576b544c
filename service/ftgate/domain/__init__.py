"""Plain typed data: the profile a team describes and the assessment ftgate gives back."""
