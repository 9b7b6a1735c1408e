"""What users see of a schedule: figures, share links, form fields."""
